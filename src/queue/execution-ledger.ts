import { randomUUID } from 'node:crypto';
import type { Sql, SqlTx } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { ActionResult, Decision, DecisionStatus } from '../domain/types.js';
import { SYSTEM_ACTOR } from '../audit/auditor.js';
import type { AuditEntry } from '../audit/types.js';
import { decisionFromRow, type DecisionRow } from '../policy/decision-store.js';
import { appendAuditInTx, type TxAuditOptions } from './audit-tx.js';

export type LedgerState = 'claimed' | 'started' | 'released' | 'done' | 'failed' | 'held';

export interface LedgerRow {
  readonly decisionId: string;
  readonly claimedBy: string;
  readonly claimedAtMs: number;
  readonly attempt: number;
  readonly state: LedgerState;
  readonly sideEffectStarted: boolean;
  readonly leaseUntilMs: number;
  readonly outcome: string | undefined;
}

/** A worker's hold on one decision. The token fences it: a claim taken over is dead for its old holder. */
export interface LedgerClaim {
  readonly decision: Decision;
  readonly token: string;
  readonly attempt: number;
  readonly workerId: string;
  readonly jobId: string;
  readonly jobAttempt: number;
  /** True when this claim took over from a worker that died before any side effect. */
  readonly takeover: boolean;
}

export type ClaimOutcome =
  | { readonly kind: 'claimed'; readonly claim: LedgerClaim }
  /** Already finished (or never queued): nothing to do. */
  | { readonly kind: 'noop'; readonly status: DecisionStatus | 'missing' }
  /** Another live worker holds it; look again after `retryAfterMs`. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number; readonly holder: string }
  /** Side effects had started and the worker vanished without an outcome: held for a person (now audited). */
  | { readonly kind: 'held'; readonly decision: Decision; readonly reason: string };

export interface ExecutionLedgerOptions extends TxAuditOptions {
  /** How long a claim stays valid without a heartbeat (the worker renews it every third of this). */
  readonly leaseMs: number;
  /** Called after a decision was held because its worker died mid-action (page someone). */
  readonly onHeld?: (decision: Decision, reason: string) => void | Promise<void>;
}

/** Thrown when a claim was taken over (its holder stalled past its lease): the holder must stop. */
export class ClaimLostError extends AppError {
  constructor(decisionId: string) {
    super('claim_lost', `the execution claim on decision ${decisionId} was taken over; not executing`, { retryable: false });
  }
}

const ACTIVE: LedgerState[] = ['claimed', 'started'];

interface Row {
  decision_id: string;
  claimed_by: string;
  claim_token: string;
  claimed_at_ms: string | number;
  attempt: number;
  state: LedgerState;
  side_effect_started: boolean;
  lease_until_ms: string | number;
  outcome: string | null;
}

/**
 * The execution ledger (table execution_ledger): one row per decision that a worker claimed.
 *
 *  - claim: in ONE transaction, decisions queued → executing (conditional UPDATE) and the ledger row
 *    (insert, or re-claim of a released row). A re-delivered job whose decision is still executing
 *    looks at the ledger: a live lease → busy; an expired lease before any side effect → take over
 *    with a new fencing token; an expired lease after side effects started → held and paged, never
 *    re-run blindly.
 *  - beginSideEffect: in ONE transaction, the ledger row claimed → started (only with the current
 *    token) and the 'action.executing' audit record. Called right before the first write.
 *  - finish / release: fenced by the token.
 */
