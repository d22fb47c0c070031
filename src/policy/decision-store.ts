import type { Sql } from '../store/db.js';
import type { ActionResult, ActionSpec, Anomaly, Decision, DecisionStatus, Risk } from '../domain/types.js';

export interface DecisionQuery {
  readonly status?: DecisionStatus;
  readonly limit?: number;
}

/**
 * Decisions live in PostgreSQL/PGlite so every replica (and a restarted one) sees the same state.
 * `claim` is the execution ledger: one conditional UPDATE moves a decision from queued to
 * executing, so when a job is delivered twice only one delivery gets to act.
 */
export class DecisionStore {
  constructor(private readonly sql: Sql) {}

  async insert(d: Decision): Promise<void> {
    await this.sql.query(
      `insert into decisions (id, incident_id, rule, status, dry_run, created_at_ms, updated_at_ms, action, evidence, reason, risk, requires_approval)
       values ($1,$2,$3,$4,$5,$6,$6,$7,$8,$9,$10,$11) on conflict (id) do nothing`,
      [d.id, d.incidentId, d.rule, d.status, d.dryRun, d.createdAtMs, JSON.stringify(d.action), JSON.stringify(d.evidence), d.reason ?? null, d.risk ?? 'low', d.requiresApproval ?? false],
    );
  }

  async setStatus(id: string, status: DecisionStatus, nowMs: number, reason?: string): Promise<void> {
    await this.sql.query('update decisions set status = $2, updated_at_ms = $3, reason = coalesce($4, reason) where id = $1', [id, status, nowMs, reason ?? null]);
  }

  /**
   * queued → executing, atomically. Returns the decision when this caller won the claim.
   * @deprecated the worker claims through ExecutionLedger.claim (ledger row in the same transaction).
   */
  async claim(id: string, nowMs: number): Promise<Decision | undefined> {
    const { rows } = await this.sql.query<DecisionRow>(
      `update decisions set status = 'executing', updated_at_ms = $2 where id = $1 and status = 'queued' returning *`,
      [id, nowMs],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async finish(id: string, status: 'executed' | 'failed', result: ActionResult, nowMs: number, reason?: string): Promise<void> {
    await this.sql.query('update decisions set status = $2, result = $3, updated_at_ms = $4, reason = coalesce($5, reason) where id = $1', [
      id,
      status,
      JSON.stringify(result),
      nowMs,
      reason ?? null,
    ]);
  }

  async get(id: string): Promise<Decision | undefined> {
    const { rows } = await this.sql.query<DecisionRow>('select * from decisions where id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Decisions in any of `statuses`, newest first (the dead-letter view uses failed + held). */
  async listByStatuses(statuses: readonly DecisionStatus[], limit = 100): Promise<Decision[]> {
    const { rows } = await this.sql.query<DecisionRow>('select * from decisions where status = any($1::text[]) order by updated_at_ms desc, id limit $2', [
      statuses,
      Math.min(Math.max(limit, 1), 1000),
    ]);
    return rows.map(fromRow);
  }

  async list(query: DecisionQuery = {}): Promise<Decision[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const { rows } = query.status
      ? await this.sql.query<DecisionRow>('select * from decisions where status = $1 order by created_at_ms desc, id limit $2', [query.status, limit])
      : await this.sql.query<DecisionRow>('select * from decisions order by created_at_ms desc, id limit $1', [limit]);
    return rows.map(fromRow);
  }
}

export interface DecisionRow {
  id: string;
  incident_id: string;
  rule: string;
  status: DecisionStatus;
  dry_run: boolean;
  created_at_ms: string | number;
  action: ActionSpec | string;
  evidence: Anomaly[] | string;
  result: ActionResult | string | null;
  reason: string | null;
  /** Present once the guardrails migration ran. */
  risk?: Risk | null;
  requires_approval?: boolean | null;
  updated_at_ms?: string | number;
}

function json<T>(v: T | string): T {
  return typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

export function decisionFromRow(r: DecisionRow): Decision {
  return fromRow(r);
}

function fromRow(r: DecisionRow): Decision {
  const d: Decision = {
    id: r.id,
    incidentId: r.incident_id,
    rule: r.rule,
    status: r.status,
    dryRun: r.dry_run,
    createdAtMs: Number(r.created_at_ms),
    action: json(r.action),
    evidence: json(r.evidence),
    ...(r.risk != null && { risk: r.risk }),
    ...(r.requires_approval != null && { requiresApproval: r.requires_approval }),
  };
  if (r.reason !== null) d.reason = r.reason;
  if (r.result !== null) d.result = json(r.result);
  return d;
}

export const DECISIONS_MIGRATION = {
  version: 2,
  name: 'decisions',
  statements: [
    `create table if not exists decisions (
      id text primary key,
      incident_id text not null,
      rule text not null,
      status text not null,
      dry_run boolean not null,
      created_at_ms bigint not null,
      updated_at_ms bigint not null,
      action jsonb not null,
      evidence jsonb not null,
      result jsonb,
      reason text
    )`,
    'create index if not exists decisions_created_idx on decisions (created_at_ms desc)',
    'create index if not exists decisions_status_idx on decisions (status, created_at_ms desc)',
  ],
} as const;
