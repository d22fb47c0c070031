import type { ActionPlan, ActionSpec, TargetRef } from '../domain/types.js';

/**
 * One remediation kind (scale-hpa, eject-endpoints, shift-gslb-weights, rollback-canary).
 * Plans are absolute desired state, never deltas, so re-running an action changes nothing.
 */
export interface Action<P = unknown> {
  readonly type: string;
  /** Validate and normalise the rule's parameters; throws AppError (400) naming the bad field. */
  parse(params: unknown): P;
  /** Read the target and compute absolute before/after. */
  plan(target: TargetRef, params: P): Promise<ActionPlan>;
  /** Server-side dry run of the write the plan implies; throws when the API refuses it. */
  preflight(target: TargetRef, plan: ActionPlan): Promise<void>;
  /** The real write, with a resourceVersion precondition. */
  execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan>;
}

export interface ActionContext {
  readonly spec: ActionSpec;
  readonly dryRun: boolean;
}