export class ExecutionLedger {
  get leaseMs(): number {
    return this.options.leaseMs;
  }

  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
    private readonly options: ExecutionLedgerOptions,
  ) {}

  async claim(decisionId: string, workerId: string, job: { jobId: string; attempt: number }): Promise<ClaimOutcome> {
    const now = this.clock.nowMs();
    const token = randomUUID();
    const leaseUntil = now + this.options.leaseMs;
    const result = await this.sql.transaction(async (tx): Promise<ClaimOutcome | { kind: 'hold'; decision: Decision; reason: string }> => {
      const won = await tx.query<DecisionRow>(`update decisions set status = 'executing', updated_at_ms = $2 where id = $1 and status = 'queued' returning *`, [decisionId, now]);
      if (won.rows[0]) {
        const decision = decisionFromRow(won.rows[0]);
        const { rows } = await tx.query<{ attempt: number }>(
          `insert into execution_ledger (decision_id, claimed_by, claim_token, claimed_at_ms, attempt, state, side_effect_started, lease_until_ms, updated_at_ms)
           values ($1, $2, $3, $4, 1, 'claimed', false, $5, $4)
           on conflict (decision_id) do update set claimed_by = excluded.claimed_by, claim_token = excluded.claim_token,
             claimed_at_ms = excluded.claimed_at_ms, attempt = execution_ledger.attempt + 1, state = 'claimed',
             side_effect_started = false, side_effect_at_ms = null, lease_until_ms = excluded.lease_until_ms, updated_at_ms = excluded.updated_at_ms
           where execution_ledger.state = 'released'
           returning attempt`,
          [decisionId, workerId, token, now, leaseUntil],
        );
        if (!rows[0]) {
          // queued with a ledger row that was not released: an inconsistency; refuse to run it.
          await tx.query(`update decisions set status = 'held', updated_at_ms = $2, reason = $3 where id = $1`, [decisionId, now, 'ledger row not released for a queued decision']);
          return { kind: 'hold', decision: { ...decision, status: 'held' }, reason: 'ledger row not released for a queued decision' };
        }
        return { kind: 'claimed', claim: { decision, token, attempt: rows[0].attempt, workerId, jobId: job.jobId, jobAttempt: job.attempt, takeover: false } };
      }
      const cur = await tx.query<DecisionRow>('select * from decisions where id = $1 for update', [decisionId]);
      const row = cur.rows[0];
      if (!row) return { kind: 'noop', status: 'missing' };
      if (row.status !== 'executing') return { kind: 'noop', status: row.status };
      const led = await tx.query<Row>('select * from execution_ledger where decision_id = $1 for update', [decisionId]);
      const l = led.rows[0];
      const decision = decisionFromRow(row);
      if (!l || !ACTIVE.includes(l.state)) {
        // executing without an active ledger row (a claim from before the ledger existed, or a bug): do not guess.
        await tx.query(`update decisions set status = 'held', updated_at_ms = $2, reason = $3 where id = $1`, [decisionId, now, 'executing without an active ledger claim']);
        return { kind: 'hold', decision: { ...decision, status: 'held' }, reason: 'executing without an active ledger claim' };
      }
      if (Number(l.lease_until_ms) > now) return { kind: 'busy', retryAfterMs: Number(l.lease_until_ms) - now + 50, holder: l.claimed_by };
      if (!l.side_effect_started) {
        const { rows } = await tx.query<{ attempt: number }>(
          `update execution_ledger set claimed_by = $2, claim_token = $3, claimed_at_ms = $4, attempt = attempt + 1, state = 'claimed', lease_until_ms = $5, updated_at_ms = $4
           where decision_id = $1 returning attempt`,
          [decisionId, workerId, token, now, leaseUntil],
        );
        return { kind: 'claimed', claim: { decision, token, attempt: rows[0]!.attempt, workerId, jobId: job.jobId, jobAttempt: job.attempt, takeover: true } };
      }
      const reason = `worker ${l.claimed_by} started side effects (attempt ${l.attempt}) and stopped renewing its claim without an outcome; not re-running blindly`;
      await tx.query(`update execution_ledger set state = 'held', outcome = 'held', updated_at_ms = $2 where decision_id = $1`, [decisionId, now]);
      await tx.query(`update decisions set status = 'held', updated_at_ms = $2, reason = $3 where id = $1`, [decisionId, now, reason]);
      await appendAuditInTx(tx, heldAudit(decision, job, reason), this.clock, this.options);
      return { kind: 'hold', decision: { ...decision, status: 'held', reason }, reason };
    });
    if (result.kind === 'hold') {
      await this.options.onHeld?.(result.decision, result.reason);
      return { kind: 'held', decision: result.decision, reason: result.reason };
    }
    return result;
  }

  /** Renew the claim's lease; false when it was taken over or finished. */
  async heartbeat(claim: LedgerClaim): Promise<boolean> {
    const now = this.clock.nowMs();
    const { rows } = await this.sql.query(
      `update execution_ledger set lease_until_ms = $3, updated_at_ms = $4 where decision_id = $1 and claim_token = $2 and state in ('claimed', 'started') returning decision_id`,
      [claim.decision.id, claim.token, now + this.options.leaseMs, now],
    );
    return rows.length > 0;
  }

  /**
   * Right before the first write: ledger claimed → started and the 'action.executing' audit record, in
   * one transaction. Safe to call again for the same claim (each call is audited; the state moves
   * once). Throws ClaimLostError when the claim was taken over.
   */
  async beginSideEffect(claim: LedgerClaim, body: Record<string, unknown>): Promise<void> {
    const now = this.clock.nowMs();
    await this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('select * from execution_ledger where decision_id = $1 for update', [claim.decision.id]);
      const l = rows[0];
      if (!l || l.claim_token !== claim.token || !ACTIVE.includes(l.state)) throw new ClaimLostError(claim.decision.id);
      // A later write of the same claim (e.g. a retry round after a 409) is audited again; the state moves once.
      if (!l.side_effect_started) await tx.query(
        `update execution_ledger set state = 'started', side_effect_started = true, side_effect_at_ms = $2, lease_until_ms = $3, updated_at_ms = $2 where decision_id = $1`,
        [claim.decision.id, now, now + this.options.leaseMs],
      );
      const d = claim.decision;
      await appendAuditInTx(
        tx,
        {
          kind: 'action.executing',
          actor: SYSTEM_ACTOR,
          decisionId: d.id,
          incidentId: d.incidentId,
          jobId: claim.jobId,
          attempt: claim.jobAttempt,
          target: d.action.target,
          body: { action: d.action, ...body, ledger: { attempt: claim.attempt, worker: claim.workerId, takeover: claim.takeover } },
        },
        this.clock,
        this.options,
      );
    });
  }

  /** Record the outcome (ledger and decision, one transaction). False when the claim was lost meanwhile. */
  async finish(claim: LedgerClaim, status: DecisionStatus, result: ActionResult, reason?: string): Promise<boolean> {
    const now = this.clock.nowMs();
    const state: LedgerState = status === 'failed' ? 'failed' : status === 'held' ? 'held' : 'done';
    return this.sql.transaction(async (tx) => {
      const ok = await fenced(tx, claim, `update execution_ledger set state = $3, outcome = $4, updated_at_ms = $5`, [state, result.outcome, now]);
      if (!ok) return false;
      await tx.query('update decisions set status = $2, result = $3, updated_at_ms = $4, reason = coalesce($5, reason) where id = $1', [claim.decision.id, status, JSON.stringify(result), now, reason ?? null]);
      return true;
    });
  }

  /** Hand the decision back to the queue (retryable failure, or the breaker is open): queued again. */
  async release(claim: LedgerClaim, reason: string): Promise<boolean> {
    const now = this.clock.nowMs();
    return this.sql.transaction(async (tx) => {
      const ok = await fenced(tx, claim, `update execution_ledger set state = 'released', side_effect_started = false, lease_until_ms = 0, updated_at_ms = $3`, [now]);
      if (!ok) return false;
      await tx.query(`update decisions set status = 'queued', updated_at_ms = $2, reason = $3 where id = $1 and status = 'executing'`, [claim.decision.id, now, reason]);
      return true;
    });
  }

  async get(decisionId: string): Promise<LedgerRow | undefined> {
    const { rows } = await this.sql.query<Row>('select * from execution_ledger where decision_id = $1', [decisionId]);
    return rows[0] ? toLedgerRow(rows[0]) : undefined;
  }

  async list(state?: LedgerState, limit = 100): Promise<LedgerRow[]> {
    const { rows } = state
      ? await this.sql.query<Row>('select * from execution_ledger where state = $1 order by updated_at_ms desc limit $2', [state, limit])
      : await this.sql.query<Row>('select * from execution_ledger order by updated_at_ms desc limit $1', [limit]);
    return rows.map(toLedgerRow);
  }
}

