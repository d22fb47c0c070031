import type { KubernetesApi } from '../clients/kubernetes.js';
import type { ActionKindInfo } from '../policy/engine.js';
import type { Action } from './action.js';
import { EjectEndpointsAction, parseEjectEndpointsParams } from './eject-endpoints.js';
import type { FlaggerRollbackRegistry } from './flagger-rollback.js';
import type { GslbProvider } from './gslb-provider.js';
import { parseRollbackCanaryParams, RollbackCanaryAction } from './rollback-canary.js';
import { parseScaleHpaParams, ScaleHpaAction } from './scale-hpa.js';
import { parseShiftGslbWeightsParams, ShiftGslbWeightsAction, type Route53Target } from './shift-gslb-weights.js';

export interface ActionDeps {
  readonly kube: KubernetesApi | undefined;
  /** Blast-radius cap: largest replica change per action (scale-hpa, scale-deployment). */
  readonly maxReplicaChange: number;
  /** Blast-radius cap: share of a Service's endpoints quarantined at once (default 0.34). */
  readonly maxEjectShare?: number;
  /** Blast-radius cap: weight moved per step, percent of the total (default 25). */
  readonly maxWeightStepPercent?: number;
  /** Scale Deployments directly (deployments/scale) when no HPA targets them (default true). */
  readonly allowDirectScale?: boolean;
  /** Where rollback-canary records Flagger judgements for POST /hooks/flagger/rollback. */
  readonly flagger?: FlaggerRollbackRegistry;
  /** Builds the Route 53 provider of shift-gslb-weights (see src/clients/route53.ts); absent = unavailable. */
  readonly route53?: (target: Route53Target) => GslbProvider;
}

/** One entry per action type: what it targets, how its params are checked, how it is built. */
interface ActionDefinition extends ActionKindInfo {
  readonly type: string;
  create(deps: ActionDeps & { kube: KubernetesApi }): Action;
}

/** Adding an action is one file and one line here. */
const DEFINITIONS: readonly ActionDefinition[] = [
  { type: 'scale-hpa', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', parse: parseScaleHpaParams, create: (d) => new ScaleHpaAction(d.kube, { maxReplicaChange: d.maxReplicaChange, allowDirectScale: d.allowDirectScale ?? true }) as Action },
  { type: 'scale-deployment', group: 'apps', version: 'v1', resource: 'deployments', parse: parseScaleHpaParams, create: (d) => new ScaleHpaAction(d.kube, { maxReplicaChange: d.maxReplicaChange, allowDirectScale: d.allowDirectScale ?? true }, 'scale-deployment') as Action },
  { type: 'eject-endpoints', group: '', version: 'v1', resource: 'services', parse: parseEjectEndpointsParams, create: (d) => new EjectEndpointsAction(d.kube, { maxEjectShare: d.maxEjectShare ?? 0.34 }) as Action },
  { type: 'shift-gslb-weights', group: 'k8gb.absa.oss', version: 'v1beta1', resource: 'gslbs', parse: parseShiftGslbWeightsParams, create: (d) => new ShiftGslbWeightsAction(d.kube, { maxWeightStepPercent: d.maxWeightStepPercent ?? 25, ...(d.route53 ? { route53: d.route53 } : {}) }) as Action },
  { type: 'rollback-canary', group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices', parse: parseRollbackCanaryParams, create: (d) => new RollbackCanaryAction(d.kube, d.flagger) as Action },
];

/** What the policy needs per type (targets and parameter checks), with no cluster connection. */
export const actionKinds: ReadonlyMap<string, ActionKindInfo> = new Map(DEFINITIONS.map((d) => [d.type, d]));

/** Executable actions; empty without a Kubernetes connection (the executor can then only plan in dry run). */
export function createActions(deps: ActionDeps): Map<string, Action> {
  const kube = deps.kube;
  if (!kube) return new Map();
  return new Map(DEFINITIONS.map((d) => [d.type, d.create({ ...deps, kube })]));
}
