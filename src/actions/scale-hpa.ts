/**
 * scale-hpa: set an autoscaling/v2 HorizontalPodAutoscaler's minReplicas (and optionally maxReplicas) to
 * absolute values — raising minReplicas is the safe "scale out now" lever when an HPA owns the workload.
 *
 * - plan reads the HPA and clamps the request by the blast-radius cap (maxReplicaChange, applied to each
 *   field relative to its current value); maxReplicas is then raised to at least minReplicas so the
 *   result is valid. The plan records the resourceVersion it was computed from.
 * - preflight sends the exact write as a server-side dry run (dryRun=All), with the resourceVersion in the
 *   patch body as precondition.
 * - execute re-reads the HPA: already at `after` → no write (a re-delivered job changes nothing).
 *   Otherwise the same JSON merge patch for real; a concurrent change surfaces as AppError `conflict`.
 */
import type { ActionPlan, TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import { describeTarget, type KubeObject, type KubernetesApi } from '../clients/kubernetes.js';
import type { Action } from './action.js';

export interface ScaleHpaParams {
  readonly minReplicas: number;
  readonly maxReplicas?: number;
}

export interface ScaleHpaCaps {
  /** Largest change, up or down, of minReplicas (and of maxReplicas) in one action. */
  readonly maxReplicaChange: number;
}

const HPA_GROUP = 'autoscaling';
const HPA_VERSION = 'v2';
const HPA_RESOURCE = 'horizontalpodautoscalers';
const MAX_REPLICAS_LIMIT = 100_000;
const PARAM_KEYS = new Set(['minReplicas', 'maxReplicas']);

function replicaParam(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw badRequest('invalid_params', `scale-hpa: ${field} must be an integer, got ${JSON.stringify(value) ?? 'undefined'}`, { field });
  }
  if (value < 1 || value > MAX_REPLICAS_LIMIT) {
    throw badRequest('invalid_params', `scale-hpa: ${field} must be between 1 and ${MAX_REPLICAS_LIMIT}, got ${value}`, { field });
  }
  return value;
}

type Replicas = { minReplicas: number; maxReplicas: number };

function replicasOf(hpa: KubeObject, what: string): Replicas {
  const spec = (typeof hpa.spec === 'object' && hpa.spec !== null ? hpa.spec : {}) as Record<string, unknown>;
  const min = spec.minReplicas ?? 1; // the API's default when unset
  const max = spec.maxReplicas;
  if (typeof min !== 'number' || typeof max !== 'number') {
    throw new AppError('invalid_target', `${what} has no numeric spec.minReplicas/spec.maxReplicas`, { httpStatus: 422 });
  }
  return { minReplicas: min, maxReplicas: max };
}

function clamp(value: number, around: number, cap: number): number {
  return Math.max(1, Math.min(around + cap, Math.max(around - cap, value)));
}

function planReplicas(plan: ActionPlan, field: 'before' | 'after'): Replicas {
  const side = plan[field];
  const min = side.minReplicas;
  const max = side.maxReplicas;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw badRequest('invalid_plan', `scale-hpa: plan.${field} must hold integer minReplicas >= 1 and maxReplicas >= minReplicas`, { field });
  }
  return { minReplicas: min, maxReplicas: max };
}

function same(a: Replicas, b: Replicas): boolean {
  return a.minReplicas === b.minReplicas && a.maxReplicas === b.maxReplicas;
}

