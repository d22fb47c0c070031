/**
 * scale-hpa: set an autoscaling/v2 HorizontalPodAutoscaler's minReplicas (and optionally maxReplicas) to
 * absolute values — raising minReplicas is the safe "scale out now" lever when an HPA owns the workload.
 * The target may also be an apps/v1 Deployment (type scale-deployment): ownership() looks for an HPA whose
 * scaleTargetRef names it; if there is one its minReplicas is the lever (plan.before/after carry `hpa`),
 * otherwise — only when allowDirectScale — spec.replicas through the deployments/scale subresource
 * (plan.before/after carry `replicas`).
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
import type { Action, Ownership, PlanContext, VerifyOutcome, VerifySignal } from './action.js';
import { diverged, gitopsOf, recordOf, rvOf, verifySignal } from './common.js';

export interface ScaleHpaParams {
  readonly minReplicas: number;
  readonly maxReplicas?: number;
}

export interface ScaleHpaCaps {
  /** Largest change, up or down, of minReplicas (and of maxReplicas) in one action. */
  readonly maxReplicaChange: number;
  /** Scale a Deployment through deployments/scale when no HPA targets it (default true). */
  readonly allowDirectScale?: boolean;
  /** Bake time before verification (default 120 s: new pods must start and take traffic). */
  readonly bakeTimeMs?: number;
}

