import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import path from 'node:path';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startK8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import type { PolicyRule } from '../../src/policy/rules.js';
import type { AuditRecord } from '../../src/audit/types.js';
import type { Decision } from '../../src/domain/types.js';
import { dropSchema, postgresAvailable, tempDir, testConfig, TEST_DATABASE_URL } from '../support/env.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS, spikeSeries } from '../support/remote-write.js';
import { runCli } from '../support/cli.js';
import { readForecasterMeta } from '../../src/detect/model.js';
import { defaultModelDir } from '../../src/detect/registry.js';

const RULES: PolicyRule[] = [
  {
    name: 'scale-checkout',
    when: { metric: 'http_request_duration_seconds', labels: { service: 'checkout' }, 'score>=': 0.9 },
    action: { type: 'scale-hpa', target: { namespace: 'shop', name: '${service}' }, params: { minReplicas: 6 } },
    shadow: false,
  },
];

type Engine = 'pglite' | 'postgres';
const pgUp = await postgresAvailable();

describe.each<Engine>(['pglite', 'postgres'])('wire to audit log, end to end (%s)', (engine) => {
  const skip = engine === 'postgres' && !pgUp;
  let daemon: Daemon;
  let k8s: Awaited<ReturnType<typeof startK8sApiServer>>;
  const tmp = tempDir();
  const config = testConfig(tmp.dir, {
    kubernetes: { mode: 'url', url: 'http://placeholder' },
    ...(engine === 'postgres' ? { database: { url: TEST_DATABASE_URL } } : {}),
  });

  beforeAll(async () => {
    if (skip) return;
    k8s = await startK8sApiServer({ token: null });
    k8s.seed({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' }, minReplicas: 2, maxReplicas: 10 },
    });
    daemon = await startDaemon({ config: { ...config, kubernetes: { mode: 'url', url: k8s.url } }, logger: silentLogger(), autoCycle: false, rules: RULES });
  });

  afterAll(async () => {
    if (skip) return;
    await daemon?.stop();
    await k8s?.close();
    if (engine === 'postgres') await dropSchema(config.database.schema);
    tmp.cleanup();
  });

  it.skipIf(skip)('/metrics names the TF.js backend and the forecaster version scoring, from start-up', async () => {
    const { version } = await readForecasterMeta(defaultModelDir());
    const text = (await request(daemon.url).get('/metrics')).text;
    expect(text).toMatch(/^aiopsd_detect_backend_info\{backend="(wasm|cpu|tensorflow)"\} 1$/m);
    expect(text).toContain(`aiopsd_detect_model_info{version="${version}"} 1`);
  });

  it.skipIf(skip)('a spike becomes an anomaly, a decision, a dry-run job and a verified audit chain', async () => {
    const samples = spikeSeries({ points: 60, spikeAt: 59, startMs: Date.now() - 60_000, stepMs: 1000, base: 0.12, spike: 1.5 });
    const labels = { __name__: 'http_request_duration_seconds', service: 'checkout', namespace: 'shop', job: 'checkout' };
    const write = await request(daemon.url).post('/api/v1/write').set(REMOTE_WRITE_HEADERS).send(remoteWriteBody([{ labels, samples }]));
    expect(write.status).toBe(204);

    await daemon.runCycle();
    const anomalies = await request(daemon.url).get('/api/v1/anomalies');
    expect(anomalies.status).toBe(200);
    const spike = anomalies.body.anomalies.find((a: { timestampMs: number }) => a.timestampMs === samples[59]!.timestamp);
    expect(spike).toMatchObject({ metric: 'http_request_duration_seconds', service: 'checkout', detector: expect.any(String), modelVersion: expect.any(String), observed: 1.5 });
    expect(spike.score).toBeGreaterThanOrEqual(0.9);
    expect(spike.expected).toBeCloseTo(0.12, 1);

    await daemon.drainQueue(20_000);
    const decisions = (await request(daemon.url).get('/api/v1/decisions')).body.decisions as Decision[];
    expect(decisions).toHaveLength(1);
    const decision = decisions[0]!;
    expect(decision).toMatchObject({ rule: 'scale-checkout', status: 'executed', dryRun: true, action: { type: 'scale-hpa', target: { namespace: 'shop', name: 'checkout' } } });
    expect(decision.result).toMatchObject({ outcome: 'planned', dryRun: true, plan: { before: { minReplicas: 2 }, after: { minReplicas: 6 } } });
    expect(k8s.totalWrites()).toBe(0); // dry run: the HPA was not changed

    const audit = (await request(daemon.url).get('/api/v1/audit?limit=100')).body.records as AuditRecord[];
    const kinds = audit.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['incident.opened', 'anomaly', 'decision.proposed', 'action.dry_run']));
    expect(audit.find((r) => r.kind === 'action.dry_run')?.decisionId).toBe(decision.id);
    audit.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      if (i > 0) expect(r.prevHash).toBe(audit[i - 1]!.hash);
    });
    const dryRunSeq = audit.find((r) => r.kind === 'action.dry_run')!.seq;

    await daemon.stop();
    const cliEnv = { AIOPSD_DATABASE_SCHEMA: config.database.schema, ...(engine === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL } : {}) };
    const ok = await runCli(['audit', 'verify', '--data-dir', config.dataDir], { env: cliEnv });
    expect(ok.stdout).toContain(`audit chain OK: ${audit.length} records`);
    expect(ok.code).toBe(0);

    await tamper(engine, config.dataDir, config.database.schema, dryRunSeq);
    const bad = await runCli(['audit', 'verify', '--data-dir', config.dataDir], { env: cliEnv });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`seq ${dryRunSeq}`);
  });

});

/** Change one character of one stored record, bypassing the append-only trigger as an attacker with DB access would. */
async function tamper(engine: Engine, dataDir: string, schema: string, seq: number): Promise<void> {
  const statements = [
    `set search_path = ${schema}`,
    'alter table audit_log disable trigger audit_log_no_change',
    `update audit_log set ts = overlay(ts placing (case when substr(ts, 21, 1) = '1' then '2' else '1' end) from 21 for 1) where seq = ${seq}`,
    'alter table audit_log enable trigger audit_log_no_change',
  ];
  if (engine === 'pglite') {
    const db = new PGlite(path.join(dataDir, 'pglite'));
    for (const s of statements) await db.query(s);
    await db.close();
    return;
  }
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  for (const s of statements) await client.query(s);
  await client.end();
}
