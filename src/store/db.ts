/**
 * One small SQL interface over PostgreSQL (pg.Pool) and PGlite (embedded, single process).
 *
 * Every connection uses `search_path = <schema>` (default `aiopsd`), so tests and several installs
 * can share one database. The schema name is restricted to `[a-z_][a-z0-9_]*` and never quoted.
 * Caveats: the pg search_path is set with the startup `options` parameter, which PgBouncer in
 * transaction mode does not forward; a PGlite data directory must only be opened by one process.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { AppError, errorMessage } from '../lib/errors.js';
import { redactUrl } from '../lib/redact.js';

export { redactUrl };

export interface SqlTx {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface Sql extends SqlTx {
  readonly engine: 'postgres' | 'pglite';
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back and rethrows when fn throws. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; when absent, an embedded PGlite database under `${dataDir}/pglite` is used. */
  databaseUrl?: string;
  dataDir: string;
  schema?: string;
  connectTimeoutMs?: number;
  /** PGlite only: see PGLITE_YIELD_BUDGET_MS (Infinity: never yield, the old behaviour, for benches). */
  pgliteYieldBudgetMs?: number;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Sql> {
  const schema = opts.schema ?? 'aiopsd';
  if (!SCHEMA_RE.test(schema)) {
    throw new AppError('config_invalid', `invalid database schema name "${schema}" (use [a-z_][a-z0-9_]*)`);
  }
  return opts.databaseUrl !== undefined && opts.databaseUrl !== ''
    ? openPostgres(opts.databaseUrl, schema, opts.connectTimeoutMs ?? 5000)
    : openPglite(opts.dataDir, schema, opts.pgliteYieldBudgetMs ?? PGLITE_YIELD_BUDGET_MS);
}


/** `host:port` of a database URL, for error messages. */
export function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return '<unparsable database url>';
  }
}

/** True for errors that mean "the database is not reachable" rather than "the SQL was wrong". */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof AppError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return code.startsWith('08') || code.startsWith('57P') || code === '53300';
  }
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return true; // ECONNREFUSED, ETIMEDOUT, ...
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    errorMessage(err),
  );
}

function unavailable(endpoint: string, err: unknown, secret?: string): AppError {
  let reason = errorMessage(err);
  if (secret) reason = reason.split(secret).join('***');
  return new AppError('db_unavailable', `database at ${endpoint} is unavailable: ${reason}`, {
    httpStatus: 503,
    retryable: true,
    cause: err,
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function openPostgres(url: string, schema: string, timeoutMs: number): Promise<Sql> {
  const endpoint = describeEndpoint(url);
  let secret: string | undefined;
  try {
    secret = decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    throw new AppError('config_invalid', 'database url is not a valid URL');
  }
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    options: `-c search_path=${schema}`,
  });
  // An idle client losing its connection must not crash the daemon; the next query reports it.
  pool.on('error', (err) => {
    console.warn(`aiopsd: idle PostgreSQL connection to ${endpoint} failed: ${errorMessage(err)}`);
  });
  const wrap = (err: unknown): unknown => (isConnectionError(err) ? unavailable(endpoint, err, secret) : err);
  try {
    await pool.query(`create schema if not exists ${schema}`).catch((err: { code?: string }) => {
      if (err.code !== '23505') throw err; // another replica created it at the same moment
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw unavailable(endpoint, err, secret);
  }
  return {
    engine: 'postgres',
    async query<R>(text: string, params?: unknown[]) {
      try {
        const res = await pool.query(text, params);
        return { rows: res.rows as R[] };
      } catch (err) {
        throw wrap(err);
      }
    },
    transaction: (fn) => pgTransaction(pool, fn, wrap),
    close: once(() => pool.end()),
  };
}

async function pgTransaction<T>(pool: pg.Pool, fn: (tx: SqlTx) => Promise<T>, wrap: (e: unknown) => unknown): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw wrap(err);
  }
  const onError = (): void => undefined; // errors surface through the pending query
  client.on('error', onError);
  let broken = false;
  try {
    await client.query('BEGIN');
    const tx: SqlTx = {
      async query<R>(text: string, params?: unknown[]) {
        const res = await client.query(text, params);
        return { rows: res.rows as R[] };
      },
    };
    const result = await fn(tx);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw wrap(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Longest stretch of back-to-back PGlite work before the event loop gets a turn. PGlite runs its
 * queries synchronously (WebAssembly) on this thread and resolves them as microtasks, so a loop of
 * awaited queries (a burst of audit appends, a verify reading the whole log) never lets the event
 * loop run: the soak bench measured 3–10 s stalls of ingest, timers and BullMQ lock renewals.
 */
export const PGLITE_YIELD_BUDGET_MS = 10;

/**
 * Returns a function to await before each unit of synchronous work: it resolves at once, unless the
 * event loop has not had a turn for budgetMs, and then only after one (setImmediate: pending I/O is
 * polled before it runs, expired timers on the next turn).
 */
export function createEventLoopYielder(budgetMs: number, nowMs: () => number = () => performance.now()): () => Promise<void> {
  let sliceStartMs: number | undefined;
  const startSlice = (): void => {
    sliceStartMs = nowMs();
    // Runs as soon as the event loop turns by itself: the next unit of work starts a fresh slice.
    setImmediate(() => (sliceStartMs = undefined));
  };
  return async () => {
    if (sliceStartMs === undefined) return startSlice();
    if (nowMs() - sliceStartMs < budgetMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    startSlice();
  };
}

async function openPglite(dataDir: string, schema: string, yieldBudgetMs: number): Promise<Sql> {
  const dir = path.join(dataDir, 'pglite');
  const yieldIfDue = createEventLoopYielder(yieldBudgetMs);
  let db: PGlite;
  try {
    await mkdir(dir, { recursive: true });
    db = new PGlite(dir);
    await db.waitReady;
    await db.exec(`create schema if not exists ${schema}; set search_path to ${schema};`);
  } catch (err) {
    throw new AppError('db_unavailable', `embedded database at ${dir} could not be opened: ${errorMessage(err)}`, {
      httpStatus: 503,
      retryable: true,
      cause: err,
    });
  }
  return {
    engine: 'pglite',
    async query<R>(text: string, params?: unknown[]) {
      await yieldIfDue();
      const res = await db.query<R>(text, params);
      return { rows: res.rows };
    },
    transaction: async (fn) => {
      await yieldIfDue();
      // Yielding inside the transaction is safe: PGlite holds its own lock until it ends, so other queries wait.
      return db.transaction(async (tx) =>
        fn({
          async query<R>(text: string, params?: unknown[]) {
            await yieldIfDue();
            const res = await tx.query<R>(text, params);
            return { rows: res.rows };
          },
        }),
      );
    },
    close: once(() => db.close()),
  };
}
