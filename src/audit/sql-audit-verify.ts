/**
 * Walks the audit chain page by page (never the whole table at once) and returns the FIRST bad
 * sequence number. Checks per record, in this order: seq gap (a deleted record), hash mismatch (any
 * changed byte in any column, or a record moved to another seq), prev_hash not equal to the previous
 * record's hash (deleted/reordered/rewritten neighbour). Then the tail against the checkpoint.
 */
import { errorMessage } from '../lib/errors.js';
import { GENESIS_HASH, hashRecord, type HashedFields } from './canonical.js';
import type { AuditVerifyResult } from './types.js';

/** One audit_log row as the drivers return it (pg gives bigint as string, PGlite as number). */
export interface AuditRow {
  seq: string | number;
  id: string;
  ts: string;
  kind: string;
  actor: unknown;
  decision_id: string | null;
  incident_id: string | null;
  job_id: string | null;
  attempt: number | null;
  target: unknown;
  body: unknown;
  prev_hash: string;
  hash: string;
}

export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly mac: string | null;
}

export interface VerifyChainInput {
  readonly checkpoint: Checkpoint | undefined;
  checkpointMacOk(cp: Checkpoint): boolean;
  /** Rows with seq > afterSeq in seq order, at most one page. */
  readPage(afterSeq: number): Promise<AuditRow[]>;
}

export function rowFields(r: AuditRow): HashedFields {
  return {
    seq: Number(r.seq),
    id: r.id,
    ts: r.ts,
    kind: r.kind,
    actor: r.actor,
    decisionId: r.decision_id,
    incidentId: r.incident_id,
    jobId: r.job_id,
    attempt: r.attempt === null ? null : Number(r.attempt),
    target: r.target,
    body: r.body,
    prevHash: r.prev_hash,
  };
}

const short = (h: string): string => String(h).slice(0, 12);

function broken(records: number, firstBadSeq: number, reason: string): AuditVerifyResult {
  return { ok: false, records, firstBadSeq, reason };
}

export async function verifyChain(input: VerifyChainInput): Promise<AuditVerifyResult> {
  const cp = input.checkpoint;
  let records = 0;
  let prevHash = GENESIS_HASH;
  let hashAtCheckpoint: string | undefined;
  for (;;) {
    const page = await input.readPage(records);
    if (page.length === 0) break;
    for (const row of page) {
      const bad = checkRow(row, records + 1, prevHash);
      if (bad) return broken(records, bad.seq, bad.reason);
      records += 1;
      prevHash = row.hash;
      if (cp !== undefined && records === cp.seq) hashAtCheckpoint = row.hash;
    }
  }
  return checkTail(records, prevHash, hashAtCheckpoint, input);
}

function checkRow(row: AuditRow, expectedSeq: number, prevHash: string): { seq: number; reason: string } | undefined {
  const seq = Number(row.seq);
  if (seq !== expectedSeq) {
    return { seq: expectedSeq, reason: `seq gap: record ${expectedSeq} is missing (the next record is seq ${seq})` };
  }
  let actual: string;
  try {
    actual = hashRecord(row.prev_hash, rowFields(row));
  } catch (err) {
    return { seq, reason: `record unreadable: ${errorMessage(err)}` };
  }
  if (actual !== row.hash) {
    return { seq, reason: `hash mismatch: stored ${short(row.hash)}…, content hashes to ${short(actual)}… (record changed)` };
  }
  if (row.prev_hash !== prevHash) {
    const prev = seq === 1 ? 'the genesis hash' : `the hash of seq ${seq - 1}`;
    return {
      seq,
      reason: `prev_hash ${short(row.prev_hash)}… does not match ${prev} (${short(prevHash)}…): a record was deleted, reordered or rewritten`,
    };
  }
  return undefined;
}

function checkTail(
  lastSeq: number,
  headHash: string,
  hashAtCheckpoint: string | undefined,
  input: VerifyChainInput,
): AuditVerifyResult {
  const cp = input.checkpoint;
  if (cp === undefined) {
    return lastSeq === 0
      ? { ok: true, records: 0, headHash }
      : broken(lastSeq, lastSeq + 1, `checkpoint missing: the log has ${lastSeq} records but no checkpoint, so a cut tail cannot be ruled out`);
  }
  if (!input.checkpointMacOk(cp)) {
    return broken(lastSeq, cp.seq, `checkpoint signature invalid (checkpoint seq ${cp.seq})`);
  }
  if (lastSeq < cp.seq) {
    return broken(lastSeq, lastSeq + 1, `tail_cut: the log ends at seq ${lastSeq} but the checkpoint records seq ${cp.seq}`);
  }
  if (hashAtCheckpoint !== cp.hash) {
    return broken(lastSeq, cp.seq, `tail_cut: the hash of seq ${cp.seq} differs from the checkpoint (tail rewritten)`);
  }
  if (lastSeq > cp.seq) {
    return broken(lastSeq, cp.seq + 1, `checkpoint behind the log: records after seq ${cp.seq} are not covered by the checkpoint`);
  }
  return { ok: true, records: lastSeq, headHash };
}
