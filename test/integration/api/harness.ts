/**
 * An in-process, daemon-like app for API/approval/UI tests: real SQL stores on PGlite in a temp
 * dir (or PostgreSQL), the real ApprovalGate and createApp, fakes for the queue, Kubernetes
 * resourceVersions and the kill switch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Express } from 'express';
import { openDatabase, type Sql } from '../../../src/store/db.js';
import { migrate, MIGRATIONS } from '../../../src/store/migrate.js';
import { DECISIONS_MIGRATION, DecisionStore } from '../../../src/policy/decision-store.js';
import { SqlAuditStore } from '../../../src/audit/sql-audit-store.js';
import { Auditor, SYSTEM_ACTOR } from '../../../src/audit/auditor.js';
import type { AuditActor } from '../../../src/audit/types.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Authenticator, sha256Hex, type AuthConfig } from '../../../src/auth/authenticator.js';
import { ApprovalGate, type ApprovalConfig } from '../../../src/approvals/gate.js';
import { approvalsMigration } from '../../../src/approvals/store.js';
import { guardrailsMigration } from '../../../src/guardrails/migration.js';
import { createApp, type AppDeps } from '../../../src/api/app.js';
import type { KillSwitchState } from '../../../src/api/routes/killswitch.js';
import type { Anomaly, Decision, Incident, Risk } from '../../../src/domain/types.js';
import type { Role } from '../../../src/auth/roles.js';
import { tempDir, uniqueName } from '../../support/env.js';

export const TOKENS: Record<string, { token: string; role: Role }> = {
  vera: { token: 'tok-viewer-vera-0123456789', role: 'viewer' },
  otto: { token: 'tok-operator-otto-0123456789', role: 'operator' },
  alice: { token: 'tok-approver-alice-0123456789', role: 'approver' },
  bob: { token: 'tok-approver-bob-0123456789', role: 'approver' },
  root: { token: 'tok-admin-root-0123456789', role: 'admin' },
};

export const ROLE_TOKEN: Record<Role, string> = { viewer: TOKENS.vera!.token, operator: TOKENS.otto!.token, approver: TOKENS.alice!.token, admin: TOKENS.root!.token };

export const authConfig = (extra: Partial<AuthConfig> = {}): AuthConfig => ({
  tokens: Object.entries(TOKENS).map(([name, t]) => ({ name, sha256: sha256Hex(t.token), role: t.role })),
  ...extra,
});

export interface Harness {
  readonly app: Express;
  readonly url: string;
  readonly sql: Sql;
  readonly clock: ManualClock;
  readonly decisions: DecisionStore;
  readonly audit: SqlAuditStore;
  readonly auditor: Auditor;
  readonly gate: ApprovalGate;
  readonly queued: Decision[];
  readonly versions: Map<string, string>;
  readonly incidents: Incident[];
  readonly killSwitch: { state: KillSwitchState };
  propose(opts?: { risk?: Risk; requiresApproval?: boolean; name?: string; incidentId?: string; proposer?: AuditActor }): Promise<Decision>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly auth?: AuthConfig | null;
  readonly approvals?: Partial<ApprovalConfig>;
  readonly databaseUrl?: string;
  readonly extraDeps?: (h: Omit<Harness, 'app' | 'url' | 'close' | 'propose'>) => Partial<AppDeps>;
  readonly rateLimit?: AppDeps['rateLimit'];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const tmp = tempDir('aiopsd-api-');
  const schema = uniqueName('t');
  const sql = await openDatabase({ dataDir: tmp.dir, schema, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
  await migrate(sql, [...MIGRATIONS, DECISIONS_MIGRATION, guardrailsMigration(3), approvalsMigration(4)]);
  const clock = new ManualClock(Date.now());
  const metrics = createTestMetrics();
  const audit = new SqlAuditStore(sql, clock);
  const auditor = new Auditor(audit, metrics);
  const decisions = new DecisionStore(sql);
  const queued: Decision[] = [];
  const versions = new Map<string, string>();
  const incidents: Incident[] = [];
  const killSwitch = { state: { on: false } as KillSwitchState };
  const logger = silentLogger();
  const gate = new ApprovalGate({
    sql,
    decisions,
    auditor,
    clock,
    logger,
    next: {
      submit: async (d) => {
        queued.push(d);
        await decisions.setStatus(d.id, 'queued', clock.nowMs());
      },
    },
    targetVersion: async (d) => versions.get(d.action.target.name) ?? '100',
    killSwitch: { get: async () => killSwitch.state },
    ...(opts.approvals ? { config: opts.approvals } : {}),
  });
  const partial = { sql, clock, decisions, audit, auditor, gate, queued, versions, incidents, killSwitch };
  const app = createApp({
    registry: new Registry(),
    logger,
    readiness: [],
    remoteWrite: (_req, res) => void res.status(204).end(),
    anomalies: () => incidents.flatMap((i) => i.anomalies),
    incidents: () => incidents,
    decisions,
    audit,
    sql,
    ...(opts.auth === null ? {} : { auth: new Authenticator(opts.auth ?? authConfig()) }),
    approvals: gate,
    rateLimit: opts.rateLimit ?? { windowMs: 60_000, limit: 10_000 },
    killSwitch: {
      get: async () => killSwitch.state,
      set: async (on, actor, reason) => {
        killSwitch.state = { on, by: actor.id, reason, atMs: clock.nowMs() };
        await auditor.record({ kind: 'killswitch', actor, body: { on, reason } });
      },
    },
    seriesWindow: (key) => {
      const a = incidents.flatMap((i) => i.anomalies).find((x) => x.seriesKey === key);
      if (!a) return undefined;
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let i = 0; i < 60; i++) {
        timestamps.push(a.timestampMs - (59 - i) * 1000);
        values.push(i === 59 ? a.observed : a.expected + Math.sin(i / 3) * 0.01);
      }
      return { timestamps, values };
    },
    ...(opts.extraDeps ? opts.extraDeps(partial) : {}),
  });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let n = 0;
  const propose: Harness['propose'] = async (p = {}) => {
    n++;
    const now = clock.nowMs();
    const anomaly: Anomaly = { id: `anm_${n}_${uniqueName('a')}`, seriesKey: `http_request_duration_seconds{service="checkout"}`, labels: { __name__: 'http_request_duration_seconds', service: 'checkout' }, metric: 'http_request_duration_seconds', service: 'checkout', timestampMs: now, observed: 1.5, expected: 0.12, score: 0.99, detector: 'robust', modelVersion: 'test' };
    const incidentId = p.incidentId ?? `inc_${uniqueName('i')}`;
    const d: Decision = {
      id: `dec_${uniqueName('d')}`,
      incidentId,
      rule: 'scale-checkout',
      action: { type: 'scale-hpa', target: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'shop', name: p.name ?? 'checkout' }, params: { minReplicas: 6 } },
      dryRun: false,
      createdAtMs: now,
      risk: p.risk ?? 'low',
      requiresApproval: p.requiresApproval ?? true,
      status: 'proposed',
      evidence: [anomaly],
    };
    if (!incidents.some((i) => i.id === incidentId)) {
      incidents.push({ id: incidentId, groupKey: 'checkout', service: 'checkout', status: 'open', openedAtMs: now, lastAnomalyAtMs: now, resolvedAtMs: undefined, score: 0.99, anomalies: [anomaly] });
    }
    await decisions.insert(d);
    await auditor.record({ kind: 'decision.proposed', actor: p.proposer ?? SYSTEM_ACTOR, decisionId: d.id, incidentId, target: d.action.target, body: { action: d.action, rule: d.rule, risk: d.risk } });
    await gate.submit(d, p.proposer);
    return d;
  };

  return {
    ...partial,
    app,
    url,
    propose,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await sql.close();
      tmp.cleanup();
    },
  };
}
