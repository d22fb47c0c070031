import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, hashRecord } from '../../../src/audit/canonical.js';
import { rowFields, type AuditRow } from '../../../src/audit/sql-audit-verify.js';
import { MAX_AUDIT_BODY_BYTES, SqlAuditStore } from '../../../src/audit/sql-audit-store.js';
import type { AuditEntry } from '../../../src/audit/types.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { AppError } from '../../../src/lib/errors.js';
import { isConnectionError, openDatabase, redactUrl, type Sql } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import { ENGINES, makePgliteDb, openMigrated, pgSkipReason, resetAudit, type TestDb } from './engines.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 123);

function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    kind: i % 2 === 0 ? 'decision.proposed' : 'anomaly',
    actor: { type: 'system', id: 'aiopsd' },
    incidentId: `inc_${i % 3}`,
    ...(i % 2 === 0 && { decisionId: `dec_${i}`, jobId: `job_${i}`, attempt: 1 }),
    body: { note: `record-${i}`, score: i / 10 },
    ...over,
  };
}

/** JSON that jsonb rewrites: keys of different lengths, numbers in other forms, non-ASCII text. */
const TRICKY_BODY = {
  b: 1, aa: 2, a: [3, { zz: 1, z: 2 }], big: 1e21, small: 1.5e-7, tenth: 0.1, negZero: -0, beyond: 2 ** 53 + 2,
  maxDouble: Number.MAX_VALUE, tiny: 5e-324, neg: -123.456e-10, emoji: '😀 ünïcödé \u2028 "q" \\', empty: {},
  none: [], nil: null, yes: true, deep: { x: { y: { z: [[1], [2, [3]]] } } }, 'key with space': 'v', '': 'empty key',
};

