import { describe, expect, it } from 'vitest';
import { SeriesStore } from '../../../src/series/store.js';
import { SeriesSignalProbe } from '../../../src/series/signal-probe.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import { seriesKey } from '../../../src/domain/labels.js';
import type { Anomaly } from '../../../src/domain/types.js';

const labels = { __name__: 'latency', service: 'a' };
const key = seriesKey(labels);

function setup(after: number[]) {
  const clock = new ManualClock(100_000);
  const store = new SeriesStore({ windowPoints: 64, maxSeries: 10, staleAfterMs: 60_000, minPoints: 1, staleGapMs: 60_000 }, clock, createTestMetrics());
  const before = Array.from({ length: 20 }, (_, i) => ({ labels, timestampMs: 1000 + i, value: 1 }));
  store.append([...before, { labels, timestampMs: 1020, value: 10 }, ...after.map((v, i) => ({ labels, timestampMs: 1021 + i, value: v }))]);
  const anomaly: Anomaly = { id: 'a', seriesKey: key, labels, metric: 'latency', service: 'a', timestampMs: 1020, observed: 10, expected: 1, score: 1, detector: 'd', modelVersion: 'v' };
  return { probe: new SeriesSignalProbe(store), anomaly };
}

describe('series signal probe', () => {
  it('healthy when the signal moved back toward the expected value', async () => {
    const { probe, anomaly } = setup([1.2, 1.1, 0.9]);
    expect(await probe.read([anomaly])).toEqual({ value: 1.1, healthy: true });
  });

  it('not healthy when it stays anomalous', async () => {
    const { probe, anomaly } = setup([9, 10, 11]);
    expect((await probe.read([anomaly])).healthy).toBe(false);
  });

  it('insufficient evidence (undefined) without enough fresh points or without the series', async () => {
    const { probe, anomaly } = setup([1]);
    expect(await probe.read([anomaly])).toEqual({ value: undefined, healthy: undefined });
    expect(await probe.read([{ ...anomaly, seriesKey: 'missing{}' }])).toEqual({ value: undefined, healthy: undefined });
    expect(await probe.read([])).toEqual({ value: undefined, healthy: undefined });
  });
});
