/**
 * Promise 1: no remediation runs twice for one decision id — with two workers, a duplicate enqueue,
 * a completed job removed from Redis and re-enqueued, and a worker SIGKILLed mid-action. Each run's
 * side effect is a counted write at the sandbox Kubernetes API. Real Redis and PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8s, KubernetesClient } from '../../../src/clients/kubernetes.js';
import { bullConnection } from '../../../src/clients/redis.js';
import { systemClock } from '../../../src/lib/clock.js';
import type { Sql } from '../../../src/store/db.js';
import { DecisionStore } from '../../../src/policy/decision-store.js';
import { ExecutionLedger } from '../../../src/queue/execution-ledger.js';
import { RemediationQueue } from '../../../src/queue/remediation-queue.js';
import { RemediationWorker } from '../../../src/queue/remediation-worker.js';
import { listDeadLetters } from '../../../src/queue/dead-letters.js';
import { KillSwitch, KillSwitchQueuePauser } from '../../../src/guardrails/kill-switch.js';
import { SqlAuditStore } from '../../../src/audit/sql-audit-store.js';
import { startK8sApiServer, type K8sApiServer } from '../../../src/sandbox/k8s-api-server.js';
import type { Decision } from '../../../src/domain/types.js';
import { postgresAvailable, REDIS_URL, REPO_ROOT, TEST_DATABASE_URL, uniqueName } from '../../support/env.js';
import { decision, metrics, postgresDb, type TestDb } from '../policy/helpers.js';
import { FakeExecutor } from './fixtures/fake-executor.js';

const pg = await postgresAvailable();
const connection = bullConnection(REDIS_URL);

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!pg)('exactly once through BullMQ + the execution ledger', () => {
  let db: TestDb;
  let sql: Sql;
  let srv: K8sApiServer;
  let kube: KubernetesClient;
  let store: DecisionStore;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = postgresDb();
    sql = await db.open();
    store = new DecisionStore(sql);
    srv = await startK8sApiServer();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(srv.kubeconfigYaml());
    kube = new KubernetesClient(kc, { timeoutMs: 5000 });
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await sql?.close();
    await srv?.close();
    await db?.destroy();
  });

  function hpaDecision(name: string, params: Record<string, unknown> = {}): Decision {
    srv.seed({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: 'shop' }, spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } } });
    const base = decision();
    return { ...base, status: 'queued', action: { ...base.action, target: { ...base.action.target, name }, params: { minReplicas: 6, ...params } } };
  }
  const writes = (name: string): number => srv.writes({ group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'shop', name });

  function makeQueue(name: string): RemediationQueue {
    const q = new RemediationQueue(connection, { name, attempts: 3, backoffMs: 50, enqueueTimeoutMs: 2000 });
    cleanups.push(async () => {
      await q.queue.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    });
    return q;
  }
  function makeWorker(queueName: string, id: string, opts: { leaseMs?: number; lockMs?: number; killSwitch?: KillSwitch } = {}): { worker: RemediationWorker; executor: FakeExecutor } {
    const executor = new FakeExecutor(kube);
    const ledger = new ExecutionLedger(sql, systemClock, { leaseMs: opts.leaseMs ?? 5000 });
    const worker = new RemediationWorker(
      connection,
      { queueName, concurrency: 4, workerId: id, markSideEffectBeforeRun: false, blockedRecheckMs: 200, ...(opts.lockMs !== undefined && { lockDurationMs: opts.lockMs, stalledIntervalMs: opts.lockMs }) },
      { ledger, executor, metrics: metrics(), clock: systemClock, ...(opts.killSwitch && { killSwitch: opts.killSwitch }) },
    );
    worker.start();
    cleanups.push(() => worker.close());
    return { worker, executor };
  }

  it('two workers, every job enqueued twice, then a completed job removed from Redis and re-enqueued: one write each', async () => {
    const q = makeQueue(uniqueName('q'));
    const a = makeWorker(q.queue.name, 'A');
    const b = makeWorker(q.queue.name, 'B');
    const ds = Array.from({ length: 12 }, (_, i) => hpaDecision(`svc-${i}`));
    for (const d of ds) await store.insert(d);
    await Promise.all(ds.flatMap((d) => [q.enqueue(d), q.enqueue(d)]));
    await until('all executed', async () => (await Promise.all(ds.map((d) => store.get(d.id)))).every((d) => d?.status === 'executed'));
    expect(ds.map((d) => writes(d.action.target.name))).toEqual(ds.map(() => 1));
    expect(a.executor.runs + b.executor.runs).toBe(12);

    // BullMQ's job-id dedup only holds while the job is stored: remove it, enqueue again.
    const victim = ds[0]!;
    await q.queue.remove(victim.id);
    expect(await q.queue.getJob(victim.id)).toBeUndefined();
    await q.enqueue(victim);
    await until('re-enqueued job completed', async () => (await q.queue.getJob(victim.id))?.returnvalue !== undefined && (await q.queue.getJob(victim.id))?.returnvalue !== null);
    expect((await q.queue.getJob(victim.id))?.returnvalue).toMatchObject({ outcome: 'noop' });
    expect(writes(victim.action.target.name)).toBe(1);
    expect(a.executor.runs + b.executor.runs).toBe(12);
    const ledger = new ExecutionLedger(sql, systemClock, { leaseMs: 5000 });
    expect(await ledger.get(victim.id)).toMatchObject({ state: 'done', sideEffectStarted: true, attempt: 1 });
  });

  it('the executing audit record and the ledger row commit together, and the chain still verifies', async () => {
    const audit = new SqlAuditStore(sql, systemClock);
    const recs = await audit.list({ kind: 'action.executing', limit: 1000 });
    expect(recs.length).toBeGreaterThanOrEqual(12);
    expect(recs[0]!.body).toMatchObject({ ledger: { attempt: 1 } });
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('kill switch on: jobs wait (no write, attempts not used); off: they run once', async () => {
    const q = makeQueue(uniqueName('q'));
    const ks = new KillSwitch(sql, systemClock);
    await ks.set(true, { type: 'person', id: 'ops' }, 'test');
    makeWorker(q.queue.name, 'K', { killSwitch: ks });
    const d = hpaDecision('killed');
    await store.insert(d);
    await q.enqueue(d);
    await new Promise((r) => setTimeout(r, 800));
    expect(writes('killed')).toBe(0);
    expect((await store.get(d.id))?.status).toBe('queued');
    await ks.set(false, { type: 'person', id: 'ops' }, 'test over');
    await until('executed after the switch is off', async () => (await store.get(d.id))?.status === 'executed');
    expect(writes('killed')).toBe(1);
  });

  it('KillSwitchQueuePauser pauses the BullMQ queue while the switch is on, and audits the flip', async () => {
    const q = makeQueue(uniqueName('q'));
    const audit = new SqlAuditStore(sql, systemClock);
    const ks = new KillSwitch(sql, systemClock, { auditor: { record: (e) => audit.append(e) } });
    const pauser = new KillSwitchQueuePauser(ks, q, 100);
    pauser.start();
    cleanups.push(() => pauser.stop());
    await ks.set(true, { type: 'person', id: 'ops' }, 'pause test');
    await until('paused', () => q.isPaused());
    await ks.set(false, { type: 'person', id: 'ops' }, 'resume test');
    await until('resumed', async () => !(await q.isPaused()));
    const recs = await audit.list({ kind: 'killswitch', limit: 1000 });
    expect(recs.slice(-2).map((r) => r.body)).toMatchObject([{ reason: 'pause test', after: { on: true } }, { reason: 'resume test', before: { on: true }, after: { on: false } }]);
  });

  async function spawnChild(queueName: string, leaseMs: number, lockMs: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/integration/queue/fixtures/worker-child.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, T_DB_URL: TEST_DATABASE_URL, T_SCHEMA: db.schema, T_KUBECONFIG: srv.kubeconfigYaml(), T_REDIS_URL: REDIS_URL, T_QUEUE: queueName, T_LEASE_MS: String(leaseMs), T_LOCK_MS: String(lockMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
      setTimeout(() => reject(new Error(`child not ready: ${err}`)), 30_000).unref();
    });
    return child;
  }

  it('a worker SIGKILLed after its write, while its action sleeps: the decision is held and paged, never run twice', async () => {
    const q = makeQueue(uniqueName('q'));
    const child = await spawnChild(q.queue.name, 1500, 1000);
    const d = hpaDecision('crashy', { sleepMs: 60_000 });
    await store.insert(d);
    await q.enqueue(d);
    const ledger = new ExecutionLedger(sql, systemClock, { leaseMs: 1500 });
    await until('the child wrote', async () => writes('crashy') === 1 && (await ledger.get(d.id))?.sideEffectStarted === true);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const survivor = makeWorker(q.queue.name, 'survivor', { lockMs: 1000, leaseMs: 1500 });
    await until('held', async () => (await store.get(d.id))?.status === 'held', 30_000);
    expect(writes('crashy')).toBe(1);
    expect(survivor.executor.runs).toBe(0);
    expect(await ledger.get(d.id)).toMatchObject({ state: 'held', claimedBy: 'child' });
    const audit = new SqlAuditStore(sql, systemClock);
    const failed = await audit.list({ decisionId: d.id, kind: 'action.held' as never });
    expect(failed[0]?.body).toMatchObject({ outcome: 'held', page: true, error: { code: 'side_effect_in_doubt' } });
    const dead = await listDeadLetters({ queue: q, decisions: store });
    expect(dead.find((x) => x.decisionId === d.id)).toMatchObject({ status: 'held' });
  });

  it('a worker SIGKILLed before any side effect: another worker takes over and runs it exactly once', async () => {
    const q = makeQueue(uniqueName('q'));
    const child = await spawnChild(q.queue.name, 1500, 1000);
    const d = hpaDecision('early', { beforeWriteSleepMs: 60_000 });
    await store.insert(d);
    await q.enqueue(d);
    const ledger = new ExecutionLedger(sql, systemClock, { leaseMs: 1500 });
    await until('the child claimed', async () => (await ledger.get(d.id))?.state === 'claimed');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // the survivor's copy of the action must not sleep: same decision row, so patch params in SQL
    await sql.query(`update decisions set action = jsonb_set(action, '{params,beforeWriteSleepMs}', '0') where id = $1`, [d.id]);
    makeWorker(q.queue.name, 'survivor2', { lockMs: 1000, leaseMs: 1500 });
    await until('executed by the survivor', async () => (await store.get(d.id))?.status === 'executed', 30_000);
    expect(writes('early')).toBe(1);
    expect(await ledger.get(d.id)).toMatchObject({ state: 'done', claimedBy: 'survivor2', attempt: 2 });
  });
});
