/**
 * The soak's stalls in isolation: a burst of audit appends (what one detection cycle with many anomalies
 * does) against embedded PGlite, with and without the event-loop yield of src/store/db.ts, and a 10 ms
 * timer that notes how late it runs. One JSON document.
 *
 *   npx tsx bench/soak/pglite-burst.ts [--appends 1000] [--verify]
 *
 * --verify also times audit.verify() (the periodic whole-log check) over what the burst wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, PGLITE_YIELD_BUDGET_MS } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { SqlAuditStore } from '../../src/audit/sql-audit-store.js';
import { systemClock } from '../../src/lib/clock.js';

const argv = process.argv.slice(2);
const appendsIdx = argv.indexOf('--appends');
const appends = appendsIdx >= 0 ? Number(argv[appendsIdx + 1]) : 1000;
const withVerify = argv.includes('--verify');
const TICK_MS = 10;

/** A body shaped like the pipeline's `anomaly` record (an Anomaly as evidence). */
function anomalyBody(i: number): Record<string, unknown> {
  return {
    evidence: {
      id: `an_${i}`,
      seriesKey: `soak_metric_${i % 20}{instance="pod-${i % 100}",service="svc-${i % 50}"}`,
      labels: { __name__: `soak_metric_${i % 20}`, service: `svc-${i % 50}`, instance: `pod-${i % 100}` },
      metric: `soak_metric_${i % 20}`,
      service: `svc-${i % 50}`,
      timestampMs: 1_790_000_000_000 + i,
      observed: 112.5,
      expected: 100.1,
      score: 0.97,
      detector: 'ensemble/robust',
      modelVersion: 'ensemble-v3',
    },
  };
}

/** Longest time a 10 ms timer ran late while fn ran. */
async function worstLagDuring(fn: () => Promise<void>): Promise<{ worstLagMs: number; lateTicksOver50Ms: number; durationMs: number }> {
  let worstLagMs = 0;
  let lateTicksOver50Ms = 0;
  let lastMs = performance.now();
  const timer = setInterval(() => {
    const nowMs = performance.now();
    const lateMs = nowMs - lastMs - TICK_MS;
    worstLagMs = Math.max(worstLagMs, lateMs);
    if (lateMs > 50) lateTicksOver50Ms++;
    lastMs = nowMs;
  }, TICK_MS);
  const startMs = performance.now();
  await fn();
  const durationMs = performance.now() - startMs;
  await new Promise((r) => setTimeout(r, 2 * TICK_MS)); // let a late tick be seen
  clearInterval(timer);
  return { worstLagMs: Math.round(worstLagMs), lateTicksOver50Ms, durationMs: Math.round(durationMs) };
}

async function burst(yieldBudgetMs: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-pglite-burst-'));
  const sql = await openDatabase({ dataDir: dir, pgliteYieldBudgetMs: yieldBudgetMs });
  try {
    await migrate(sql);
    const audit = new SqlAuditStore(sql, systemClock);
    const append = await worstLagDuring(async () => {
      for (let i = 0; i < appends; i++) await audit.append({ kind: 'anomaly', actor: { type: 'system', id: 'aiopsd' }, incidentId: `inc_${i % 40}`, body: anomalyBody(i) });
    });
    const result: Record<string, unknown> = { yieldBudgetMs: Number.isFinite(yieldBudgetMs) ? yieldBudgetMs : 'never', appends, ...append, msPerAppend: +(append.durationMs / appends).toFixed(2) };
    if (withVerify) result.verify = await worstLagDuring(async () => void (await audit.verify()));
    return result;
  } finally {
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = [await burst(Infinity), await burst(PGLITE_YIELD_BUDGET_MS)];
process.stdout.write(JSON.stringify({ bench: 'pglite-burst', date: new Date().toISOString(), command: `npx tsx bench/soak/pglite-burst.ts ${argv.join(' ')}`.trim(), node: process.version, runs }, null, 2) + '\n');
