/**
 * Hash-chained, append-only audit log in PostgreSQL or PGlite (tables from src/store/migrate.ts;
 * run `migrate(sql)` before constructing the store).
 *
 * append: one transaction holding pg_advisory_xact_lock(AUDIT_LOCK_KEY) reads the head, assigns the
 * next gapless seq, hashes the record (canonical.ts) and moves the single-row `audit_checkpoint`.
 * JSON columns are written as the canonical string and hashed as JSON.parse of that string, which is
 * exactly what reading the jsonb back yields (jsonb reorders keys and rewrites numbers, but parses to
 * the same values), so verify() recomputes identical hashes.
 *
 * The checkpoint is what detects a cut tail. With `checkpointKey` it carries an HMAC-SHA256 over
 * `seq:hash`; without a key it is unsigned and anyone with write access to the database can rewrite
 * it together with the log. append only advances a checkpoint that agrees with the head (or is ahead
 * of it: then the chain continues after the checkpoint and the missing records stay visible as a
 * gap), so tampering found by verify() is not erased by later appends.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Sql, SqlTx } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { AppError, badRequest } from '../lib/errors.js';
import { canonicalJson, CanonicalJsonError, GENESIS_HASH, hashRecord, type HashedFields } from './canonical.js';
import type { AuditEntry, AuditKind, AuditQuery, AuditRecord, AuditStore, AuditVerifyResult } from './types.js';
import { rowFields, verifyChain, type AuditRow, type Checkpoint } from './sql-audit-verify.js';

/** Key of the advisory lock that serialises appends across replicas ("aiopsd-audit"). */
export const AUDIT_LOCK_KEY = 0x61696f70_61756469n;
export const MAX_AUDIT_BODY_BYTES = 256 * 1024;
const MAX_LIST_LIMIT = 1000;
const COLUMNS = 'seq, id, ts, kind, actor, decision_id, incident_id, job_id, attempt, target, body, prev_hash, hash';

export interface SqlAuditStoreOptions {
  /** Secret for the checkpoint HMAC. Without it the checkpoint is unsigned. */
  checkpointKey?: string;
  /** Rows read per page by verify() (default 500). */
  pageSize?: number;
  /** When true, close() also closes the Sql handle (default false: the handle is shared). */
  ownsSql?: boolean;
}

interface Prepared {
  readonly kind: string;
  readonly actor: string;
  readonly target: string | null;
  readonly body: string;
  readonly decisionId: string | null;
  readonly incidentId: string | null;
  readonly jobId: string | null;
  readonly attempt: number | null;
}

