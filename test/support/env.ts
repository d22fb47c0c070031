import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { validateConfig } from '../../src/config/load.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const SHARED_DIR = process.env.AIOPSD_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function tempDir(prefix = 'aiopsd-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config for an in-process daemon: loopback, random port, its own queue and schema. */
export function testConfig(dataDir: string, overrides: ConfigInput = {}): Config {
  const base: ConfigInput = {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    redis: { url: REDIS_URL },
    database: { schema: uniqueName('t') },
    queue: { name: uniqueName('q'), backoffMs: 50 },
    log: { level: 'silent', pretty: 'false' },
  };
  return validateConfig(deepMerge(base, overrides), 'test');
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null || Array.isArray(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v);
  return out;
}

/** Is the test PostgreSQL reachable? Tests that need it skip visibly when it is not. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    console.warn(`[skip] PostgreSQL at ${TEST_DATABASE_URL.replace(/:[^:@/]+@/, ':***@')} is not reachable: real-PostgreSQL tests are skipped`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}
