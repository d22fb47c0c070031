/**
 * Ordered, idempotent schema migrations, recorded in `schema_migrations`.
 *
 * All pending migrations run in one transaction that first takes a transaction-scoped advisory
 * lock, so two replicas starting at once apply each migration exactly once (the second waits, then
 * sees the versions already recorded). Append new migrations to the end of MIGRATIONS; never edit
 * or reorder an applied one.
 */
import type { Sql, SqlTx } from './db.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Executed in order, one statement each (PGlite's extended protocol takes one statement at a time). */
  readonly statements: readonly string[];
}

/** Arbitrary constant key for pg_advisory_xact_lock ("aiopsd-migrate"). */
export const MIGRATION_LOCK_KEY = 0x61696f70_6d696772n;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audit_log',
    statements: [
      `create table if not exists audit_log (
        seq bigint primary key check (seq > 0),
        id text not null unique,
        ts text not null,
        kind text not null,
        actor jsonb not null,
        decision_id text,
        incident_id text,
        job_id text,
        attempt int,
        target jsonb,
        body jsonb not null,
        prev_hash text not null,
        hash text not null
      )`,
      'create index if not exists audit_log_kind_idx on audit_log (kind, seq)',
      'create index if not exists audit_log_decision_idx on audit_log (decision_id, seq)',
      'create index if not exists audit_log_incident_idx on audit_log (incident_id, seq)',
      `create table if not exists audit_checkpoint (
        id smallint primary key check (id = 1),
        seq bigint not null,
        hash text not null,
        mac text
      )`,
      // Guards against application bugs only: anyone who can ALTER the table can drop these.
      `create or replace function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only';
      end
      $$`,
      'drop trigger if exists audit_log_no_change on audit_log',
      `create trigger audit_log_no_change before update or delete on audit_log
        for each row execute function audit_log_append_only()`,
      'drop trigger if exists audit_log_no_truncate on audit_log',
      `create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_append_only()`,
    ],
  },
];

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: number[];
  /** Highest version recorded in the database after this call. */
  readonly current: number;
}

export async function migrate(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  checkOrder(migrations);
  return sql.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()})`);
    await tx.query(`create table if not exists schema_migrations (
      version int primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = await appliedVersions(tx);
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const stmt of m.statements) await tx.query(stmt);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
      done.add(m.version);
    }
    return { applied, current: Math.max(0, ...done) };
  });
}

async function appliedVersions(tx: SqlTx): Promise<Set<number>> {
  const { rows } = await tx.query<{ version: number }>('select version from schema_migrations');
  return new Set(rows.map((r) => Number(r.version)));
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}
