/** The resources the sandbox serves: one entry per group/version/resource. */

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Built into Kubernetes (accepts strategic-merge patch); false for custom resources. */
  readonly builtin: boolean;
  /** Subresources beyond the object itself, e.g. 'status', 'scale'. */
  readonly subresources: readonly ('status' | 'scale')[];
}

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  builtin: boolean,
  subresources: ResourceInfo['subresources'] = [],
  namespaced = true,
): ResourceInfo {
  return { group, version, resource, kind, namespaced, builtin, subresources };
}

export const RESOURCES: readonly ResourceInfo[] = [
  r('apps', 'v1', 'deployments', 'Deployment', true, ['status', 'scale']),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['status']),
  r('', 'v1', 'services', 'Service', true, ['status']),
  r('', 'v1', 'pods', 'Pod', true, ['status']),
  r('', 'v1', 'endpoints', 'Endpoints', true),
  r('', 'v1', 'namespaces', 'Namespace', true, ['status'], false),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  r('networking.istio.io', 'v1beta1', 'virtualservices', 'VirtualService', false, ['status']),
  r('networking.istio.io', 'v1beta1', 'destinationrules', 'DestinationRule', false, ['status']),
  r('argoproj.io', 'v1alpha1', 'rollouts', 'Rollout', false, ['status', 'scale']),
  r('flagger.app', 'v1beta1', 'canaries', 'Canary', false, ['status']),
  r('k8gb.absa.oss', 'v1beta1', 'gslbs', 'Gslb', false, ['status']),
];

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((x) => x.group === group && x.version === version && x.resource === resource);
}

/** Resolve an object's apiVersion + kind (used by seed()). */
export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return RESOURCES.find((x) => x.group === group && x.version === version && x.kind === kind);
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** Discovery document (APIResourceList) for one group/version, so discovery-driven clients work too. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const entries = RESOURCES.filter((x) => x.group === group && x.version === version);
  if (entries.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const e of entries) {
    resources.push({
      name: e.resource,
      singularName: e.kind.toLowerCase(),
      namespaced: e.namespaced,
      kind: e.kind,
      verbs: ['create', 'get', 'list', 'patch', 'update'],
    });
    for (const sub of e.subresources) {
      resources.push({
        name: `${e.resource}/${sub}`,
        singularName: '',
        namespaced: e.namespaced,
        kind: sub === 'scale' ? 'Scale' : e.kind,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}
