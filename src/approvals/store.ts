import type { Sql, SqlTx } from '../store/db.js';
import type { Migration } from '../store/migrate.js';
import type { Risk } from '../domain/types.js';

/** pending → approved | rejected | expired | held | void (target changed). Only pending changes. */
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'held' | 'void';
export type ApprovalChannel = 'api' | 'web' | 'cli' | 'slack';

export interface Vote {
  /** Person identity (same across channels). */
  readonly by: string;
  readonly method: string;
  readonly channel: ApprovalChannel;
  readonly reason: string;
  readonly atMs: number;
}

export interface ApprovalRow {
  readonly decisionId: string;
  readonly incidentId: string;
  readonly actionHash: string;
  readonly targetVersion: string | null;
  readonly risk: Risk;
  readonly required: number;
  readonly proposer: string;
  readonly state: ApprovalState;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly updatedAtMs: number;
  readonly approvals: readonly Vote[];
  readonly refusals: readonly Vote[];
  readonly outcomeReason: string | null;
}

/**
 * Tables for approvals. The lead appends this to the migration list with the next free version:
 * `approvalsMigration(N)`.
 */
export function approvalsMigration(version: number): Migration {
  return {
    version,
    name: 'approvals',
    statements: [
      `create table if not exists approvals (
        decision_id text primary key,
        incident_id text not null,
        action_hash text not null,
        target_version text,
        risk text not null,
        required int not null check (required >= 1),
        proposer text not null,
        state text not null,
        created_at_ms bigint not null,
        expires_at_ms bigint not null,
        updated_at_ms bigint not null,
        approvals jsonb not null default '[]'::jsonb,
        refusals jsonb not null default '[]'::jsonb,
        outcome_reason text
      )`,
      'create index if not exists approvals_state_idx on approvals (state, expires_at_ms)',
      // (decision id, slack user id, action_ts) and similar keys: a replayed click records nothing new
      `create table if not exists approval_dedupe (
        key text primary key,
        decision_id text not null,
        created_at_ms bigint not null
      )`,
      // where the Slack message for a decision or incident lives, so it is updated in place
      `create table if not exists slack_messages (
        ref text primary key,
        channel text not null,
        ts text not null,
        updated_at_ms bigint not null
      )`,
    ],
  };
}

interface Row {
  decision_id: string;
  incident_id: string;
  action_hash: string;
  target_version: string | null;
  risk: string;
  required: number;
  proposer: string;
  state: string;
  created_at_ms: string | number;
  expires_at_ms: string | number;
  updated_at_ms: string | number;
  approvals: Vote[] | string;
  refusals: Vote[] | string;
  outcome_reason: string | null;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function fromRow(r: Row): ApprovalRow {
  return {
    decisionId: r.decision_id,
    incidentId: r.incident_id,
    actionHash: r.action_hash,
    targetVersion: r.target_version,
    risk: r.risk === 'high' ? 'high' : 'low',
    required: Number(r.required),
    proposer: r.proposer,
    state: r.state as ApprovalState,
    createdAtMs: Number(r.created_at_ms),
    expiresAtMs: Number(r.expires_at_ms),
    updatedAtMs: Number(r.updated_at_ms),
    approvals: json(r.approvals),
    refusals: json(r.refusals),
    outcomeReason: r.outcome_reason,
  };
}

/** SQL for the approvals table; every mutation happens inside a caller's transaction. */
export class ApprovalStore {
  constructor(readonly sql: Sql) {}

  async insert(row: Omit<ApprovalRow, 'approvals' | 'refusals' | 'outcomeReason' | 'updatedAtMs'>): Promise<boolean> {
    const { rows } = await this.sql.query<{ decision_id: string }>(
      `insert into approvals (decision_id, incident_id, action_hash, target_version, risk, required, proposer, state, created_at_ms, expires_at_ms, updated_at_ms)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$9) on conflict (decision_id) do nothing returning decision_id`,
      [row.decisionId, row.incidentId, row.actionHash, row.targetVersion, row.risk, row.required, row.proposer, row.state, row.createdAtMs, row.expiresAtMs],
    );
    return rows.length === 1;
  }

  async get(decisionId: string, tx: SqlTx = this.sql): Promise<ApprovalRow | undefined> {
    const { rows } = await tx.query<Row>('select * from approvals where decision_id = $1', [decisionId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async lock(tx: SqlTx, decisionId: string): Promise<ApprovalRow | undefined> {
    const { rows } = await tx.query<Row>('select * from approvals where decision_id = $1 for update', [decisionId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Claims a dedupe key; false when it was already taken (a replay). */
  async claimKey(tx: SqlTx, key: string, decisionId: string, nowMs: number): Promise<boolean> {
    const { rows } = await tx.query<{ key: string }>(
      'insert into approval_dedupe (key, decision_id, created_at_ms) values ($1,$2,$3) on conflict (key) do nothing returning key',
      [key, decisionId, nowMs],
    );
    return rows.length === 1;
  }

  async update(tx: SqlTx, decisionId: string, patch: { state: ApprovalState; approvals: readonly Vote[]; refusals: readonly Vote[]; outcomeReason: string | null; nowMs: number }): Promise<void> {
    await tx.query(
      `update approvals set state = $2, approvals = $3::jsonb, refusals = $4::jsonb, outcome_reason = $5, updated_at_ms = $6 where decision_id = $1`,
      [decisionId, patch.state, JSON.stringify(patch.approvals), JSON.stringify(patch.refusals), patch.outcomeReason, patch.nowMs],
    );
  }

  /** pending → state for every approval past its expiry; returns the rows changed. */
  async expireDue(tx: SqlTx, nowMs: number, state: 'expired' | 'held'): Promise<ApprovalRow[]> {
    const { rows } = await tx.query<Row>(
      `update approvals set state = $2, updated_at_ms = $1, outcome_reason = 'no decision before expiry'
       where state = 'pending' and expires_at_ms <= $1 returning *`,
      [nowMs, state],
    );
    return rows.map(fromRow);
  }

  async list(query: { state?: ApprovalState; limit?: number } = {}): Promise<ApprovalRow[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const { rows } = query.state
      ? await this.sql.query<Row>('select * from approvals where state = $1 order by created_at_ms desc limit $2', [query.state, limit])
      : await this.sql.query<Row>('select * from approvals order by created_at_ms desc limit $1', [limit]);
    return rows.map(fromRow);
  }

  /** Approved approvals whose decision is still `approved` (not yet queued): a crash between the two. */
  async approvedNotQueued(): Promise<string[]> {
    const { rows } = await this.sql.query<{ decision_id: string }>(
      `select a.decision_id from approvals a join decisions d on d.id = a.decision_id where a.state = 'approved' and d.status = 'approved'`,
    );
    return rows.map((r) => r.decision_id);
  }
}