export class SqlAuditStore implements AuditStore {
  private readonly key: string | undefined;
  private readonly pageSize: number;
  private readonly ownsSql: boolean;

  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
    opts: SqlAuditStoreOptions = {},
  ) {
    this.key = opts.checkpointKey === '' ? undefined : opts.checkpointKey;
    this.pageSize = Math.max(1, Math.floor(opts.pageSize ?? 500));
    this.ownsSql = opts.ownsSql ?? false;
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const p = prepare(entry);
    return this.sql.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY.toString()})`);
      const base = await this.chainBase(tx);
      const fields: HashedFields = {
        seq: base.seq + 1,
        id: `aud_${randomUUID().replaceAll('-', '')}`,
        ts: isoMicros(this.clock.nowMs()),
        kind: p.kind,
        actor: JSON.parse(p.actor),
        decisionId: p.decisionId,
        incidentId: p.incidentId,
        jobId: p.jobId,
        attempt: p.attempt,
        target: p.target === null ? null : JSON.parse(p.target),
        body: JSON.parse(p.body),
        prevHash: base.hash,
      };
      const hash = hashRecord(base.hash, fields);
      await tx.query(
        `insert into audit_log (${COLUMNS})
         values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13)`,
        [fields.seq, fields.id, fields.ts, p.kind, p.actor, p.decisionId, p.incidentId, p.jobId, p.attempt,
          p.target, p.body, base.hash, hash],
      );
      if (base.advanceCheckpoint) await this.writeCheckpoint(tx, fields.seq, hash);
      return toRecord(fields, hash);
    });
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sqlText: string, value: unknown): void => {
      params.push(value);
      where.push(`${sqlText} $${params.length}`);
    };
    if (query.kind !== undefined) add('kind =', query.kind);
    if (query.decisionId !== undefined) add('decision_id =', query.decisionId);
    if (query.incidentId !== undefined) add('incident_id =', query.incidentId);
    if (query.afterSeq !== undefined) add('seq >', query.afterSeq);
    params.push(listLimit(query.limit));
    const { rows } = await this.sql.query<AuditRow>(
      `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
       order by seq limit $${params.length}`,
      params,
    );
    return rows.map((r) => toRecord(rowFields(r), r.hash));
  }

  async verify(): Promise<AuditVerifyResult> {
    return this.sql.transaction(async (tx) => {
      // One snapshot: appends running meanwhile can't make the log and the checkpoint disagree.
      await tx.query('set transaction isolation level repeatable read, read only');
      const checkpoint = await readCheckpoint(tx);
      return verifyChain({
        checkpoint,
        checkpointMacOk: (cp) => this.macOk(cp),
        readPage: async (afterSeq) =>
          (await tx.query<AuditRow>(`select ${COLUMNS} from audit_log where seq > $1 order by seq limit $2`,
            [afterSeq, this.pageSize])).rows,
      });
    });
  }

  async ping(): Promise<void> {
    await this.sql.query('select 1');
  }

  async close(): Promise<void> {
    if (this.ownsSql) await this.sql.close();
  }

  /** Where the next record attaches: the head, or the checkpoint when the head is behind it. */
  private async chainBase(tx: SqlTx): Promise<{ seq: number; hash: string; advanceCheckpoint: boolean }> {
    const { rows } = await tx.query<{ seq: string | number; hash: string }>(
      'select seq, hash from audit_log order by seq desc limit 1',
    );
    const head = rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: GENESIS_HASH };
    const cp = await readCheckpoint(tx);
    if (cp === undefined) return { ...head, advanceCheckpoint: head.seq === 0 };
    if (!this.macOk(cp)) return { ...head, advanceCheckpoint: false };
    if (cp.seq === head.seq && cp.hash === head.hash) return { ...head, advanceCheckpoint: true };
    if (cp.seq > head.seq) return { seq: cp.seq, hash: cp.hash, advanceCheckpoint: true };
    // Checkpoint behind the head or disagreeing with it: keep it frozen as evidence for verify().
    return { ...head, advanceCheckpoint: false };
  }

  private async writeCheckpoint(tx: SqlTx, seq: number, hash: string): Promise<void> {
    await tx.query(
      `insert into audit_checkpoint (id, seq, hash, mac) values (1, $1, $2, $3)
       on conflict (id) do update set seq = excluded.seq, hash = excluded.hash, mac = excluded.mac`,
      [seq, hash, this.key === undefined ? null : checkpointMac(this.key, seq, hash)],
    );
  }

  /** Without a key every checkpoint is accepted (unsigned mode). */
  private macOk(cp: Checkpoint): boolean {
    if (this.key === undefined) return true;
    if (cp.mac === null) return false;
    const want = Buffer.from(checkpointMac(this.key, cp.seq, cp.hash), 'hex');
    const got = Buffer.from(cp.mac, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

export function checkpointMac(key: string, seq: number, hash: string): string {
  return createHmac('sha256', key).update(`${seq}:${hash}`).digest('hex');
}

async function readCheckpoint(tx: SqlTx): Promise<Checkpoint | undefined> {
  const { rows } = await tx.query<{ seq: string | number; hash: string; mac: string | null }>(
    'select seq, hash, mac from audit_checkpoint where id = 1',
  );
  const r = rows[0];
  return r ? { seq: Number(r.seq), hash: r.hash, mac: r.mac } : undefined;
}

/** ISO 8601 UTC with 6 fractional digits; a millisecond clock gives microseconds 000. */
export function isoMicros(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000);
  return `${new Date(whole).toISOString().slice(0, -1)}${String(Math.min(micros, 999)).padStart(3, '0')}Z`;
}

function listLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1) throw badRequest('invalid_limit', 'limit must be a positive integer');
  return Math.min(limit, MAX_LIST_LIMIT);
}

function prepare(entry: AuditEntry): Prepared {
  if (entry.body === null || typeof entry.body !== 'object' || Array.isArray(entry.body)) {
    throw badRequest('audit_invalid_entry', 'audit body must be a JSON object');
  }
  const body = toJson(entry.body, 'body');
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_AUDIT_BODY_BYTES) {
    throw new AppError('audit_body_too_large', `audit body is ${bytes} bytes; the limit is ${MAX_AUDIT_BODY_BYTES}`, {
      httpStatus: 413,
      details: { bytes, limit: MAX_AUDIT_BODY_BYTES },
    });
  }
  if (entry.attempt !== undefined && !(Number.isInteger(entry.attempt) && entry.attempt >= 0 && entry.attempt < 2 ** 31)) {
    throw badRequest('audit_invalid_entry', `attempt must be a non-negative 32-bit integer, got ${entry.attempt}`);
  }
  if (typeof entry.kind !== 'string' || (entry.kind as string) === '') throw badRequest('audit_invalid_entry', 'kind is required');
  if (typeof entry.actor?.id !== 'string' || typeof entry.actor.type !== 'string') {
    throw badRequest('audit_invalid_entry', 'actor needs a type and an id');
  }
  return {
    kind: text(entry.kind, 'kind'),
    actor: toJson(entry.actor, 'actor'),
    target: entry.target === undefined ? null : toJson(entry.target, 'target'),
    body,
    decisionId: optText(entry.decisionId, 'decisionId'),
    incidentId: optText(entry.incidentId, 'incidentId'),
    jobId: optText(entry.jobId, 'jobId'),
    attempt: entry.attempt ?? null,
  };
}

/** Canonical JSON that PostgreSQL can store: jsonb refuses \u0000 in strings. */
function toJson(value: unknown, field: string): string {
  let json: string;
  try {
    json = canonicalJson(value);
  } catch (err) {
    if (err instanceof CanonicalJsonError) {
      throw badRequest('audit_invalid_entry', `audit ${field} is ${err.message.replace(' at $', ` at ${field}`)}`);
    }
    throw err;
  }
  if (json.includes('\\u0000')) throw badRequest('audit_invalid_entry', `${field} contains a NUL character`);
  return json;
}

function text(value: string, field: string): string {
  if (value.includes('\0')) throw badRequest('audit_invalid_entry', `${field} contains a NUL character`);
  return value;
}

function optText(value: string | undefined, field: string): string | null {
  return value === undefined ? null : text(String(value), field);
}

/** A stored row's fields as the AuditRecord callers see (also used by the API's search queries). */
export function toRecord(f: HashedFields, hash: string): AuditRecord {
  return {
    seq: f.seq,
    id: f.id,
    ts: f.ts,
    kind: f.kind as AuditKind,
    actor: f.actor as AuditRecord['actor'],
    ...(f.decisionId !== null && { decisionId: f.decisionId }),
    ...(f.incidentId !== null && { incidentId: f.incidentId }),
    ...(f.jobId !== null && { jobId: f.jobId }),
    ...(f.attempt !== null && { attempt: f.attempt }),
    ...(f.target !== null && { target: f.target as NonNullable<AuditRecord['target']> }),
    body: f.body as AuditRecord['body'],
    prevHash: f.prevHash,
    hash,
  };
}
