/** Shared helpers for the policy / queue / leader integration tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { openDatabase, type Sql } from '../../../src/store/db.js';
import { migrate, MIGRATIONS } from '../../../src/store/migrate.js';
import { DECISIONS_MIGRATION } from '../../../src/policy/decision-store.js';
import { guardrailsMigration } from '../../../src/guardrails/migration.js';
import { createMetrics, type Metrics } from '../../../src/telemetry/metrics.js';
import type { Anomaly, Decision, Incident } from '../../../src/domain/types.js';
import { TEST_DATABASE_URL, dropSchema } from '../../support/env.js';

export const ALL_MIGRATIONS = [...MIGRATIONS, DECISIONS_MIGRATION, guardrailsMigration(3)];

export interface TestDb {
  /** PostgreSQL schema name ('' for PGlite). */
  readonly schema: string;
  open(): Promise<Sql>;
  destroy(): Promise<void>;
}

/** A random schema on the test PostgreSQL; open() gives another handle (another "replica"). */
export function postgresDb(): TestDb {
  const schema = `pol_${randomBytes(5).toString('hex')}`;
  return {
    schema,
    open: async () => {
      const sql = await openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema });
      await migrate(sql, ALL_MIGRATIONS);
      return sql;
    },
    destroy: () => dropSchema(schema),
  };
}

/** PGlite in a temp dir (single process: open() once). */
export async function pgliteDb(): Promise<TestDb & { dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aiopsd-policy-'));
  return {
    schema: '',
    dir,
    open: async () => {
      const sql = await openDatabase({ dataDir: dir });
      await migrate(sql, ALL_MIGRATIONS);
      return sql;
    },
    destroy: () => rm(dir, { recursive: true, force: true }),
  };
}

export function metrics(): Metrics {
  return createMetrics(new Registry());
}

export function anomaly(over: Partial<Anomaly> = {}): Anomaly {
  return { id: 'a', seriesKey: 'k', labels: { __name__: 'latency', service: 'checkout' }, metric: 'latency', service: 'checkout', timestampMs: 0, observed: 2, expected: 1, score: 0.95, detector: 'robust', modelVersion: 'v', ...over };
}

export function incident(over: Partial<Incident> = {}): Incident {
  return { id: 'inc_1', groupKey: 'checkout', service: 'checkout', status: 'open', openedAtMs: 0, lastAnomalyAtMs: 0, resolvedAtMs: undefined, score: 1, anomalies: [], ...over };
}

let n = 0;
export function decision(over: Partial<Decision> = {}): Decision {
  n += 1;
  return {
    id: `dec_t${Date.now().toString(36)}${n}${randomBytes(3).toString('hex')}`,
    incidentId: 'inc_1',
    rule: 'r1',
    action: { type: 'scale-hpa', target: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'shop', name: 'checkout' }, params: { minReplicas: 6 } },
    dryRun: false,
    createdAtMs: 0,
    status: 'proposed',
    evidence: [],
    ...over,
  };
}
