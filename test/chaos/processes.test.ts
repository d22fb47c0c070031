/**
 * Chaos at the process level: whole daemons in child processes (test/chaos/fixtures/daemon-child.ts),
 * sharing one PostgreSQL schema, one Redis queue and the sandbox Kubernetes API (which also holds the
 * leader Lease).
 *  - the daemon SIGKILLed while its write is in flight, then restarted: the decision is never written twice
 *    (held and paged when the side effect is in doubt), the audit chain verifies;
 *  - two replicas with leader election, the leader SIGKILLed: the follower takes the Lease by itself, the
 *    decision made before is not repeated, a new one is made once.
 * Figures are printed as CHAOS lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startK8sApiServer, type K8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import { openDatabase, type Sql } from '../../src/store/db.js';
import { DecisionStore } from '../../src/policy/decision-store.js';
import { SqlAuditStore } from '../../src/audit/sql-audit-store.js';
import { systemClock } from '../../src/lib/clock.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { dropSchema, postgresAvailable, REDIS_URL, REPO_ROOT, tempDir, TEST_DATABASE_URL, uniqueName } from '../support/env.js';
import { figure, hpaWrites, liveRule, ready, seedHpa, sendSpike, sleep, until } from './helpers.js';

const pgUp = await postgresAvailable();
const DONE = new Set(['executed', 'verified', 'held', 'failed', 'reverted']);

describe.skipIf(!pgUp)('chaos: daemons killed', () => {
  let k8s: K8sApiServer;
  let sql: Sql;
  let decisions: DecisionStore;
  let audit: SqlAuditStore;
  const schema = uniqueName('chaosp');
  const queue = uniqueName('q');
  const tmp = tempDir('aiopsd-chaos-proc-');
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    k8s = await startK8sApiServer({ token: null });
    k8s.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aiopsd' } });
    sql = await openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: tmp.dir, schema });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sql?.close();
    await k8s?.close();
    await dropSchema(schema).catch(() => undefined);
    tmp.cleanup();
  });

  function config(name: string, extra: ConfigInput = {}): ConfigInput {
    return {
      dataDir: path.join(tmp.dir, name),
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: REDIS_URL },
      database: { url: TEST_DATABASE_URL, schema },
      queue: { name: queue, backoffMs: 100, lockDurationMs: 2000, ledgerLeaseMs: 3000 },
      kubernetes: { mode: 'url', url: k8s.url },
      policy: { dryRun: false, cooldownMs: 0 },
      detect: { detector: 'robust', intervalMs: 200 },
      actions: { bakeTimeMs: { 'scale-hpa': 0 } },
      log: { level: 'silent', pretty: 'false' },
      ...extra,
    };
  }

  async function spawnDaemon(cfg: ConfigInput): Promise<{ child: ChildProcess; url: string; readyMs: number }> {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/chaos/fixtures/daemon-child.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, T_CONFIG: JSON.stringify(cfg), T_RULES: JSON.stringify([liveRule()]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /ready (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`daemon child exited ${code}: ${err}`)));
      setTimeout(() => reject(new Error(`daemon child not ready: ${err}`)), 40_000).unref();
    });
    await until('child ready', () => ready(url), 20_000, 100);
    return { child, url, readyMs: Date.now() - t0 };
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  const decisionFor = async (service: string) => (await decisions.list({ limit: 1000 })).find((d) => d.action.target.name === service);

  it('SIGKILL while the write is in flight, then a restart: never written twice, the chain verifies', async () => {
    decisions = new DecisionStore(sql);
    audit = new SqlAuditStore(sql, systemClock);
    seedHpa(k8s, 'sigkill-victim');
    k8s.delayNext({ method: 'PATCH', resource: 'horizontalpodautoscalers', name: 'sigkill-victim', dryRun: false }, 1500, 1);
    const a = await spawnDaemon(config('a'));
    expect(await sendSpike(a.url, 'sigkill-victim')).toBe(204);
    await until('executing', async () => (await decisionFor('sigkill-victim'))?.status === 'executing', 15_000, 20);
    await sleep(300); // the patch is now in flight at the API
    await kill(a.child);
    const killedAt = Date.now();
    const b = await spawnDaemon(config('b'));
    const d = (await decisionFor('sigkill-victim'))!;
    const finalMs = await until('victim final', async () => DONE.has((await decisions.get(d.id))?.status ?? ''), 30_000, 100);
    await sleep(2000); // a wrong second run would show now
    expect(hpaWrites(k8s, 'sigkill-victim')).toBeLessThanOrEqual(1);
    const trail = (await audit.list({ decisionId: d.id, limit: 100 })).map((r) => r.kind);
    expect(trail.filter((k) => k === 'action.executed').length).toBeLessThanOrEqual(1);
    const v = await audit.verify();
    expect(v.ok).toBe(true);
    figure('daemon-sigkill-mid-write', { restartReadyMs: b.readyMs, killToFinalMs: Date.now() - killedAt, finalAfterRestartReadyMs: finalMs, status: (await decisions.get(d.id))?.status, writes: hpaWrites(k8s, 'sigkill-victim'), trail, auditOk: v.ok });
    await kill(b.child);
  }, 60_000);

  it('leader SIGKILLed: the follower takes the Lease by itself and decides once', async () => {
    const leader = { enabled: true, namespace: 'aiopsd', leaseName: 'chaos-leader', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
    const r1 = await spawnDaemon(config('r1', { leader: { ...leader, identity: 'r1' } }));
    const r2 = await spawnDaemon(config('r2', { leader: { ...leader, identity: 'r2' } }));
    const holder = (): string | undefined => (k8s.get({ group: 'coordination.k8s.io', resource: 'leases', namespace: 'aiopsd', name: 'chaos-leader' }) as { spec?: { holderIdentity?: string } } | undefined)?.spec?.holderIdentity;
    await until('a leader', () => holder() === 'r1' || holder() === 'r2', 15_000, 100);
    const first = holder()!;
    const [lead, follow] = first === 'r1' ? [r1, r2] : [r2, r1];

    seedHpa(k8s, 'leader-before');
    for (const r of [lead, follow]) expect(await sendSpike(r.url, 'leader-before')).toBe(204);
    await until('decided before the kill', async () => DONE.has((await decisionFor('leader-before'))?.status ?? ''), 20_000, 100);

    await kill(lead.child);
    const killedAt = Date.now();
    await until('the follower leads', () => holder() !== first && holder() !== undefined && holder() !== '', 20_000, 50);
    const takeoverMs = Date.now() - killedAt;

    seedHpa(k8s, 'leader-after');
    expect(await sendSpike(follow.url, 'leader-after')).toBe(204);
    const afterMs = await until('decided after the kill', async () => DONE.has((await decisionFor('leader-after'))?.status ?? ''), 20_000, 100);
    await sleep(1000);
    const all = await decisions.list({ limit: 1000 });
    expect(all.filter((d) => d.action.target.name === 'leader-before')).toHaveLength(1);
    expect(all.filter((d) => d.action.target.name === 'leader-after')).toHaveLength(1);
    expect(hpaWrites(k8s, 'leader-before')).toBe(1);
    expect(hpaWrites(k8s, 'leader-after')).toBe(1);
    const v = await audit.verify();
    expect(v.ok).toBe(true);
    figure('leader-sigkill', { leaseDurationMs: leader.leaseDurationMs, takeoverMs, newDecisionAfterTakeoverMs: afterMs, writesBefore: 1, writesAfter: 1, auditOk: v.ok });
    await kill(follow.child);
  }, 90_000);
});
