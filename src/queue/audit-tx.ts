/**
 * Append one audit record inside a caller's SQL transaction, so the record and the state change it
 * describes (the execution ledger row) commit together or not at all.
 *
 * This mirrors SqlAuditStore.append (src/audit/sql-audit-store.ts) exactly: the same advisory lock,
 * the same chain base and checkpoint rules, the same canonical JSON and hash (src/audit/canonical.ts),
 * so `aiopsd audit verify` accepts these records. If SqlAuditStore gains an `appendInTx(tx, entry)`,
 * this file should delegate to it instead.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { SqlTx } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { canonicalJson, GENESIS_HASH, hashRecord, type HashedFields } from '../audit/canonical.js';
import { AUDIT_LOCK_KEY, checkpointMac, isoMicros, MAX_AUDIT_BODY_BYTES } from '../audit/sql-audit-store.js';
import { redactSecrets } from '../audit/auditor.js';
import type { AuditEntry } from '../audit/types.js';
import { AppError } from '../lib/errors.js';

const COLUMNS = 'seq, id, ts, kind, actor, decision_id, incident_id, job_id, attempt, target, body, prev_hash, hash';

export interface TxAuditOptions {
  /** The same `audit.checkpointKey` the SqlAuditStore uses (or undefined for unsigned). */
  readonly checkpointKey?: string | undefined;
}

export async function appendAuditInTx(tx: SqlTx, entry: AuditEntry, clock: Clock, opts: TxAuditOptions = {}): Promise<{ seq: number; hash: string }> {
  const key = opts.checkpointKey === '' ? undefined : opts.checkpointKey;
  const actor = canonicalJson(entry.actor);
  const target = entry.target === undefined ? null : canonicalJson(entry.target);
  const body = canonicalJson(redactSecrets(entry.body));
  if (Buffer.byteLength(body, 'utf8') > MAX_AUDIT_BODY_BYTES) throw new AppError('audit_body_too_large', 'audit body too large');
  if (body.includes('\\u0000')) throw new AppError('audit_invalid_entry', 'body contains a NUL character');
  await tx.query(`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY.toString()})`);
  const base = await chainBase(tx, key);
  const fields: HashedFields = {
    seq: base.seq + 1,
    id: `aud_${randomUUID().replaceAll('-', '')}`,
    ts: isoMicros(clock.nowMs()),
    kind: entry.kind,
    actor: JSON.parse(actor),
    decisionId: entry.decisionId ?? null,
    incidentId: entry.incidentId ?? null,
    jobId: entry.jobId ?? null,
    attempt: entry.attempt ?? null,
    target: target === null ? null : JSON.parse(target),
    body: JSON.parse(body),
    prevHash: base.hash,
  };
  const hash = hashRecord(base.hash, fields);
  await tx.query(
    `insert into audit_log (${COLUMNS})
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13)`,
    [fields.seq, fields.id, fields.ts, entry.kind, actor, fields.decisionId, fields.incidentId, fields.jobId, fields.attempt, target, body, base.hash, hash],
  );
  if (base.advanceCheckpoint) {
    await tx.query(
      `insert into audit_checkpoint (id, seq, hash, mac) values (1, $1, $2, $3)
       on conflict (id) do update set seq = excluded.seq, hash = excluded.hash, mac = excluded.mac`,
      [fields.seq, hash, key === undefined ? null : checkpointMac(key, fields.seq, hash)],
    );
  }
  return { seq: fields.seq, hash };
}

async function chainBase(tx: SqlTx, key: string | undefined): Promise<{ seq: number; hash: string; advanceCheckpoint: boolean }> {
  const { rows } = await tx.query<{ seq: string | number; hash: string }>('select seq, hash from audit_log order by seq desc limit 1');
  const head = rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: GENESIS_HASH };
  const cps = await tx.query<{ seq: string | number; hash: string; mac: string | null }>('select seq, hash, mac from audit_checkpoint where id = 1');
  const c = cps.rows[0];
  if (c === undefined) return { ...head, advanceCheckpoint: head.seq === 0 };
  const cp = { seq: Number(c.seq), hash: c.hash, mac: c.mac };
  if (!macOk(key, cp)) return { ...head, advanceCheckpoint: false };
  if (cp.seq === head.seq && cp.hash === head.hash) return { ...head, advanceCheckpoint: true };
  if (cp.seq > head.seq) return { seq: cp.seq, hash: cp.hash, advanceCheckpoint: true };
  return { ...head, advanceCheckpoint: false };
}

function macOk(key: string | undefined, cp: { seq: number; hash: string; mac: string | null }): boolean {
  if (key === undefined) return true;
  if (cp.mac === null) return false;
  const want = Buffer.from(checkpointMac(key, cp.seq, cp.hash), 'hex');
  const got = Buffer.from(cp.mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
