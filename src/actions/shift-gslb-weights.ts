/**
 * shift-gslb-weights: move traffic away from a bad region in bounded steps, through a GSLB provider
 * (k8gb Gslb resource by default, or Route 53 weighted records), and back again only with hysteresis.
 *
 * - mode "drain" (default): the region `from` (default: the `region` label of the evidence) loses at most
 *   maxWeightStepPercent of the total weight per decision (never below `minWeight`); the other regions gain
 *   it in proportion to their weights. Repeated decisions drain further, one step each.
 * - mode "restore": move every region toward the absolute `weights` given, one step at a time — but only
 *   once the region being restored has been healthy for `requiredHealthyVerifications` consecutive
 *   verifications (`healthyVerifications`, supplied by the caller that tracks recovery). Until then the
 *   plan is a no-op that records the hysteresis state (before/after.hysteresis).
 * - Cap: no region's weight changes by more than floor(maxWeightStepPercent% × current total) per step.
 * - Precondition: the provider's version (k8gb: resourceVersion in a JSON merge patch; Route 53: an
 *   atomic DELETE+CREATE batch of the exact current records). Pre-flight: dryRun=All for k8gb; for
 *   Route 53, which has no dry run, a re-read + precondition + validation without writing.
 * - Revert writes the recorded prior weights back with the current version as precondition.
 *
 * Plan shape: before/after = { provider, weights, hysteresis? }, resourceVersion = the provider's version.
 */
