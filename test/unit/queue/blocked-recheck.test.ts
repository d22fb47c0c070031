/**
 * queue.blockedRecheckMs: a job held back by the kill switch or an open circuit breaker is moved to the
 * delayed set for the configured time (it used to be a hard-coded 30 s). The worker is real (BullMQ on
 * the shared Redis, never started); the job and the ledger are fakes that record what the worker asks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DelayedError, type Job } from 'bullmq';
import { bullConnection } from '../../../src/clients/redis.js';
import { validateConfig } from '../../../src/config/load.js';
import { systemClock } from '../../../src/lib/clock.js';
import type { ActionResult } from '../../../src/domain/types.js';
import type { ExecutionLedger } from '../../../src/queue/execution-ledger.js';
import type { RemediationJobData } from '../../../src/queue/remediation-queue.js';
import { DEFAULT_BLOCKED_RECHECK_MS, RemediationWorker, type JobExecutor, type RemediationWorkerDeps } from '../../../src/queue/remediation-worker.js';
import { remediationWorkerOptions } from '../../../src/wiring/remediation.js';
import { REDIS_URL, uniqueName } from '../../support/env.js';
import { decision, metrics } from '../../integration/policy/helpers.js';

/** A job that only records the time it was asked to wait until. */
function fakeJob(decisionId: string): { job: Job<RemediationJobData, ActionResult>; delayedUntilMs: number[] } {
  const delayedUntilMs: number[] = [];
  const job = {
    id: decisionId,
    name: 'scale-hpa',
    data: { decisionId },
    attemptsMade: 0,
    opts: { attempts: 3 },
    moveToDelayed: (untilMs: number) => {
      delayedUntilMs.push(untilMs);
      return Promise.resolve();
    },
  };
  return { job: job as unknown as Job<RemediationJobData, ActionResult>, delayedUntilMs };
}

/** A ledger that always grants the claim and accepts its release. */
function grantingLedger(): ExecutionLedger {
  const ledger = {
    leaseMs: 30_000,
    claim: (decisionId: string) =>
      Promise.resolve({ kind: 'claimed', claim: { decision: { ...decision(), id: decisionId, dryRun: false, requiresApproval: false }, token: 't', attempt: 1, workerId: 'w', jobId: decisionId, jobAttempt: 1, takeover: false } }),
    release: () => Promise.resolve(),
  };
  return ledger as unknown as ExecutionLedger;
}

const neverRuns: JobExecutor = {
  run: () => Promise.reject(new Error('a blocked job must not run')),
  recordFailure: () => Promise.reject(new Error('a blocked job must not fail')),
};

const workers: RemediationWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
});

function workerFor(blockedRecheckMs: number, guards: Pick<RemediationWorkerDeps, 'killSwitch' | 'circuitBreaker'>): RemediationWorker {
  const config = validateConfig({ queue: { name: uniqueName('q'), blockedRecheckMs } }, 'test');
  const deps: RemediationWorkerDeps = { ledger: grantingLedger(), executor: neverRuns, metrics: metrics(), clock: systemClock, ...guards };
  const worker = new RemediationWorker(bullConnection(REDIS_URL), remediationWorkerOptions(config), deps);
  workers.push(worker);
  return worker;
}

/** Runs one job through the worker and returns how long it was delayed for (bounds, not a timing). */
async function delayOf(worker: RemediationWorker): Promise<{ minMs: number; maxMs: number }> {
  const { job, delayedUntilMs } = fakeJob(decision().id);
  const beforeMs = Date.now();
  await expect(worker.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
  const afterMs = Date.now();
  expect(delayedUntilMs).toHaveLength(1);
  return { minMs: delayedUntilMs[0]! - afterMs, maxMs: delayedUntilMs[0]! - beforeMs };
}

describe('queue.blockedRecheckMs', () => {
  it('defaults to 30 s in the schema and reaches the worker options', () => {
    expect(validateConfig({}, 'test').queue.blockedRecheckMs).toBe(DEFAULT_BLOCKED_RECHECK_MS);
    expect(remediationWorkerOptions(validateConfig({ queue: { blockedRecheckMs: 4321 } }, 'test')).blockedRecheckMs).toBe(4321);
  });

  it('rejects values below 50 ms (BullMQ would busy-loop the job)', () => {
    expect(() => validateConfig({ queue: { blockedRecheckMs: 10 } }, 'test')).toThrow(/blockedRecheckMs/);
  });

  it('a kill-switched job is delayed by the configured time', async () => {
    const worker = workerFor(4321, { killSwitch: { isOn: () => Promise.resolve(true) } });
    const d = await delayOf(worker);
    expect(d.minMs).toBeLessThanOrEqual(4321);
    expect(d.maxMs).toBeGreaterThanOrEqual(4321);
  });

  it('a breaker-blocked job is delayed by the configured time when the breaker stays open longer', async () => {
    const openUntilMs = Date.now() + 3_600_000;
    const worker = workerFor(2500, { circuitBreaker: { state: () => Promise.resolve({ open: true, openUntilMs }) } });
    const d = await delayOf(worker);
    expect(d.minMs).toBeLessThanOrEqual(2500);
    expect(d.maxMs).toBeGreaterThanOrEqual(2500);
  });
});
