import type { Clock } from '../lib/clock.js';
import { AppError, errorMessage, isAppError } from '../lib/errors.js';
import type { ActionPlan, ActionResult, Decision, TargetRef } from '../domain/types.js';
import { SYSTEM_ACTOR, type Auditor } from '../audit/auditor.js';
import type { AuditEntry, AuditKind } from '../audit/types.js';
import type { KubeObject, KubernetesApi } from '../clients/kubernetes.js';
import type { Action, Ownership, SignalProbe, VerifyOutcome } from './action.js';
import { OPT_OUT_ANNOTATION, optedOut } from './common.js';

export interface ExecuteContext {
  readonly jobId: string;
  readonly attempt: number;
  /**
   * From the worker's execution ledger: called right before the first real write instead of auditing
   * 'action.executing' here (it records that audit record with the ledger transition in one transaction).
   * Whatever it throws (e.g. ClaimLostError: another worker owns the decision) propagates: nothing is written.
   */
  readonly beginSideEffect?: (body: { plan?: ActionPlan } & Record<string, unknown>) => Promise<void>;
  /** The shared kill switch, checked (with writesAllowed) right before each write. */
  readonly killSwitchOn?: () => Promise<boolean>;
}

/** Why a person is paged: a held decision (inconclusive verification, a revert that could not run). */
export interface PageEvent {
  readonly decisionId: string;
  readonly incidentId: string;
  readonly actionType: string;
  readonly target: TargetRef;
  readonly reason: 'verification_inconclusive' | 'revert_blocked' | 'revert_failed';
  readonly detail: string;
  readonly plan: ActionPlan;
}

export interface ActionExecutorOptions {
  /** Reads target and namespace annotations for the opt-out check; without it only actions' own checks apply. */
  readonly kube?: KubernetesApi;
  /** The triggering signal, re-read after the bake time. Without one every verification is inconclusive (→ held). */
  readonly probe?: SignalProbe;
  /** Kill switch: checked right before every write (execute and revert). Default: always allowed. */
  readonly writesAllowed?: () => boolean;
  /** Guardrails re-evaluated after a 409 before any retry; false drops the decision. Default: allow. */
  readonly recheck?: (decision: Decision) => Promise<boolean>;
  /** Called when a decision is held (a person must look). Failures of the hook are swallowed. */
  readonly page?: (event: PageEvent) => Promise<void> | void;
  /** Waits the bake time; tests pass a fake. Default: setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Bake time per action type (ms), overriding the action's own default. */
  readonly bakeTimeMs?: Readonly<Record<string, number>>;
  /** How many times a 409 (conflict) leads to re-read, re-check and re-plan (default 3). */
  readonly maxConflictRetries?: number;
  /** Told every conclusive verification (the circuit breaker counts failures). Failures of the hook are swallowed. */
  readonly onVerification?: (decision: Decision, ok: boolean) => Promise<void>;
}

const ACTION_HELD: AuditKind = 'action.held';

const NAMESPACE_REF = { group: '', version: 'v1', resource: 'namespaces', namespace: '' } as const;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Base = Omit<AuditEntry, 'kind' | 'body'>;

/**
 * Runs one decision: opt-out check → ownership → plan → pre-flight (server dry run) → kill-switch check →
 * execute (precondition; 409 → re-check guardrails → re-plan, bounded) → bake time → verify →
 * ok: verified | failed: automatic revert to the recorded prior state | inconclusive: held + page.
 * Every step is audited. In dry-run mode it stops after the pre-flight.
 *
 * Errors: a retryable error before any write (the API unreachable) is thrown so the queue retries with
 * backoff; everything else ends in a returned result (outcome failed / noop with error.code) that has
 * already been audited. Without a Kubernetes connection the plan is the rule's absolute parameters with
 * an unknown "before", which is only allowed in dry-run mode.
 */
export class ActionExecutor {
  private readonly writesAllowed: () => boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxConflictRetries: number;

  constructor(
    private readonly actions: ReadonlyMap<string, Action>,
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    private readonly options: ActionExecutorOptions = {},
  ) {
    this.writesAllowed = options.writesAllowed ?? (() => true);
    this.sleep = options.sleep ?? realSleep;
    this.maxConflictRetries = options.maxConflictRetries ?? 3;
  }