for (const engine of ENGINES) {
  const skip = engine.name === 'postgres' && pgSkipReason !== undefined;
  describe.skipIf(skip)(`SqlAuditStore on ${engine.name}`, () => {
    let db: TestDb;
    let sql: Sql;
    let clock: ManualClock;
    let store: SqlAuditStore;

    beforeAll(async () => {
      db = await engine.make();
      sql = await openMigrated(db);
    });
    afterAll(async () => {
      await sql?.close();
      await db?.destroy();
    });
    beforeEach(async () => {
      await resetAudit(sql);
      clock = new ManualClock(T0);
      store = new SqlAuditStore(sql, clock, { pageSize: 7 });
    });

    it('appends a gapless chain and lists it back exactly as appended', async () => {
      const appended = [];
      for (let i = 1; i <= 5; i++) {
        appended.push(await store.append(entry(i)));
        clock.advance(1);
      }
      expect(appended.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(appended[0]?.prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < 5; i++) expect(appended[i]?.prevHash).toBe(appended[i - 1]?.hash);
      expect(appended[0]?.id).toMatch(/^aud_[0-9a-f]{32}$/);
      expect(appended[0]?.ts).toBe('2026-01-01T00:00:00.123000Z');
      expect(appended[4]?.ts).toBe('2026-01-01T00:00:00.127000Z');
      expect(appended[1]).toMatchObject({ decisionId: 'dec_2', jobId: 'job_2', attempt: 1 });
      expect(appended[0]).not.toHaveProperty('decisionId');
      expect(await store.list({})).toEqual(appended);
      expect(await store.verify()).toEqual({ ok: true, records: 5, headHash: appended[4]?.hash });
    });

    it('filters by kind, decision, incident, afterSeq and pages with limit', async () => {
      for (let i = 1; i <= 12; i++) await store.append(entry(i));
      expect((await store.list({ kind: 'anomaly' })).map((r) => r.seq)).toEqual([1, 3, 5, 7, 9, 11]);
      expect((await store.list({ decisionId: 'dec_4' })).map((r) => r.seq)).toEqual([4]);
      expect((await store.list({ incidentId: 'inc_0' })).map((r) => r.seq)).toEqual([3, 6, 9, 12]);
      expect((await store.list({ incidentId: 'inc_0', kind: 'decision.proposed' })).map((r) => r.seq)).toEqual([6, 12]);
      const pages: number[][] = [];
      let after = 0;
      for (;;) {
        const page = await store.list({ afterSeq: after, limit: 5 });
        if (page.length === 0) break;
        pages.push(page.map((r) => r.seq));
        after = page[page.length - 1]?.seq ?? after;
      }
      expect(pages).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
      expect(await store.list({ limit: 5000 })).toHaveLength(12);
      await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: 'invalid_limit' });
    });

    it('defaults list() to 100 records', async () => {
      await Promise.all(Array.from({ length: 105 }, (_, i) => store.append(entry(i))));
      expect(await store.list({})).toHaveLength(100);
    });

    it('stores JSON so that re-reading gives byte-identical canonical JSON and the same hash', async () => {
      const target = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'shop', name: 'cart' };
      const rec = await store.append(entry(1, { body: { ...TRICKY_BODY, gone: undefined }, target }));
      expect(rec.body).not.toHaveProperty('gone');
      const [back] = await store.list({});
      expect(back).toEqual(rec);
      expect(canonicalJson(back?.body)).toBe(canonicalJson(TRICKY_BODY));
      const { rows } = await sql.query<AuditRow & { body_text: string }>('select *, body::text as body_text from audit_log');
      const row = rows[0] as AuditRow & { body_text: string };
      expect(row.body_text).not.toBe(canonicalJson(TRICKY_BODY)); // jsonb really does rewrite it
      expect(hashRecord(row.prev_hash, rowFields(row))).toBe(row.hash);
      expect((await store.verify()).ok).toBe(true);
    });

    it('rejects bodies over 256 KiB and non-JSON values without appending', async () => {
      const big = { blob: 'x'.repeat(MAX_AUDIT_BODY_BYTES) };
      await expect(store.append(entry(1, { body: big }))).rejects.toMatchObject({ code: 'audit_body_too_large' });
      await expect(store.append(entry(1, { body: { score: Number.NaN } }))).rejects.toThrow(/body\.score/);
      await expect(store.append(entry(1, { body: { s: 'a\0b' } }))).rejects.toMatchObject({ code: 'audit_invalid_entry' });
      await expect(store.append(entry(1, { attempt: 1.5 }))).rejects.toBeInstanceOf(AppError);
      expect(await store.list({})).toEqual([]);
      expect((await store.append(entry(1))).seq).toBe(1);
    });

    it('keeps 50 concurrent appends gapless and verifiable', async () => {
      const recs = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(entry(i))));
      expect(recs.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await store.verify()).toMatchObject({ ok: true, records: 50 });
    });

    it('refuses UPDATE, DELETE and TRUNCATE on audit_log (append-only trigger)', async () => {
      await store.append(entry(1));
      await expect(sql.query('delete from audit_log')).rejects.toThrow(/append-only/);
      await expect(sql.query(`update audit_log set kind = 'x'`)).rejects.toThrow(/append-only/);
      await expect(sql.query('truncate audit_log')).rejects.toThrow(/append-only/);
    });

    it('rolls a transaction back and passes the thrown error through unchanged', async () => {
      const boom = new AppError('test_boom', 'boom');
      await expect(
        sql.transaction(async (tx) => {
          await tx.query(`insert into audit_checkpoint (id, seq, hash) values (1, 99, 'x')`);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect((await sql.query('select * from audit_checkpoint')).rows).toEqual([]);
    });

    it('answers ping()', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (engine.name === 'postgres') {
      it('keeps two replicas (separate pools) appending concurrently gapless', async () => {
        const sql2 = await db.open();
        try {
          const other = new SqlAuditStore(sql2, clock, { pageSize: 7 });
          const both = await Promise.all(
            Array.from({ length: 50 }, (_, i) => (i % 2 ? store : other).append(entry(i))),
          );
          expect(new Set(both.map((r) => r.seq)).size).toBe(50);
          expect(await store.verify()).toMatchObject({ ok: true, records: 50 });
        } finally {
          await sql2.close();
        }
      });

      it('runs migrations once when two replicas start at the same moment', async () => {
        const [a, b] = await Promise.all([db.open(), db.open()]);
        try {
          await sql.query('drop table schema_migrations');
          await sql.query('drop table audit_log, audit_checkpoint');
          const results = await Promise.all([migrate(a), migrate(b)]);
          expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
          const { rows } = await sql.query('select version from schema_migrations');
          expect(rows).toHaveLength(1);
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      });
    }
  });
}

describe('PGlite restart', () => {
  it('a re-opened store continues the chain', async () => {
    const db = await makePgliteDb();
    try {
      const clock = new ManualClock(T0);
      let sql = await openMigrated(db);
      let store = new SqlAuditStore(sql, clock, { checkpointKey: 'k', ownsSql: true });
      for (let i = 1; i <= 3; i++) await store.append(entry(i));
      const third = (await store.list({}))[2];
      await store.close();

      sql = await db.open();
      expect((await migrate(sql)).applied).toEqual([]);
      store = new SqlAuditStore(sql, clock, { checkpointKey: 'k', ownsSql: true });
      const fourth = await store.append(entry(4));
      expect(fourth.seq).toBe(4);
      expect(fourth.prevHash).toBe(third?.hash);
      expect(await store.verify()).toMatchObject({ ok: true, records: 4 });
      await store.close();
    } finally {
      await db.destroy();
    }
  });
});

describe('openDatabase', () => {
  it('fails fast with db_unavailable naming host:port but not the password', async () => {
    const url = 'postgres://aiops:s3cretpw@127.0.0.1:1/test';
    const err = await openDatabase({ databaseUrl: url, dataDir: '/tmp', connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'db_unavailable', retryable: true });
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('s3cretpw');
    expect(redactUrl(url)).toBe('postgres://aiops:***@127.0.0.1:1/test');
  });

  it('classifies connection errors, not SQL or application errors', () => {
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
    expect(isConnectionError(new AppError('audit_body_too_large', 'x'))).toBe(false);
  });

  it('refuses an unsafe schema name', async () => {
    await expect(openDatabase({ dataDir: '/tmp', schema: 'x; drop table y' })).rejects.toMatchObject({ code: 'config_invalid' });
  });
});
