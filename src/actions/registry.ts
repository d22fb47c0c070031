import type { KubernetesApi } from '../clients/kubernetes.js';
import type { ActionKindInfo } from '../policy/engine.js';
import type { Action } from './action.js';
import { parseScaleHpaParams, ScaleHpaAction } from './scale-hpa.js';

export interface ActionDeps {
  readonly kube: KubernetesApi | undefined;
  readonly maxReplicaChange: number;
}

/** One entry per action type: what it targets, how its params are checked, how it is built. */
interface ActionDefinition extends ActionKindInfo {
  readonly type: string;
  create(deps: ActionDeps & { kube: KubernetesApi }): Action;
}

/** Adding an action is one file and one line here. */
const DEFINITIONS: readonly ActionDefinition[] = [
  {
    type: 'scale-hpa',
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    parse: parseScaleHpaParams,
    create: (deps) => new ScaleHpaAction(deps.kube, { maxReplicaChange: deps.maxReplicaChange }),
  },
];

/** What the policy needs per type (targets and parameter checks), with no cluster connection. */
export const actionKinds: ReadonlyMap<string, ActionKindInfo> = new Map(DEFINITIONS.map((d) => [d.type, d]));

/** Executable actions; empty without a Kubernetes connection (the executor can then only plan in dry run). */
export function createActions(deps: ActionDeps): Map<string, Action> {
  const kube = deps.kube;
  if (!kube) return new Map();
  return new Map(DEFINITIONS.map((d) => [d.type, d.create({ ...deps, kube })]));
}
