import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashRecord } from '../../../src/audit/canonical.js';
import { SqlAuditStore } from '../../../src/audit/sql-audit-store.js';
import { rowFields, type AuditRow } from '../../../src/audit/sql-audit-verify.js';
import type { AuditRecord } from '../../../src/audit/types.js';
import { runAuditVerify } from '../../../src/audit/verify-command.js';
import { ManualClock } from '../../../src/lib/clock.js';
import type { Sql } from '../../../src/store/db.js';
import { ENGINES, openMigrated, pgSkipReason, resetAudit, tamper, type TestDb } from './engines.js';

const KEY = 'test-checkpoint-key';

for (const engine of ENGINES) {
  const skip = engine.name === 'postgres' && pgSkipReason !== undefined;
  describe.skipIf(skip)(`audit tampering is detected on ${engine.name}`, () => {
    let db: TestDb;
    let sql: Sql;
    let store: SqlAuditStore;
    let recs: AuditRecord[];

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
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      store = new SqlAuditStore(sql, clock, { pageSize: 3, checkpointKey: KEY });
      recs = [];
      for (let i = 1; i <= 10; i++) {
        recs.push(
          await store.append({
            kind: 'action.executed',
            actor: { type: 'service_account', id: 'sa', authMethod: 'token' },
            decisionId: `dec_${i}`,
            jobId: `job_${i}`,
            attempt: 1,
            body: { note: `record-${i}`, params: { minReplicas: i } },
          }),
        );
        clock.advance(1000);
      }
    });

    it('untouched: OK with the head hash', async () => {
      expect(await store.verify()).toEqual({ ok: true, records: 10, headHash: recs[9]?.hash });
      const out = await runAuditVerify(store);
      expect(out).toEqual({ exitCode: 0, text: `audit chain OK: 10 records, head ${recs[9]?.hash.slice(0, 12)}` });
    });

    it('one changed byte in the body of record 3 names seq 3', async () => {
      await tamper(sql, `update audit_log set body = replace(body::text, 'record-3', 'record-4')::jsonb where seq = 3`);
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 3, records: 2, reason: expect.stringMatching(/hash mismatch/) });
      const out = await runAuditVerify(store);
      expect(out.exitCode).toBe(1);
      expect(out.text).toMatch(/^audit chain BROKEN at seq 3: hash mismatch/);
    });

    it.each([
      ['ts', `ts = replace(ts, '00:00:02', '00:00:03')`],
      ['kind', `kind = 'action.failed'`],
      ['actor', `actor = jsonb_set(actor, '{id}', '"sb"')`],
      ['decision_id', `decision_id = 'dec_x'`],
      ['job_id', `job_id = null`],
      ['attempt', 'attempt = 2'],
      ['target', `target = '{}'::jsonb`],
      ['id', `id = 'aud_forged'`],
      ['prev_hash', `prev_hash = repeat('0', 64)`],
      ['hash', `hash = repeat('a', 64)`],
    ])('a change to column %s of record 3 names seq 3', async (_col, set) => {
      await tamper(sql, `update audit_log set ${set} where seq = 3`);
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 3 });
    });

    it('a deleted row is named', async () => {
      await tamper(sql, 'delete from audit_log where seq = 3');
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringMatching(/seq gap/) });
    });

    it('deleting record 1 is named', async () => {
      await tamper(sql, 'delete from audit_log where seq = 1');
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 1 });
    });

    it('swapping two rows (reorder) is named', async () => {
      await tamper(
        sql,
        'update audit_log set seq = seq + 1000 where seq in (4, 5)',
        'update audit_log set seq = case seq when 1004 then 5 else 4 end where seq in (1004, 1005)',
      );
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringMatching(/hash mismatch/) });
    });

    it('swapping contents but keeping seq is named', async () => {
      await tamper(
        sql,
        `update audit_log a set body = b.body from audit_log b where (a.seq, b.seq) in ((6, 7), (7, 6))`,
      );
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 6 });
    });

    it('a rewritten record with a recomputed hash is caught by the next link', async () => {
      const r3 = recs[2] as AuditRecord;
      // The attacker rewrites seq 3 and recomputes its hash: only the link from seq 4 can show it.
      const { rows } = await sql.query<AuditRow>('select * from audit_log where seq = 3');
      const fields = { ...rowFields(rows[0] as AuditRow), body: { note: 'forged' } };
      const h = hashRecord(r3.prevHash, fields);
      await tamper(sql, `update audit_log set body = '{"note":"forged"}', hash = '${h}' where seq = 3`);
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringMatching(/prev_hash/) });
    });

    it('cutting the tail (last 2 rows) reports tail_cut naming the checkpoint seq', async () => {
      await tamper(sql, 'delete from audit_log where seq > 8');
      const res = await store.verify();
      expect(res).toMatchObject({ ok: false, firstBadSeq: 9, records: 8 });
      expect(res.ok || res.reason).toMatch(/^tail_cut: .*checkpoint records seq 10/);
      // A later append must not hide the cut: the chain continues after the checkpoint, leaving a gap.
      const next = await store.append({ kind: 'killswitch', actor: { type: 'system', id: 'aiopsd' }, body: {} });
      expect(next.seq).toBe(11);
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 9, reason: expect.stringMatching(/seq gap/) });
    });

    it('cutting the tail and forging an unsigned checkpoint is caught when a key is set', async () => {
      await tamper(
        sql,
        'delete from audit_log where seq > 8',
        `update audit_checkpoint set seq = 8, hash = '${recs[7]?.hash}', mac = null`,
      );
      expect(await store.verify()).toMatchObject({ ok: false, firstBadSeq: 8, reason: expect.stringMatching(/signature/) });
      // ...and appends leave the forged checkpoint alone, so the evidence stays.
      await store.append({ kind: 'killswitch', actor: { type: 'system', id: 'aiopsd' }, body: {} });
      expect((await store.verify()).ok).toBe(false);
    });

    it('without a key, a cut tail with a rewritten checkpoint goes unnoticed (documented limit)', async () => {
      const unsigned = new SqlAuditStore(sql, new ManualClock(0));
      await tamper(sql, 'delete from audit_log where seq > 8', `update audit_checkpoint set seq = 8, hash = '${recs[7]?.hash}'`);
      expect(await unsigned.verify()).toMatchObject({ ok: true, records: 8 });
    });

    it('a deleted checkpoint is reported', async () => {
      await tamper(sql, 'delete from audit_checkpoint');
      expect(await store.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/checkpoint missing/) });
    });
  });
}
