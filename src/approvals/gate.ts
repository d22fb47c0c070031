/**
 * The approval gate (promises 18, 19). A decision whose rule requires approval waits in SQL as
 * `pending_approval`, bound to sha256(canonical JSON of {action, target resourceVersion}) and an
 * expiry; everything else goes straight to the wrapped gate (the QueueGate).
 *
 * Votes arrive from any channel (API, web page, CLI — all through the API — and Slack) as
 * `decide()`. A vote is counted inside one transaction that locks the approval row, so two
 * approvers clicking at once cannot both be "the second". Rules:
 *   - the caller's role must reach the role configured for the decision's risk (admin always does);
 *   - the proposer never approves; the same person never counts twice (identity is shared across
 *     channels: Slack users map to the same names as tokens/OIDC subjects);
 *   - high risk needs `required.high` (default 2) distinct approvers; one refusal rejects;
 *   - the stored action must still hash to the bound hash, and the target's current
 *     resourceVersion must equal the one at decision time — else the approval is void (409
 *     target_changed) and the decision is rejected;
 *   - with the kill switch on, approvals are refused (409 killswitch_on): they cannot execute.
 * Once enough approvals are durably written the decision goes to the wrapped gate. Every vote,
 * void and expiry is one audit record with actor, channel and reason, written after the commit.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { AppError, errorMessage } from '../lib/errors.js';
import { canonicalJson } from '../audit/canonical.js';
import { SYSTEM_ACTOR, type Auditor } from '../audit/auditor.js';
import type { AuditActor } from '../audit/types.js';
import type { ActionSpec, Decision, Risk } from '../domain/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { DecisionGate } from '../pipeline.js';
import type { Sql } from '../store/db.js';
import type { Logger } from '../telemetry/logger.js';
import { actorOf, roleAtLeast, type Principal, type Role } from '../auth/roles.js';
import { ApprovalStore, type ApprovalChannel, type ApprovalRow, type ApprovalState, type Vote } from './store.js';

export interface ApprovalConfig {
  /** How long a decision waits for approval. */
  readonly ttlMs: number;
  /** What happens at expiry: expire (refuse) or hold. */
  readonly onExpiry: 'expire' | 'hold';
  /** Minimum role allowed to approve or reject, per risk. */
  readonly roles: Readonly<Record<Risk, Role>>;
  /** Distinct approvers required, per risk. */
  readonly required: Readonly<Record<Risk, number>>;
}

export const DEFAULT_APPROVAL_CONFIG: ApprovalConfig = {
  ttlMs: 30 * 60_000,
  onExpiry: 'expire',
  roles: { low: 'approver', high: 'approver' },
  required: { low: 1, high: 2 },
};

export type ApprovalEventType = 'requested' | 'granted' | 'approved' | 'rejected' | 'expired' | 'held' | 'void';

export interface ApprovalEvent {
  readonly type: ApprovalEventType;
  readonly approval: ApprovalRow;
  readonly decision: Decision | undefined;
  readonly actor: AuditActor;
  readonly channel?: ApprovalChannel;
  readonly reason?: string;
}

export interface DecideInput {
  readonly decisionId: string;
  readonly verdict: 'approve' | 'reject';
  readonly principal: Principal;
  readonly channel: ApprovalChannel;
  readonly reason: string;
  /** When the caller saw a hash, the approval only counts if it still matches. */
  readonly actionHash?: string;
  /** A replay key (e.g. Slack decision id + user + action_ts): a second use records nothing. */
  readonly dedupeKey?: string;
}

export interface DecideResult {
  readonly replayed: boolean;
  readonly approval: ApprovalRow;
  /** True when this vote completed the approval and the decision went to the queue. */
  readonly submitted: boolean;
}

export interface ApprovalGateDeps {
  readonly sql: Sql;
  readonly decisions: DecisionStore;
  readonly auditor: Auditor;
  /** Where approved (and not-requiring-approval) decisions go: the QueueGate. */
  readonly next: DecisionGate;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config?: Partial<ApprovalConfig>;
  /** Current resourceVersion of the decision's target (Kubernetes), undefined when unknown. */
  readonly targetVersion?: (decision: Decision) => Promise<string | undefined>;
  readonly killSwitch?: { get(): Promise<{ on: boolean }> };
}

