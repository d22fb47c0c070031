import { describe, expect, it } from 'vitest';
import { Pipeline, type PipelineDeps } from '../../src/pipeline.js';
import { IncidentTracker } from '../../src/incidents/tracker.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createTestMetrics } from '../../src/telemetry/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { Anomaly } from '../../src/domain/types.js';
import type { AuditEntry } from '../../src/audit/types.js';

const anomaly = (id: string): Anomaly => ({ id, seriesKey: 'k', labels: {}, metric: 'm', service: 'svc', timestampMs: 1, observed: 2, expected: 1, score: 1, detector: 'd', modelVersion: 'v' });

describe('pipeline', () => {
  it('keeps the anomalies of a cycle that failed part-way and finishes them next cycle, each once', async () => {
    const clock = new ManualClock(0);
    const metrics = createTestMetrics();
    let fresh: Anomaly[] = [anomaly('a1'), anomaly('a2')];
    let auditDown = true;
    const audited: AuditEntry[] = [];
    const deps = {
      store: { sweep: () => 0 },
      detection: { runAsync: async () => fresh.splice(0), prune: () => undefined },
      incidents: new IncidentTracker({ resolveAfterMs: 60_000, maxAnomaliesPerIncident: 10 }, clock, metrics),
      policy: { evaluate: async () => ({ proposed: [], suppressed: [], shadow: [], checks: [] }) },
      decisions: {},
      gate: { submit: async () => undefined },
      auditor: {
        record: async (e: AuditEntry) => {
          if (auditDown && e.kind === 'anomaly') throw new Error('database is unavailable');
          audited.push(e);
        },
      },
      metrics,
      logger: silentLogger(),
      clock,
    } as unknown as PipelineDeps;
    const pipeline = new Pipeline(deps);
    await expect(pipeline.runCycle()).rejects.toThrow('unavailable');
    auditDown = false;
    fresh = [anomaly('a3')];
    await pipeline.runCycle();
    expect(audited.filter((e) => e.kind === 'anomaly').map((e) => (e.body.evidence as Anomaly).id)).toEqual(['a1', 'a2', 'a3']);
    expect(audited.filter((e) => e.kind === 'incident.opened')).toHaveLength(1);
    expect(pipeline.incidents()[0]!.anomalies.map((a) => a.id)).toEqual(['a1', 'a2', 'a3']);
  });
});