/** Validate rule parameters (no cluster needed): absolute counts, errors naming the field. */
export function parseScaleHpaParams(params: unknown): ScaleHpaParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw badRequest('invalid_params', 'scale-hpa: params must be an object like {"minReplicas": 6}', { field: 'params' });
  }
  const record = params as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!PARAM_KEYS.has(key)) {
      throw badRequest('invalid_params', `scale-hpa: unknown parameter ${key} (allowed: minReplicas, maxReplicas)`, { field: key });
    }
  }
  if (record.minReplicas === undefined) {
    throw badRequest('invalid_params', 'scale-hpa: minReplicas is required (an absolute replica count, not a delta)', { field: 'minReplicas' });
  }
  const minReplicas = replicaParam(record.minReplicas, 'minReplicas');
  if (record.maxReplicas === undefined) return { minReplicas };
  const maxReplicas = replicaParam(record.maxReplicas, 'maxReplicas');
  if (maxReplicas < minReplicas) {
    throw badRequest('invalid_params', `scale-hpa: maxReplicas (${maxReplicas}) must be >= minReplicas (${minReplicas})`, { field: 'maxReplicas' });
  }
  return { minReplicas, maxReplicas };
}

export class ScaleHpaAction implements Action<ScaleHpaParams> {
  readonly type = 'scale-hpa';

  constructor(
    private readonly kube: KubernetesApi,
    private readonly caps: ScaleHpaCaps,
  ) {
    if (!Number.isInteger(caps.maxReplicaChange) || caps.maxReplicaChange < 0) {
      throw new Error(`scale-hpa: caps.maxReplicaChange must be a non-negative integer, got ${caps.maxReplicaChange}`);
    }
  }

  parse(params: unknown): ScaleHpaParams {
    return parseScaleHpaParams(params);
  }

  async plan(target: TargetRef, params: ScaleHpaParams): Promise<ActionPlan> {
    const ref = this.hpaRef(target);
    const hpa = await this.kube.getObject(ref);
    const before = replicasOf(hpa, describeTarget(ref));
    const cap = this.caps.maxReplicaChange;
    const minReplicas = clamp(params.minReplicas, before.minReplicas, cap);
    const maxReplicas = Math.max(clamp(params.maxReplicas ?? before.maxReplicas, before.maxReplicas, cap), minReplicas);
    const resourceVersion = hpa.metadata?.resourceVersion;
    return {
      before,
      after: { minReplicas, maxReplicas },
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    };
  }

  async preflight(target: TargetRef, plan: ActionPlan): Promise<void> {
    const after = planReplicas(plan, 'after');
    if (same(planReplicas(plan, 'before'), after)) return; // nothing would be written
    await this.kube.patchObject(this.hpaRef(target), this.patchBody(plan, after), { type: 'merge', dryRun: true });
  }

  async execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const ref = this.hpaRef(target);
    const after = planReplicas(plan, 'after');
    const current = await this.kube.getObject(ref);
    if (same(replicasOf(current, describeTarget(ref)), after)) {
      const rv = current.metadata?.resourceVersion;
      return { ...plan, ...(rv === undefined ? {} : { resourceVersion: rv }) };
    }
    const written = await this.kube.patchObject(ref, this.patchBody(plan, after), { type: 'merge', dryRun: false });
    const rv = written.metadata?.resourceVersion;
    return { ...plan, ...(rv === undefined ? {} : { resourceVersion: rv }) };
  }

  private patchBody(plan: ActionPlan, after: Replicas): Record<string, unknown> {
    if (plan.resourceVersion === undefined || plan.resourceVersion === '') {
      throw badRequest('invalid_plan', 'scale-hpa: the plan has no resourceVersion; every write needs a precondition', { field: 'resourceVersion' });
    }
    return {
      metadata: { resourceVersion: plan.resourceVersion },
      spec: { minReplicas: after.minReplicas, maxReplicas: after.maxReplicas },
    };
  }

  private hpaRef(target: TargetRef): TargetRef {
    if (target.group !== HPA_GROUP || target.resource !== HPA_RESOURCE) {
      throw badRequest(
        'invalid_target',
        `scale-hpa acts on ${HPA_RESOURCE}.${HPA_GROUP}, not ${target.resource}.${target.group || 'core'}`,
        { field: 'target' },
      );
    }
    if (target.namespace === '' || target.name === '') {
      throw badRequest('invalid_target', 'scale-hpa: target namespace and name are required', { field: 'target' });
    }
    return { ...target, version: HPA_VERSION };
  }
}