/** Run `update … set …` (params from $3) only while this claim still holds the row. */
async function fenced(tx: SqlTx, claim: LedgerClaim, update: string, params: unknown[]): Promise<boolean> {
  const { rows } = await tx.query(`${update} where decision_id = $1 and claim_token = $2 and state in ('claimed', 'started') returning decision_id`, [claim.decision.id, claim.token, ...params]);
  return rows.length > 0;
}

/** Not yet in AuditKind (src/audit/types.ts): the lead adds `| 'action.held'` (the executor uses it too). */
const ACTION_HELD: AuditEntry['kind'] = 'action.held';

function heldAudit(d: Decision, job: { jobId: string; attempt: number }, reason: string): AuditEntry {
  return {
    kind: ACTION_HELD,
    actor: SYSTEM_ACTOR,
    decisionId: d.id,
    incidentId: d.incidentId,
    jobId: job.jobId,
    attempt: job.attempt,
    target: d.action.target,
    body: { action: d.action, outcome: 'held', page: true, before: 'executing', after: 'held', error: { code: 'side_effect_in_doubt', message: reason, retryable: false } },
  };
}

function toLedgerRow(r: Row): LedgerRow {
  return {
    decisionId: r.decision_id,
    claimedBy: r.claimed_by,
    claimedAtMs: Number(r.claimed_at_ms),
    attempt: r.attempt,
    state: r.state,
    sideEffectStarted: r.side_effect_started,
    leaseUntilMs: Number(r.lease_until_ms),
    outcome: r.outcome ?? undefined,
  };
}