/** sha256 over the canonical JSON of the exact action and the target's resourceVersion. */
export function actionHash(action: ActionSpec, targetVersion: string | null | undefined): string {
  return createHash('sha256').update(canonicalJson({ action, targetVersion: targetVersion ?? null })).digest('hex');
}

const conflict = (code: string, message: string, details?: Record<string, unknown>): AppError => new AppError(code, message, { httpStatus: 409, ...(details ? { details } : {}) });

export class ApprovalGate implements DecisionGate {
  readonly store: ApprovalStore;
  readonly config: ApprovalConfig;
  private readonly listeners: Array<(e: ApprovalEvent) => void | Promise<void>> = [];

  constructor(private readonly deps: ApprovalGateDeps) {
    this.store = new ApprovalStore(deps.sql);
    this.config = {
      ...DEFAULT_APPROVAL_CONFIG,
      ...deps.config,
      roles: { ...DEFAULT_APPROVAL_CONFIG.roles, ...deps.config?.roles },
      required: { ...DEFAULT_APPROVAL_CONFIG.required, ...deps.config?.required },
    };
  }

  /** Slack messages and webhooks subscribe here. Listener errors are logged, never thrown. */
  onEvent(listener: (e: ApprovalEvent) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  async submit(decision: Decision, proposer: AuditActor = SYSTEM_ACTOR): Promise<void> {
    if (!decision.requiresApproval) return this.deps.next.submit(decision);
    const now = this.deps.clock.nowMs();
    const risk: Risk = decision.risk ?? 'low';
    const targetVersion = await this.currentVersion(decision);
    const row = {
      decisionId: decision.id,
      incidentId: decision.incidentId,
      actionHash: actionHash(decision.action, targetVersion),
      targetVersion: targetVersion ?? null,
      risk,
      required: Math.max(1, this.config.required[risk]),
      proposer: proposer.id,
      state: 'pending' as const,
      createdAtMs: now,
      expiresAtMs: now + this.config.ttlMs,
    };
    const inserted = await this.store.insert(row);
    if (!inserted) return; // submitted twice: the first one stands
    await this.deps.decisions.setStatus(decision.id, 'pending_approval', now);
    decision.status = 'pending_approval';
    await this.deps.auditor.record({
      kind: 'approval.requested',
      actor: SYSTEM_ACTOR,
      decisionId: decision.id,
      incidentId: decision.incidentId,
      target: decision.action.target,
      body: {
        action: decision.action,
        actionHash: row.actionHash,
        targetResourceVersion: row.targetVersion,
        risk,
        requiredApprovers: row.required,
        approverRole: this.config.roles[risk],
        proposer: proposer.id,
        expiresAt: new Date(row.expiresAtMs).toISOString(),
        onExpiry: this.config.onExpiry,
      },
    });
    const approval = (await this.store.get(decision.id))!;
    this.emit({ type: 'requested', approval, decision, actor: SYSTEM_ACTOR });
  }

  async get(decisionId: string): Promise<ApprovalRow | undefined> {
    return this.store.get(decisionId);
  }

  async list(query: { state?: ApprovalState; limit?: number } = {}): Promise<ApprovalRow[]> {
    return this.store.list(query);
  }

  async decide(input: DecideInput): Promise<DecideResult> {
    const reason = input.reason.trim();
    if (reason === '') throw new AppError('reason_required', 'a reason is required', { httpStatus: 400 });
    const decision = await this.deps.decisions.get(input.decisionId);
    const pre = await this.store.get(input.decisionId);
    if (!decision || !pre) throw new AppError('not_found', `no decision ${input.decisionId} awaiting approval`, { httpStatus: 404 });
    const role = this.config.roles[pre.risk];
    if (!roleAtLeast(input.principal.role, role)) {
      throw new AppError('forbidden', `${pre.risk}-risk decisions need role ${role} or higher (you have ${input.principal.role})`, { httpStatus: 403 });
    }
    if (input.principal.kind === 'anonymous') throw new AppError('forbidden', 'anonymous callers cannot approve', { httpStatus: 403 });
    if (input.verdict === 'approve' && input.principal.subject === pre.proposer) {
      throw new AppError('proposer_cannot_approve', 'the proposer of a decision never approves it', { httpStatus: 403 });
    }
    if (input.verdict === 'approve' && pre.state === 'pending') {
      const ks = await this.deps.killSwitch?.get();
      if (ks?.on) throw conflict('killswitch_on', 'the kill switch is on: approvals cannot execute; turn it off first');
    }
    // Slow, external: read the target's current version before taking the row lock.
    const current = input.verdict === 'approve' ? await this.currentVersion(decision) : undefined;
    const actor = actorOf(input.principal);
    const now = this.deps.clock.nowMs();

    type Outcome = { kind: 'replay'; row: ApprovalRow } | { kind: 'vote'; row: ApprovalRow; complete: boolean } | { kind: 'void'; row: ApprovalRow; detail: Record<string, unknown> };
    const outcome: Outcome = await this.deps.sql.transaction(async (tx): Promise<Outcome> => {
      const row = await this.store.lock(tx, input.decisionId);
      if (!row) throw new AppError('not_found', `no decision ${input.decisionId} awaiting approval`, { httpStatus: 404 });
      if (input.dedupeKey !== undefined && !(await this.store.claimKey(tx, input.dedupeKey, row.decisionId, now))) return { kind: 'replay', row };
      if (row.state !== 'pending') throw conflict(row.state === 'expired' || row.state === 'held' ? 'expired' : 'not_pending', `decision ${row.decisionId} is no longer pending (${row.state}${row.outcomeReason ? `: ${row.outcomeReason}` : ''})`, { state: row.state });
      if (now >= row.expiresAtMs) throw conflict('expired', `the approval window of ${row.decisionId} has passed`, { state: row.state });
      if ([...row.approvals, ...row.refusals].some((v) => v.by === actor.id)) {
        throw conflict('already_voted', `${actor.id} has already voted on ${row.decisionId}; a second approval must come from a different person`);
      }
      const storedHash = actionHash(decision.action, row.targetVersion);
      if (storedHash !== row.actionHash || (input.actionHash !== undefined && input.actionHash !== row.actionHash)) {
        throw conflict('action_changed', 'the action differs from the one this approval is bound to');
      }
      const vote: Vote = { by: actor.id, method: actor.authMethod, channel: input.channel, reason, atMs: now };
      if (input.verdict === 'approve' && current !== (row.targetVersion ?? undefined)) {
        const detail = { resourceVersionAtDecision: row.targetVersion, resourceVersionNow: current ?? null };
        const outcomeReason = `target changed since the decision (resourceVersion ${row.targetVersion ?? 'unknown'} → ${current ?? 'unknown'})`;
        await this.store.update(tx, row.decisionId, { state: 'void', approvals: row.approvals, refusals: [...row.refusals, vote], outcomeReason, nowMs: now });
        await tx.query(`update decisions set status = 'rejected', updated_at_ms = $2, reason = $3 where id = $1`, [row.decisionId, now, outcomeReason]);
        return { kind: 'void', row: { ...row, state: 'void', refusals: [...row.refusals, vote], outcomeReason }, detail };
      }
      if (input.verdict === 'reject') {
        const outcomeReason = `rejected by ${actor.id}: ${reason}`;
        await this.store.update(tx, row.decisionId, { state: 'rejected', approvals: row.approvals, refusals: [...row.refusals, vote], outcomeReason, nowMs: now });
        await tx.query(`update decisions set status = 'rejected', updated_at_ms = $2, reason = $3 where id = $1`, [row.decisionId, now, outcomeReason]);
        return { kind: 'vote', row: { ...row, state: 'rejected', refusals: [...row.refusals, vote], outcomeReason }, complete: true };
      }
      const approvals = [...row.approvals, vote];
      const complete = approvals.length >= row.required;
      const state: ApprovalState = complete ? 'approved' : 'pending';
      await this.store.update(tx, row.decisionId, { state, approvals, refusals: row.refusals, outcomeReason: null, nowMs: now });
      if (complete) await tx.query(`update decisions set status = 'approved', updated_at_ms = $2 where id = $1`, [row.decisionId, now]);
      return { kind: 'vote', row: { ...row, state, approvals }, complete };
    });

    if (outcome.kind === 'replay') return { replayed: true, approval: outcome.row, submitted: false };
    const common = { decisionId: decision.id, incidentId: decision.incidentId, target: decision.action.target };
    if (outcome.kind === 'void') {
      await this.deps.auditor.record({
        kind: 'approval.refused',
        actor,
        ...common,
        body: { channel: input.channel, reason, void: true, cause: 'target_changed', ...outcome.detail, actionHash: outcome.row.actionHash, outcome: 'void: decision rejected' },
      });
      this.emit({ type: 'void', approval: outcome.row, decision, actor, channel: input.channel, reason });
      throw conflict('target_changed', `approval void: ${outcome.row.outcomeReason}`, outcome.detail);
    }
    const row = outcome.row;
    if (input.verdict === 'reject') {
      await this.deps.auditor.record({
        kind: 'approval.refused',
        actor,
        ...common,
        body: { channel: input.channel, reason, risk: row.risk, actionHash: row.actionHash, before: 'pending_approval', after: 'rejected', outcome: 'rejected' },
      });
      this.emit({ type: 'rejected', approval: row, decision: { ...decision, status: 'rejected' }, actor, channel: input.channel, reason });
      return { replayed: false, approval: row, submitted: false };
    }
    await this.deps.auditor.record({
      kind: 'approval.granted',
      actor,
      ...common,
      body: {
        channel: input.channel,
        reason,
        risk: row.risk,
        actionHash: row.actionHash,
        targetResourceVersion: row.targetVersion,
        approvals: row.approvals.map((v) => ({ by: v.by, channel: v.channel, method: v.method, at: new Date(v.atMs).toISOString() })),
        count: row.approvals.length,
        required: row.required,
        before: 'pending_approval',
        after: outcome.complete ? 'approved' : 'pending_approval',
        outcome: outcome.complete ? 'approved: queued for execution' : `waiting for ${row.required - row.approvals.length} more approver(s)`,
      },
    });
    this.emit({ type: outcome.complete ? 'approved' : 'granted', approval: row, decision, actor, channel: input.channel, reason });
    if (outcome.complete) await this.deps.next.submit({ ...decision, status: 'approved' });
    return { replayed: false, approval: row, submitted: outcome.complete };
  }

  /** Marks every pending approval past its expiry as expired (or held) and audits each. */
  async sweep(): Promise<number> {
    const now = this.deps.clock.nowMs();
    const state = this.config.onExpiry === 'hold' ? 'held' : 'expired';
    const rows = await this.deps.sql.transaction(async (tx) => {
      const changed = await this.store.expireDue(tx, now, state);
      for (const r of changed) {
        await tx.query(`update decisions set status = $2, updated_at_ms = $3, reason = 'approval expired' where id = $1 and status = 'pending_approval'`, [r.decisionId, state, now]);
      }
      return changed;
    });
    for (const r of rows) {
      const decision = await this.deps.decisions.get(r.decisionId);
      await this.deps.auditor.record({
        kind: 'approval.expired',
        actor: SYSTEM_ACTOR,
        decisionId: r.decisionId,
        incidentId: r.incidentId,
        ...(decision ? { target: decision.action.target } : {}),
        body: { channel: 'system', reason: 'no decision before expiry', expiredAt: new Date(r.expiresAtMs).toISOString(), approvals: r.approvals.length, required: r.required, before: 'pending_approval', after: state, outcome: state },
      });
      this.emit({ type: state, approval: r, decision, actor: SYSTEM_ACTOR, channel: 'api', reason: 'expired' });
    }
    return rows.length;
  }

  /** Runs sweep() every intervalMs; returns a stop function. */
  startSweeper(intervalMs = 15_000): () => Promise<void> {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      if (stopped) return;
      running = this.sweep().catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'approval sweep failed'));
    }, intervalMs);
    timer.unref();
    return async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    };
  }

  /** At startup: decisions approved but not queued (a crash in between) go to the queue now. */
  async recover(): Promise<number> {
    const ids = await this.store.approvedNotQueued();
    for (const id of ids) {
      const d = await this.deps.decisions.get(id);
      if (d) await this.deps.next.submit(d);
    }
    return ids.length;
  }

  private async currentVersion(decision: Decision): Promise<string | undefined> {
    if (!this.deps.targetVersion) return undefined;
    try {
      return await this.deps.targetVersion(decision);
    } catch (err) {
      throw new AppError('target_unavailable', `cannot read the target's current state: ${errorMessage(err)}`, { httpStatus: 503, retryable: true });
    }
  }

  private emit(e: ApprovalEvent): void {
    for (const l of this.listeners) {
      Promise.resolve()
        .then(() => l(e))
        .catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err), decision: e.approval.decisionId }, 'approval listener failed'));
    }
  }
}