import type { ActionPlan, Anomaly, TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import type { KubernetesApi } from '../clients/kubernetes.js';
import type { Action, Ownership, PlanContext, VerifyOutcome, VerifySignal } from './action.js';
import { diverged, invalidPlan, numberParam, paramsObject, requireTarget, stringParam, verifySignal } from './common.js';
import { drainStep, isWeights, K8gbProvider, restoreStep, weightsEqual, type GslbProvider, type Weights } from './gslb-provider.js';

const TYPE = 'shift-gslb-weights';
const PARAMS = ['provider', 'mode', 'from', 'region', 'maxWeightStepPercent', 'minWeight', 'weights', 'healthyVerifications', 'requiredHealthyVerifications', 'route53'] as const;

export interface Route53Target {
  readonly hostedZoneId: string;
  readonly recordName: string;
  readonly recordType: string;
}

export interface ShiftGslbWeightsParams {
  readonly provider: 'k8gb' | 'route53';
  readonly mode: 'drain' | 'restore';
  /** drain: the region to move weight away from (default: the evidence's `region` label). */
  readonly from?: string;
  /** restore: the region being given its weight back (for the hysteresis check). */
  readonly region?: string;
  readonly maxWeightStepPercent?: number;
  /** drain: the lowest weight `from` may be left with (default 0). */
  readonly minWeight: number;
  /** restore: the absolute weights to return to. */
  readonly weights?: Weights;
  /** restore: consecutive healthy verifications the region has had (hysteresis state, from the caller). */
  readonly healthyVerifications: number;
  readonly requiredHealthyVerifications: number;
  readonly route53?: Route53Target;
}

export interface ShiftGslbWeightsCaps {
  /** Global cap on the weight moved per step, in percent of the total (default 25). */
  readonly maxWeightStepPercent?: number;
  readonly bakeTimeMs?: number;
  /** Builds a Route 53 provider; absent = provider "route53" is unavailable. */
  readonly route53?: (target: Route53Target) => GslbProvider;
}

export function parseShiftGslbWeightsParams(params: unknown): ShiftGslbWeightsParams {
  const p = paramsObject(TYPE, params ?? {}, PARAMS, '{"from": "eu-west-1", "maxWeightStepPercent": 25}');
  const provider = p.provider ?? 'k8gb';
  if (provider !== 'k8gb' && provider !== 'route53') throw badRequest('invalid_params', `${TYPE}: provider must be k8gb or route53`, { field: 'provider' });
  const mode = p.mode ?? 'drain';
  if (mode !== 'drain' && mode !== 'restore') throw badRequest('invalid_params', `${TYPE}: mode must be drain or restore`, { field: 'mode' });
  const out: { -readonly [K in keyof ShiftGslbWeightsParams]: ShiftGslbWeightsParams[K] } = {
    provider, mode,
    minWeight: p.minWeight === undefined ? 0 : numberParam(TYPE, p.minWeight, 'minWeight', 0, 1_000_000, true),
    healthyVerifications: p.healthyVerifications === undefined ? 0 : numberParam(TYPE, p.healthyVerifications, 'healthyVerifications', 0, 1_000_000, true),
    requiredHealthyVerifications: p.requiredHealthyVerifications === undefined ? 3 : numberParam(TYPE, p.requiredHealthyVerifications, 'requiredHealthyVerifications', 1, 1000, true),
  };
  if (p.from !== undefined) out.from = stringParam(TYPE, p.from, 'from');
  if (p.region !== undefined) out.region = stringParam(TYPE, p.region, 'region');
  if (p.maxWeightStepPercent !== undefined) out.maxWeightStepPercent = numberParam(TYPE, p.maxWeightStepPercent, 'maxWeightStepPercent', 0, 100);
  if (p.weights !== undefined) {
    if (!isWeights(p.weights) || Object.keys(p.weights).length === 0) throw badRequest('invalid_params', `${TYPE}: weights must map regions to non-negative integers`, { field: 'weights' });
    out.weights = { ...p.weights };
  }
  if (mode === 'restore' && out.weights === undefined) throw badRequest('invalid_params', `${TYPE}: mode restore needs the absolute weights to return to`, { field: 'weights' });
  if (provider === 'route53') {
    const r = paramsObject(TYPE, p.route53, ['hostedZoneId', 'recordName', 'recordType'], '{"hostedZoneId": "Z123", "recordName": "web.example.com"}');
    out.route53 = {
      hostedZoneId: stringParam(TYPE, r.hostedZoneId, 'route53.hostedZoneId'),
      recordName: stringParam(TYPE, r.recordName, 'route53.recordName'),
      recordType: r.recordType === undefined ? 'A' : stringParam(TYPE, r.recordType, 'route53.recordType'),
    };
  } else if (p.route53 !== undefined) {
    throw badRequest('invalid_params', `${TYPE}: route53 is only for provider route53`, { field: 'route53' });
  }
  return out;
}

function evidenceRegion(evidence: readonly Anomaly[]): string | undefined {
  const sorted = [...evidence].sort((a, b) => b.score - a.score);
  return sorted.map((a) => a.labels.region).find((r) => r !== undefined && r !== '');
}

function planWeights(plan: ActionPlan, field: 'before' | 'after'): Weights {
  const w = plan[field].weights;
  if (!isWeights(w)) throw invalidPlan(TYPE, `plan.${field}.weights must map regions to non-negative integers`, 'weights');
  return w;
}

export class ShiftGslbWeightsAction implements Action<ShiftGslbWeightsParams> {
  readonly type = TYPE;
  readonly bakeTimeMs: number;
  private readonly maxStep: number;

  constructor(
    private readonly kube: KubernetesApi,
    private readonly caps: ShiftGslbWeightsCaps = {},
  ) {
    this.maxStep = caps.maxWeightStepPercent ?? 25;
    if (!(this.maxStep >= 0 && this.maxStep <= 100)) throw new Error(`${TYPE}: caps.maxWeightStepPercent must be in 0..100`);
    this.bakeTimeMs = caps.bakeTimeMs ?? 180_000;
  }

  parse(params: unknown): ShiftGslbWeightsParams {
    return parseShiftGslbWeightsParams(params);
  }

  /** The provider owns the weights; a GitOps controller over the Gslb is noted. */
  provider(target: TargetRef, params: ShiftGslbWeightsParams): GslbProvider {
    requireTarget(TYPE, target, [{ group: 'k8gb.absa.oss', resource: 'gslbs' }]);
    if (params.provider === 'route53') {
      if (this.caps.route53 === undefined || params.route53 === undefined) {
        throw new AppError('provider_unavailable', `${TYPE}: provider route53 is not configured (actions.route53)`, { httpStatus: 422, retryable: false });
      }
      return this.caps.route53(params.route53);
    }
    return new K8gbProvider(this.kube, target);
  }

  async ownership(target: TargetRef, params: ShiftGslbWeightsParams): Promise<Ownership> {
    const provider = this.provider(target, params);
    const gitops = provider.gitops ? await provider.gitops() : undefined;
    return { owner: 'none', lever: `${provider.id} weights`, ...(gitops ? { gitops } : {}) };
  }

  async plan(target: TargetRef, params: ShiftGslbWeightsParams, context?: PlanContext): Promise<ActionPlan> {
    const provider = this.provider(target, params);
    const { weights, version } = await provider.getWeights();
    const step = Math.min(this.maxStep, params.maxWeightStepPercent ?? this.maxStep);
    let after: Weights;
    let hysteresis: Record<string, unknown> | undefined;
    if (params.mode === 'drain') {
      const from = params.from ?? evidenceRegion(context?.evidence ?? []);
      if (from === undefined) throw badRequest('invalid_params', `${TYPE}: no region to drain (params.from, or a region label on the evidence)`, { field: 'from' });
      after = drainStep(weights, from, step, params.minWeight);
      hysteresis = { drained: from, healthyVerifications: 0, required: params.requiredHealthyVerifications };
    } else {
      const target = params.weights ?? {};
      const region = params.region ?? Object.keys(target).find((r) => (target[r] ?? 0) > (weights[r] ?? 0));
      const holding = params.healthyVerifications < params.requiredHealthyVerifications;
      hysteresis = { restoring: region ?? null, healthyVerifications: params.healthyVerifications, required: params.requiredHealthyVerifications, holding };
      after = holding ? weights : restoreStep(weights, target, step);
    }
    const id = provider.id;
    return {
      before: { provider: id, weights, hysteresis },
      after: { provider: id, weights: after, hysteresis },
      resourceVersion: version,
    };
  }

  async preflight(target: TargetRef, plan: ActionPlan): Promise<void> {
    const provider = this.providerFor(target, plan);
    const after = planWeights(plan, 'after');
    if (weightsEqual(planWeights(plan, 'before'), after)) return;
    await provider.setWeights(after, this.version(plan), { dryRun: true });
  }

  async execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const provider = this.providerFor(target, plan);
    const after = planWeights(plan, 'after');
    const current = await provider.getWeights();
    if (weightsEqual(current.weights, after)) return { ...plan, resourceVersion: current.version };
    const written = await provider.setWeights(after, this.version(plan), { dryRun: false });
    return { ...plan, resourceVersion: written.version };
  }

  async verify(target: TargetRef, plan: ActionPlan, signal: VerifySignal): Promise<VerifyOutcome> {
    const current = await this.providerFor(target, plan).getWeights();
    if (!weightsEqual(current.weights, planWeights(plan, 'after'))) return 'inconclusive';
    return verifySignal(signal);
  }

  async revert(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const provider = this.providerFor(target, plan);
    const before = planWeights(plan, 'before');
    const current = await provider.getWeights();
    if (weightsEqual(current.weights, before)) return { ...plan, resourceVersion: current.version };
    if (!weightsEqual(current.weights, planWeights(plan, 'after'))) throw diverged(TYPE, provider.id, `weights are ${JSON.stringify(current.weights)}`);
    const written = await provider.setWeights(before, current.version, { dryRun: false });
    return { ...plan, resourceVersion: written.version };
  }

  /** The provider named in the plan (so verify/revert hit what execute wrote). */
  private providerFor(target: TargetRef, plan: ActionPlan): GslbProvider {
    const id = plan.after.provider;
    if (typeof id !== 'string') throw invalidPlan(TYPE, 'plan.after.provider is missing', 'provider');
    const route53 = /^route53 ([^/]+)\/(.+)\/([A-Z]+)$/.exec(id);
    const params: ShiftGslbWeightsParams = route53 === null
      ? { provider: 'k8gb', mode: 'drain', minWeight: 0, healthyVerifications: 0, requiredHealthyVerifications: 1 }
      : { provider: 'route53', mode: 'drain', minWeight: 0, healthyVerifications: 0, requiredHealthyVerifications: 1, route53: { hostedZoneId: route53[1]!, recordName: route53[2]!, recordType: route53[3]! } };
    const provider = this.provider(target, params);
    if (provider.id !== id) throw invalidPlan(TYPE, `the plan is for ${id}, not ${provider.id}`, 'provider');
    return provider;
  }

  private version(plan: ActionPlan): string {
    if (plan.resourceVersion === undefined || plan.resourceVersion === '') {
      throw invalidPlan(TYPE, 'the plan has no provider version; every write needs a precondition', 'resourceVersion');
    }
    return plan.resourceVersion;
  }
}

