import { describe, expect, it } from 'vitest';
import { IncidentTracker } from '../../../src/incidents/tracker.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import type { Anomaly } from '../../../src/domain/types.js';

const anomaly = (service: string | undefined, score = 0.95, seriesKey = 'k'): Anomaly => ({
  id: Math.random().toString(36), seriesKey, labels: {}, metric: 'm', service, timestampMs: 0, observed: 1, expected: 0, score, detector: 'robust', modelVersion: 'v',
});

describe('incident tracker', () => {
  it('groups anomalies of one service into one incident and keeps the highest score', () => {
    const t = new IncidentTracker({ resolveAfterMs: 1000, maxAnomaliesPerIncident: 2 }, new ManualClock(), createTestMetrics());
    expect(t.observe(anomaly('a', 0.91)).type).toBe('opened');
    const e = t.observe(anomaly('a', 0.99));
    expect(e.type).toBe('updated');
    t.observe(anomaly('a', 0.92));
    expect(t.observe(anomaly('b')).type).toBe('opened');
    const a = t.list().find((i) => i.groupKey === 'a')!;
    expect(a.score).toBe(0.99);
    expect(a.anomalies).toHaveLength(2);
  });

  it('groups by series when there is no service', () => {
    const t = new IncidentTracker({ resolveAfterMs: 1000, maxAnomaliesPerIncident: 5 }, new ManualClock(), createTestMetrics());
    t.observe(anomaly(undefined, 0.95, 'x'));
    expect(t.observe(anomaly(undefined, 0.95, 'y')).type).toBe('opened');
  });

  it('resolves an incident after resolveAfterMs without anomalies, by the clock', () => {
    const clock = new ManualClock(0);
    const t = new IncidentTracker({ resolveAfterMs: 1000, maxAnomaliesPerIncident: 5 }, clock, createTestMetrics());
    t.observe(anomaly('a'));
    clock.advance(999);
    expect(t.resolveQuiet()).toHaveLength(0);
    clock.advance(1);
    const [ev] = t.resolveQuiet();
    expect(ev).toMatchObject({ type: 'resolved', incident: { status: 'resolved', resolvedAtMs: 1000 } });
    expect(t.observe(anomaly('a')).type).toBe('opened');
  });
});
