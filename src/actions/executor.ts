import type { Clock } from '../lib/clock.js';
import { AppError, errorMessage, isAppError } from '../lib/errors.js';
import type { ActionPlan, ActionResult, Decision } from '../domain/types.js';
import { SYSTEM_ACTOR, type Auditor } from '../audit/auditor.js';
import type { Action } from './action.js';

export interface ExecuteContext {
  readonly jobId: string;
  readonly attempt: number;
}

/**
 * Runs one decision through plan → pre-flight (server dry run) → execute, auditing each step.
 * In dry-run mode it stops after the pre-flight: the plan is recorded, nothing is written.
 * Without a Kubernetes connection the plan is the rule's absolute parameters with an unknown
 * "before", which is only allowed in dry-run mode.
 */
export class ActionExecutor {
  constructor(
    private readonly actions: ReadonlyMap<string, Action>,
    private readonly auditor: Auditor,
    private readonly clock: Clock,
  ) {}

  async run(decision: Decision, ctx: ExecuteContext): Promise<ActionResult> {
    const spec = decision.action;
    const action = this.actions.get(spec.type);
    const base = { decisionId: decision.id, incidentId: decision.incidentId, jobId: ctx.jobId, attempt: ctx.attempt, target: spec.target, actor: SYSTEM_ACTOR };
    if (!action) {
      if (!decision.dryRun) throw new AppError('action_unavailable', `action ${spec.type} cannot run: no Kubernetes connection is configured (kubernetes.mode=none)`, { retryable: false });
      const plan: ActionPlan = { before: { unknown: 'kubernetes.mode=none' }, after: { ...spec.params } };
      await this.auditor.record({ ...base, kind: 'action.dry_run', body: { action: spec, plan, note: 'planned from the rule only; current state unknown without a Kubernetes connection' } });
      return { outcome: 'planned', dryRun: true, plan };
    }
    const params = action.parse(spec.params);
    const plan = await action.plan(spec.target, params);
    if (samePlan(plan)) {
      await this.auditor.record({ ...base, kind: decision.dryRun ? 'action.dry_run' : 'action.executed', body: { action: spec, plan, outcome: 'noop', note: 'target already in the desired state' } });
      return { outcome: 'noop', dryRun: decision.dryRun, plan };
    }
    await action.preflight(spec.target, plan);
    if (decision.dryRun) {
      await this.auditor.record({ ...base, kind: 'action.dry_run', body: { action: spec, plan, preflight: 'passed' } });
      return { outcome: 'planned', dryRun: true, plan };
    }
    await this.auditor.record({ ...base, kind: 'action.executing', body: { action: spec, plan } });
    const done = await action.execute(spec.target, plan);
    await this.auditor.record({ ...base, kind: 'action.executed', body: { action: spec, plan: done, atMs: this.clock.nowMs() } });
    return { outcome: 'executed', dryRun: false, plan: done };
  }

  async recordFailure(decision: Decision, ctx: ExecuteContext, err: unknown): Promise<ActionResult> {
    const error = isAppError(err)
      ? { code: err.code, message: err.message, retryable: err.retryable }
      : { code: 'internal', message: errorMessage(err), retryable: false };
    await this.auditor.record({
      kind: 'action.failed',
      actor: SYSTEM_ACTOR,
      decisionId: decision.id,
      incidentId: decision.incidentId,
      jobId: ctx.jobId,
      attempt: ctx.attempt,
      target: decision.action.target,
      body: { action: decision.action, error },
    });
    return { outcome: 'failed', dryRun: decision.dryRun, error };
  }
}

function samePlan(plan: ActionPlan): boolean {
  return JSON.stringify(plan.before) === JSON.stringify(plan.after);
}