  async run(decision: Decision, ctx: ExecuteContext): Promise<ActionResult> {
    const spec = decision.action;
    const action = this.actions.get(spec.type);
    const base: Base = { decisionId: decision.id, incidentId: decision.incidentId, jobId: ctx.jobId, attempt: ctx.attempt, target: spec.target, actor: SYSTEM_ACTOR };
    if (!action) {
      if (!decision.dryRun) throw new AppError('action_unavailable', `action ${spec.type} cannot run: no Kubernetes connection is configured (kubernetes.mode=none)`, { retryable: false });
      const plan: ActionPlan = { before: { unknown: 'kubernetes.mode=none' }, after: { ...spec.params } };
      await this.audit(base, 'action.dry_run', { action: spec, plan, note: 'planned from the rule only; current state unknown without a Kubernetes connection' });
      return { outcome: 'planned', dryRun: true, plan };
    }
    let params: unknown;
    try {
      params = action.parse(spec.params);
    } catch (err) {
      return this.fail(decision, base, 'parse', err);
    }

    // Promise 10: an opted-out target or namespace is never touched.
    let optOut: string | undefined;
    try {
      optOut = await this.optOut(spec.target);
    } catch (err) {
      if (isRetryable(err)) throw err;
      return this.fail(decision, base, 'opt_out_check', err); // fail closed: cannot tell, so do not touch
    }
    if (optOut !== undefined) {
      await this.audit(base, 'decision.suppressed', { action: spec, reason: 'opt_out', detail: optOut });
      return { outcome: 'noop', dryRun: decision.dryRun, error: { code: 'opt_out', message: optOut, retryable: false } };
    }

    let ownership: Ownership | undefined;
    if (action.ownership) {
      try {
        ownership = await action.ownership(spec.target, params);
      } catch (err) {
        if (isRetryable(err)) throw err;
        return this.fail(decision, base, 'ownership', err);
      }
    }

    let plan: ActionPlan | undefined;
    let sideEffectBegun = false;
    for (let round = 0; ; round++) {
      try {
        plan = await action.plan(spec.target, params, { evidence: decision.evidence, ...(ownership === undefined ? {} : { ownership }) });
        if (samePlan(plan)) {
          await this.audit(base, decision.dryRun ? 'action.dry_run' : 'action.executed', { action: spec, ownership, plan, outcome: 'noop', note: 'target already in the desired state (or the caps leave nothing to change)' });
          return { outcome: 'noop', dryRun: decision.dryRun, plan };
        }
        await action.preflight(spec.target, plan);
        if (decision.dryRun) {
          await this.audit(base, 'action.dry_run', { action: spec, ownership, plan, preflight: 'passed' });
          return { outcome: 'planned', dryRun: true, plan };
        }
        // Promise 11: checked right before the write.
        if (!(await this.mayWrite(ctx))) {
          await this.audit(base, 'decision.suppressed', { action: spec, plan, reason: 'kill_switch', detail: 'the kill switch is on: nothing was written' });
          return { outcome: 'noop', dryRun: false, plan, error: { code: 'kill_switch', message: 'the kill switch is on: nothing was written', retryable: false } };
        }
        const executing = { action: spec, ownership, plan, round };
        if (ctx.beginSideEffect !== undefined && !sideEffectBegun) {
          try {
            await ctx.beginSideEffect(stripUndefined(executing));
          } catch (err) {
            throw new Passthrough(err);
          }
          sideEffectBegun = true;
        } else {
          await this.audit(base, 'action.executing', executing);
        }
        plan = await action.execute(spec.target, plan);
        await this.audit(base, 'action.executed', { action: spec, ownership, plan, atMs: this.clock.nowMs() });
        break;
      } catch (err) {
        if (err instanceof Passthrough) throw err.inner;
        if (isAppError(err) && err.code === 'conflict') {
          if (round >= this.maxConflictRetries) {
            return this.fail(decision, base, 'execute', err, plan, { conflicts: round + 1, note: 'gave up after repeated conflicts' });
          }
          const allowed = this.options.recheck ? await this.options.recheck(decision) : true;
          if (!allowed) {
            await this.audit(base, 'decision.suppressed', { action: spec, plan, reason: 'guardrails_recheck', detail: `the target changed under us (${err.message}) and the guardrails no longer allow the action` });
            return { outcome: 'noop', dryRun: decision.dryRun, ...(plan === undefined ? {} : { plan }), error: { code: 'guardrails_recheck', message: err.message, retryable: false } };
          }
          continue; // re-read and re-plan
        }
        if (isRetryable(err)) throw err; // nothing written (or an absolute write that a re-run re-checks): the queue retries
        return this.fail(decision, base, plan === undefined ? 'plan' : 'execute', err, plan);
      }
    }

    // Promise 14: bake, verify, revert or hold.
    const bakeMs = this.options.bakeTimeMs?.[spec.type] ?? action.bakeTimeMs;
    if (bakeMs > 0) await this.sleep(bakeMs);
    let outcome: VerifyOutcome;
    let verifyError: string | undefined;
    try {
      outcome = await action.verify(spec.target, plan, { probe: this.options.probe ?? NO_PROBE, evidence: decision.evidence });
    } catch (err) {
      outcome = 'inconclusive';
      verifyError = errorMessage(err);
    }
    if (outcome !== 'inconclusive') await this.options.onVerification?.(decision, outcome === 'ok').catch(() => undefined);
    if (outcome === 'ok') {
      await this.audit(base, 'action.verified', { action: spec, plan, verification: 'ok', bakeMs });
      return { outcome: 'verified', dryRun: false, plan };
    }
    if (outcome === 'inconclusive') {
      const detail = verifyError ?? (this.options.probe ? 'insufficient evidence to verify the action' : 'no signal probe is configured');
      return this.hold(decision, base, plan, 'verification_inconclusive', detail);
    }
    return this.revert(decision, ctx, base, action, plan);
  }

