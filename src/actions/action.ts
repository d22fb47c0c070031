import type { ActionPlan, ActionSpec, Anomaly, TargetRef } from '../domain/types.js';

/** What verification reads: the triggering signal, re-evaluated after the bake time. */
export interface SignalReading {
  /** The current value of the triggering signal; undefined = no (fresh) data. */
  readonly value: number | undefined;
  /** true = back to normal, false = still anomalous, undefined = insufficient evidence (promise 15). */
  readonly healthy: boolean | undefined;
}

/**
 * Reads the signal that triggered a decision. The daemon implements it over the series store (the same
 * detector that raised the anomaly); tests use fakes. Missing, stale or empty data must come back as
 * `healthy: undefined` — never as healthy and never as anomalous.
 */
export interface SignalProbe {
  read(evidence: readonly Anomaly[]): Promise<SignalReading>;
}

export interface VerifySignal {
  readonly probe: SignalProbe;
  readonly evidence: readonly Anomaly[];
}

export type VerifyOutcome = 'ok' | 'failed' | 'inconclusive';

/** Who owns the field an action would change, and which lever aiopsd uses because of it. */
export type FieldOwner = 'none' | 'hpa' | 'argo-rollouts' | 'flagger';

export interface GitOpsNote {
  readonly tool: 'argocd' | 'flux';
  /** The Argo CD application / Flux Kustomization or HelmRelease that manages the object. */
  readonly app: string;
  readonly note: string;
}

export interface Ownership {
  readonly owner: FieldOwner;
  /** The owning object (the HPA, the Rollout, the Canary), when there is one. */
  readonly ownerRef?: TargetRef;
  /** The lever aiopsd pulls, e.g. "horizontalpodautoscalers.spec.minReplicas" or "rollouts/status abort". */
  readonly lever: string;
  /** A GitOps controller that will revert drift on this object: recorded so people know. */
  readonly gitops?: GitOpsNote;
}

/** What plan() gets besides the target and params. */
export interface PlanContext {
  /** The anomalies that triggered the decision (labels such as `pod` or `region` live here). */
  readonly evidence: readonly Anomaly[];
  /** The result of ownership(), when the action has one. */
  readonly ownership?: Ownership;
}

/**
 * One remediation kind (scale-hpa, eject-endpoints, shift-gslb-weights, rollback-canary).
 * Plans are absolute desired state, never deltas, so re-running an action changes nothing.
 * Every write carries a precondition (resourceVersion in the body, a JSON-patch `test`, or a provider's
 * compare-and-swap), and every plan records the prior state so revert() can write it back.
 */
export interface Action<P = unknown> {
  readonly type: string;
  /** How long to wait after execute before verifying (ms); the executor's options may override it. */
  readonly bakeTimeMs: number;
  /** Validate and normalise the rule's parameters; throws AppError (400) naming the bad field. */
  parse(params: unknown): P;
  /** Who owns the field this action would change (HPA, Argo Rollouts, Flagger; GitOps noted). */
  ownership?(target: TargetRef, params: P): Promise<Ownership>;
  /** Read the target and compute absolute before/after. */
  plan(target: TargetRef, params: P, context?: PlanContext): Promise<ActionPlan>;
  /** Server-side dry run of the write the plan implies; throws when the API refuses it. */
  preflight(target: TargetRef, plan: ActionPlan): Promise<void>;
  /** The real write, with a precondition. Returns the plan with the post-write resourceVersion(s). */
  execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan>;
  /**
   * After the bake time: is the change still in place, and is the triggering signal healthy again?
   * 'inconclusive' when the signal has insufficient data or the object was changed by someone else.
   */
  verify(target: TargetRef, plan: ActionPlan, signal: VerifySignal): Promise<VerifyOutcome>;
  /**
   * Write plan.before back (absolute), with a precondition. A no-op when the target is already at
   * `before`; throws AppError `revert_diverged` when someone else changed the fields since execute.
   */
  revert(target: TargetRef, plan: ActionPlan): Promise<ActionPlan>;
}

export interface ActionContext {
  readonly spec: ActionSpec;
  readonly dryRun: boolean;
}