const DEPLOY_GROUP = 'apps';
const DEPLOY_RESOURCE = 'deployments';

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
  readonly bakeTimeMs: number;

  constructor(
    private readonly kube: KubernetesApi,
    private readonly caps: ScaleHpaCaps,
    readonly type: string = 'scale-hpa',
  ) {
    if (!Number.isInteger(caps.maxReplicaChange) || caps.maxReplicaChange < 0) {
      throw new Error(`scale-hpa: caps.maxReplicaChange must be a non-negative integer, got ${caps.maxReplicaChange}`);
    }
    this.bakeTimeMs = caps.bakeTimeMs ?? 120_000;
  }

  parse(params: unknown): ScaleHpaParams {
    return parseScaleHpaParams(params);
  }

  /** An HPA target is its own lever; a Deployment is owned by the HPA whose scaleTargetRef names it, if any. */
  async ownership(target: TargetRef): Promise<Ownership> {
    this.checkTarget(target);
    const obj = await this.kube.getObject(target);
    if (isHpa(target)) {
      const gitops = gitopsOf(obj, 'spec.minReplicas, spec.maxReplicas');
      return { owner: 'hpa', ownerRef: target, lever: 'horizontalpodautoscalers.spec.minReplicas', ...(gitops ? { gitops } : {}) };
    }
    const hpas = await this.kube.listObjects({ group: HPA_GROUP, version: HPA_VERSION, resource: HPA_RESOURCE, namespace: target.namespace });
    const owner = hpas.find((h) => {
      const ref = recordOf(recordOf(h.spec).scaleTargetRef);
      return ref.kind === 'Deployment' && ref.name === target.name;
    });
    if (owner !== undefined) {
      const ownerRef = { ...target, group: HPA_GROUP, version: HPA_VERSION, resource: HPA_RESOURCE, name: owner.metadata?.name ?? '' };
      const gitops = gitopsOf(owner, 'spec.minReplicas, spec.maxReplicas') ?? gitopsOf(obj, 'spec.replicas');
      return { owner: 'hpa', ownerRef, lever: 'horizontalpodautoscalers.spec.minReplicas', ...(gitops ? { gitops } : {}) };
    }
    const gitops = gitopsOf(obj, 'spec.replicas');
    return { owner: 'none', lever: 'deployments/scale spec.replicas', ...(gitops ? { gitops } : {}) };
  }

  async plan(target: TargetRef, params: ScaleHpaParams, context?: PlanContext): Promise<ActionPlan> {
    this.checkTarget(target);
    const cap = this.caps.maxReplicaChange;
    let hpaRef = isHpa(target) ? this.hpaRef(target) : undefined;
    if (hpaRef === undefined) {
      const ownership = context?.ownership ?? (await this.ownership(target));
      if (ownership.owner === 'hpa' && ownership.ownerRef !== undefined) hpaRef = this.hpaRef(ownership.ownerRef);
    }
    if (hpaRef === undefined) {
      if (this.caps.allowDirectScale === false) {
        throw new AppError('direct_scale_disabled', `${this.type}: no HPA targets ${describeTarget(target)} and scaling Deployments directly is disabled`, { httpStatus: 422 });
      }
      const scale = await this.kube.getObject(this.deployRef(target), { subresource: 'scale' });
      const replicas = scaleReplicas(scale);
      const after = clamp(params.minReplicas, replicas, cap);
      const resourceVersion = rvOf(scale);
      return { before: { replicas }, after: { replicas: after }, ...(resourceVersion === undefined ? {} : { resourceVersion }) };
    }
    const hpa = await this.kube.getObject(hpaRef);
    const before = replicasOf(hpa, describeTarget(hpaRef));
    const minReplicas = clamp(params.minReplicas, before.minReplicas, cap);
    const maxReplicas = Math.max(clamp(params.maxReplicas ?? before.maxReplicas, before.maxReplicas, cap), minReplicas);
    const resourceVersion = hpa.metadata?.resourceVersion;
    const via = isHpa(target) ? {} : { hpa: hpaRef.name };
    return {
      before: { ...via, ...before },
      after: { ...via, minReplicas, maxReplicas },
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    };
  }

  async preflight(target: TargetRef, plan: ActionPlan): Promise<void> {
    const lever = this.lever(target, plan);
    if (lever.kind === 'scale') {
      const after = planScale(plan, 'after');
      if (after === planScale(plan, 'before')) return;
      await this.kube.patchObject(lever.ref, this.scaleBody(plan.resourceVersion, after), { type: 'merge', dryRun: true, subresource: 'scale' });
      return;
    }
    const after = planReplicas(plan, 'after');
    if (same(planReplicas(plan, 'before'), after)) return; // nothing would be written
    await this.kube.patchObject(lever.ref, this.patchBody(plan.resourceVersion, after), { type: 'merge', dryRun: true });
  }

  async execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const lever = this.lever(target, plan);
    if (lever.kind === 'scale') {
      const after = planScale(plan, 'after');
      const current = await this.kube.getObject(lever.ref, { subresource: 'scale' });
      if (scaleReplicas(current) === after) return withRvOf(plan, current);
      const written = await this.kube.patchObject(lever.ref, this.scaleBody(plan.resourceVersion, after), { type: 'merge', dryRun: false, subresource: 'scale' });
      return withRvOf(plan, written);
    }
    const after = planReplicas(plan, 'after');
    const current = await this.kube.getObject(lever.ref);
    if (same(replicasOf(current, describeTarget(lever.ref)), after)) return withRvOf(plan, current);
    const written = await this.kube.patchObject(lever.ref, this.patchBody(plan.resourceVersion, after), { type: 'merge', dryRun: false });
    return withRvOf(plan, written);
  }

  /** Still at `after` (else someone else moved it: inconclusive), then the triggering signal. */
  async verify(target: TargetRef, plan: ActionPlan, signal: VerifySignal): Promise<VerifyOutcome> {
    const lever = this.lever(target, plan);
    if (lever.kind === 'scale') {
      const current = await this.kube.getObject(lever.ref, { subresource: 'scale' });
      if (scaleReplicas(current) !== planScale(plan, 'after')) return 'inconclusive';
    } else {
      const current = await this.kube.getObject(lever.ref);
      if (!same(replicasOf(current, describeTarget(lever.ref)), planReplicas(plan, 'after'))) return 'inconclusive';
    }
    return verifySignal(signal);
  }

  /** Write plan.before back (absolute) with the current resourceVersion as precondition. */
  async revert(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const lever = this.lever(target, plan);
    const what = describeTarget(lever.ref, lever.kind === 'scale' ? 'scale' : undefined);
    if (lever.kind === 'scale') {
      const before = planScale(plan, 'before');
      const current = await this.kube.getObject(lever.ref, { subresource: 'scale' });
      const now = scaleReplicas(current);
      if (now === before) return withRvOf(plan, current);
      if (now !== planScale(plan, 'after')) throw diverged(this.type, what, `replicas is ${now}, aiopsd set ${planScale(plan, 'after')}`);
      const written = await this.kube.patchObject(lever.ref, this.scaleBody(rvOf(current), before), { type: 'merge', dryRun: false, subresource: 'scale' });
      return withRvOf(plan, written);
    }
    const before = planReplicas(plan, 'before');
    const after = planReplicas(plan, 'after');
    const current = await this.kube.getObject(lever.ref);
    const now = replicasOf(current, what);
    if (same(now, before)) return withRvOf(plan, current);
    if (!same(now, after)) throw diverged(this.type, what, `now ${now.minReplicas}..${now.maxReplicas}, aiopsd set ${after.minReplicas}..${after.maxReplicas}`);
    const written = await this.kube.patchObject(lever.ref, this.patchBody(rvOf(current), before), { type: 'merge', dryRun: false });
    return withRvOf(plan, written);
  }

  private lever(target: TargetRef, plan: ActionPlan): { kind: 'hpa' | 'scale'; ref: TargetRef } {
    this.checkTarget(target);
    if (isHpa(target)) return { kind: 'hpa', ref: this.hpaRef(target) };
    const hpa = plan.after.hpa;
    if (typeof hpa === 'string' && hpa !== '') {
      return { kind: 'hpa', ref: { ...target, group: HPA_GROUP, version: HPA_VERSION, resource: HPA_RESOURCE, name: hpa } };
    }
    return { kind: 'scale', ref: this.deployRef(target) };
  }

  private patchBody(resourceVersion: string | undefined, after: Replicas): Record<string, unknown> {
    return {
      metadata: { resourceVersion: this.precondition(resourceVersion) },
      spec: { minReplicas: after.minReplicas, maxReplicas: after.maxReplicas },
    };
  }

  private scaleBody(resourceVersion: string | undefined, replicas: number): Record<string, unknown> {
    return { metadata: { resourceVersion: this.precondition(resourceVersion) }, spec: { replicas } };
  }

  private precondition(resourceVersion: string | undefined): string {
    if (resourceVersion === undefined || resourceVersion === '') {
      throw badRequest('invalid_plan', `${this.type}: the plan has no resourceVersion; every write needs a precondition`, { field: 'resourceVersion' });
    }
    return resourceVersion;
  }

  private checkTarget(target: TargetRef): void {
    if (!isHpa(target) && !(target.group === DEPLOY_GROUP && target.resource === DEPLOY_RESOURCE)) {
      throw badRequest(
        'invalid_target',
        `${this.type} acts on ${HPA_RESOURCE}.${HPA_GROUP} (or ${DEPLOY_RESOURCE}.${DEPLOY_GROUP}), not ${target.resource}.${target.group || 'core'}`,
        { field: 'target' },
      );
    }
    if (target.namespace === '' || target.name === '') {
      throw badRequest('invalid_target', `${this.type}: target namespace and name are required`, { field: 'target' });
    }
  }

  private hpaRef(target: TargetRef): TargetRef {
    return { ...target, version: HPA_VERSION };
  }

  private deployRef(target: TargetRef): TargetRef {
    return { ...target, group: DEPLOY_GROUP, version: 'v1', resource: DEPLOY_RESOURCE };
  }
}

function isHpa(target: TargetRef): boolean {
  return target.group === HPA_GROUP && target.resource === HPA_RESOURCE;
}

function scaleReplicas(scale: KubeObject): number {
  const replicas = recordOf(scale.spec).replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

function planScale(plan: ActionPlan, field: 'before' | 'after'): number {
  const n = plan[field].replicas;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw badRequest('invalid_plan', `scale-hpa: plan.${field}.replicas must be a non-negative integer`, { field });
  }
  return n;
}

function withRvOf(plan: ActionPlan, obj: KubeObject): ActionPlan {
  const rv = rvOf(obj);
  return { ...plan, ...(rv === undefined ? {} : { resourceVersion: rv }) };
}