  private async mayWrite(ctx: ExecuteContext): Promise<boolean> {
    if (!this.writesAllowed()) return false;
    return ctx.killSwitchOn === undefined ? true : !(await ctx.killSwitchOn());
  }

  private async revert(decision: Decision, ctx: ExecuteContext, base: Base, action: Action, plan: ActionPlan): Promise<ActionResult> {
    const spec = decision.action;
    for (let round = 0; ; round++) {
      if (!(await this.mayWrite(ctx))) {
        return this.hold(decision, base, plan, 'revert_blocked', 'verification failed but the kill switch is on: the revert was not written');
      }
      try {
        const reverted = await action.revert(spec.target, plan);
        await this.audit(base, 'action.reverted', { action: spec, plan, restored: reverted.before, verification: 'failed' });
        return { outcome: 'reverted', dryRun: false, plan: reverted };
      } catch (err) {
        if (isAppError(err) && (err.code === 'conflict' || err.retryable) && round < this.maxConflictRetries) continue;
        await this.audit(base, 'action.failed', { action: spec, plan, stage: 'revert', error: errorBody(err) });
        return this.hold(decision, base, plan, 'revert_failed', `verification failed and the revert did not complete: ${errorMessage(err)}`);
      }
    }
  }

  private async hold(decision: Decision, base: Base, plan: ActionPlan, reason: PageEvent['reason'], detail: string): Promise<ActionResult> {
    const spec = decision.action;
    await this.audit(base, ACTION_HELD, { action: spec, plan, reason, detail, paged: this.options.page !== undefined });
    if (this.options.page) {
      try {
        await this.options.page({ decisionId: decision.id, incidentId: decision.incidentId, actionType: spec.type, target: spec.target, reason, detail, plan });
      } catch {
        // paging is best effort; the held record above is what counts
      }
    }
    return { outcome: 'held', dryRun: false, plan, error: { code: reason, message: detail, retryable: false } };
  }

  private async fail(decision: Decision, base: Base, stage: string, err: unknown, plan?: ActionPlan, extra: Record<string, unknown> = {}): Promise<ActionResult> {
    const error = errorBody(err);
    await this.audit(base, 'action.failed', { action: decision.action, stage, ...(plan === undefined ? {} : { plan }), error, ...extra });
    return { outcome: 'failed', dryRun: decision.dryRun, ...(plan === undefined ? {} : { plan }), error: { ...error, retryable: false } };
  }

  /** "target prod/web is opted out" or undefined. Missing objects carry no annotation; other read errors propagate. */
  private async optOut(target: TargetRef): Promise<string | undefined> {
    const kube = this.options.kube;
    if (!kube) return undefined;
    const ns = await readOrUndefined(() => kube.getObject({ ...NAMESPACE_REF, name: target.namespace }));
    if (optedOut(ns)) return `namespace ${target.namespace} is annotated ${OPT_OUT_ANNOTATION}: "true"`;
    const obj = await readOrUndefined(() => kube.getObject(target));
    if (optedOut(obj)) return `${target.resource} ${target.namespace}/${target.name} is annotated ${OPT_OUT_ANNOTATION}: "true"`;
    return undefined;
  }

  private async audit(base: Base, kind: AuditKind, body: Record<string, unknown>): Promise<void> {
    await this.auditor.record({ ...base, kind, body: stripUndefined(body) });
  }

  async recordFailure(decision: Decision, ctx: ExecuteContext, err: unknown): Promise<ActionResult> {
    const error = errorBody(err);
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

/** Carries an error out of the conflict/failure handling untouched (the ledger's ClaimLostError). */
class Passthrough extends Error {
  constructor(readonly inner: unknown) {
    super('passthrough');
  }
}

const NO_PROBE: SignalProbe = { read: () => Promise.resolve({ value: undefined, healthy: undefined }) };

async function readOrUndefined(read: () => Promise<KubeObject>): Promise<KubeObject | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isAppError(err) && err.code === 'not_found') return undefined;
    throw err;
  }
}

function isRetryable(err: unknown): boolean {
  return isAppError(err) && err.retryable && err.code !== 'conflict';
}

function errorBody(err: unknown): { code: string; message: string; retryable: boolean } {
  return isAppError(err)
    ? { code: err.code, message: err.message, retryable: err.retryable }
    : { code: 'internal', message: errorMessage(err), retryable: false };
}

function stripUndefined(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return out;
}

function samePlan(plan: ActionPlan): boolean {
  return JSON.stringify(plan.before) === JSON.stringify(plan.after);
}
