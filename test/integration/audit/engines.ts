/**
 * Test helpers: the audit store suites run once per engine — PGlite in a temp dir, and the real
 * PostgreSQL (TEST_DATABASE_URL, default 127.0.0.1:5432/test) in a random schema dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Sql } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';

export const PG_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDb {
  /** Opens another handle on the same database (a second "replica" or a restart). */
  open(): Promise<Sql>;
  /** Drops the schema / removes the directory. */
  destroy(): Promise<void>;
}

export async function makePgliteDb(): Promise<TestDb> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'aiopsd-audit-'));
  return {
    open: () => openDatabase({ dataDir }),
    destroy: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export function makePostgresDb(): TestDb {
  const schema = `aiopsd_t_${randomBytes(6).toString('hex')}`;
  const open = (): Promise<Sql> => openDatabase({ databaseUrl: PG_URL, dataDir: '/nonexistent', schema });
  return {
    open,
    async destroy() {
      const sql = await open();
      await sql.query(`drop schema if exists ${schema} cascade`);
      await sql.close();
    },
  };
}

export const ENGINES: { name: 'pglite' | 'postgres'; make: () => Promise<TestDb> }[] = [
  { name: 'pglite', make: makePgliteDb },
  { name: 'postgres', make: async () => makePostgresDb() },
];

export const pgSkipReason = await postgresReachable();
if (pgSkipReason !== undefined) {
  console.warn(`[audit tests] PostgreSQL at ${new URL(PG_URL).host} unreachable, skipping its cases: ${pgSkipReason}`);
}

/** Opens and migrates. */
export async function openMigrated(db: TestDb): Promise<Sql> {
  const sql = await db.open();
  await migrate(sql);
  return sql;
}

/** Runs statements with the append-only triggers off, as an attacker with DB access could. */
export async function tamper(sql: Sql, ...statements: string[]): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('alter table audit_log disable trigger user');
    for (const s of statements) await tx.query(s);
    await tx.query('alter table audit_log enable trigger user');
  });
}

export async function resetAudit(sql: Sql): Promise<void> {
  await tamper(sql, 'truncate audit_log', 'delete from audit_checkpoint');
}
