import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { arr, at, isObj, type Json } from './files.js';

/**
 * A small schema check for the kinds aiopsd ships: the apiVersion, the fields the API server requires,
 * and (for built-in kinds) no unknown field: the object is round-tripped through
 * @kubernetes/client-node's generated models, which drop any key the OpenAPI schema does not know.
 */
interface KindSpec {
  apiVersion: string;
  model?: string;
  namespaced: boolean;
  check?: (o: Json) => string[];
}

const need = (o: Json, ...paths: string[][]): string[] =>
  paths.filter((p) => at(o, ...p) === undefined || at(o, ...p) === null).map((p) => `missing ${p.join('.')}`);
const nonEmpty = (o: Json, ...p: string[]): string[] => (arr(at(o, ...p)).length > 0 ? [] : [`${p.join('.')} must be a non-empty list`]);

function checkPodTemplate(o: Json): string[] {
  const errs = [...need(o, ['spec', 'selector']), ...need(o, ['spec', 'template', 'metadata', 'labels']), ...nonEmpty(o, 'spec', 'template', 'spec', 'containers')];
  for (const c of arr(at(o, 'spec', 'template', 'spec', 'containers'))) errs.push(...need(c as Json, ['name'], ['image']));
  const selector = at(o, 'spec', 'selector', 'matchLabels');
  const labels = at(o, 'spec', 'template', 'metadata', 'labels');
  if (isObj(selector) && isObj(labels) && !Object.entries(selector).every(([k, v]) => labels[k] === v)) errs.push('spec.selector does not match the pod template labels');
  return errs;
}

function checkRules(o: Json): string[] {
  const errs = nonEmpty(o, 'rules');
  arr(o.rules).forEach((r, i) => {
    if (arr(at(r, 'verbs')).length === 0) errs.push(`rules[${i}].verbs is empty`);
    if (arr(at(r, 'nonResourceURLs')).length === 0 && (at(r, 'apiGroups') === undefined || arr(at(r, 'resources')).length === 0)) {
      errs.push(`rules[${i}] needs apiGroups and resources`);
    }
  });
  return errs;
}

function checkBinding(o: Json): string[] {
  const errs = [...need(o, ['roleRef', 'apiGroup'], ['roleRef', 'kind'], ['roleRef', 'name']), ...nonEmpty(o, 'subjects')];
  for (const s of arr(o.subjects)) errs.push(...need(s as Json, ['kind'], ['name']));
  return errs;
}

export const KINDS: Record<string, KindSpec> = {
  Namespace: { apiVersion: 'v1', model: 'V1Namespace', namespaced: false },
  ServiceAccount: { apiVersion: 'v1', model: 'V1ServiceAccount', namespaced: true },
  ConfigMap: { apiVersion: 'v1', model: 'V1ConfigMap', namespaced: true },
  Service: {
    apiVersion: 'v1', model: 'V1Service', namespaced: true,
    check: (o) => [...nonEmpty(o, 'spec', 'ports'), ...arr(at(o, 'spec', 'ports')).flatMap((p) => need(p as Json, ['port']))],
  },
  Deployment: { apiVersion: 'apps/v1', model: 'V1Deployment', namespaced: true, check: checkPodTemplate },
  ClusterRole: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1ClusterRole', namespaced: false, check: checkRules },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1Role', namespaced: true, check: checkRules },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1ClusterRoleBinding', namespaced: false, check: checkBinding },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', model: 'V1RoleBinding', namespaced: true, check: checkBinding },
  NetworkPolicy: {
    apiVersion: 'networking.k8s.io/v1', model: 'V1NetworkPolicy', namespaced: true,
    check: (o) => need(o, ['spec', 'podSelector']),
  },
  PodDisruptionBudget: {
    apiVersion: 'policy/v1', model: 'V1PodDisruptionBudget', namespaced: true,
    check: (o) => [
      ...need(o, ['spec', 'selector']),
      ...(at(o, 'spec', 'minAvailable') === undefined && at(o, 'spec', 'maxUnavailable') === undefined ? ['needs spec.minAvailable or spec.maxUnavailable'] : []),
    ],
  },
  ServiceMonitor: {
    apiVersion: 'monitoring.coreos.com/v1', namespaced: true,
    check: (o) => {
      const errs = [...need(o, ['spec', 'selector']), ...nonEmpty(o, 'spec', 'endpoints')];
      for (const e of arr(at(o, 'spec', 'endpoints'))) if (at(e, 'port') === undefined && at(e, 'targetPort') === undefined) errs.push('endpoint needs port or targetPort');
      return errs;
    },
  },
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Paths present in `original` but missing (or changed in type) in `roundTrip`. */
function droppedPaths(original: unknown, roundTrip: unknown, path: string): string[] {
  if (Array.isArray(original)) {
    if (!Array.isArray(roundTrip)) return [path];
    return original.flatMap((v, i) => droppedPaths(v, roundTrip[i], `${path}[${i}]`));
  }
  if (isObj(original)) {
    if (!isObj(roundTrip)) return [path];
    return Object.entries(original).flatMap(([k, v]) => (k in roundTrip ? droppedPaths(v, roundTrip[k], `${path}.${k}`) : [`${path}.${k}`]));
  }
  return roundTrip === undefined ? [path] : [];
}

/** Problems with one manifest; `partial` is for patches (only identity and field names are checked). */
export function validateObject(o: unknown, options: { partial?: boolean } = {}): string[] {
  if (!isObj(o)) return ['not a mapping'];
  const errs = need(o, ['apiVersion'], ['kind'], ['metadata', 'name']);
  if (errs.length > 0) return errs;
  const name = String(at(o, 'metadata', 'name'));
  if (!DNS_SUBDOMAIN.test(name)) errs.push(`metadata.name ${name} is not a DNS subdomain`);
  const spec = KINDS[String(o.kind)];
  if (!spec) return [`unknown kind ${String(o.kind)}: add it to test/unit/ops/k8s.ts`];
  if (o.apiVersion !== spec.apiVersion) errs.push(`apiVersion ${String(o.apiVersion)}, expected ${spec.apiVersion}`);
  if (spec.model) {
    const roundTrip: unknown = ObjectSerializer.serialize(ObjectSerializer.deserialize(o, spec.model, ''), spec.model, '');
    errs.push(...droppedPaths(o, roundTrip, '').map((p) => `unknown field ${p.slice(1)}`));
  }
  if (!options.partial && spec.check) errs.push(...spec.check(o));
  return errs;
}

export const kindOf = (o: unknown): string => String(at(o, 'kind'));
export const nameOf = (o: unknown): string => String(at(o, 'metadata', 'name'));
export const find = (objs: unknown[], kind: string, name?: string): Json[] =>
  objs.filter((o): o is Json => isObj(o) && kindOf(o) === kind && (name === undefined || nameOf(o) === name));
