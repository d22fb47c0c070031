/**
 * Turns an HTTP method and URL into what the apiserver's RequestInfoResolver would make of it:
 * core paths /api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]], group paths
 * /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME[/SUB]], cluster-scoped and all-namespace forms,
 * and the discovery documents.
 */
import { apiResourceList, RESOURCES } from './resources.js';
import { badRequest, methodNotAllowed } from './status.js';
import type { RequestInfo, Verb } from './types.js';

export type Route =
  | { readonly kind: 'discovery'; readonly body: unknown }
  | { readonly kind: 'resource'; readonly info: RequestInfo }
  | { readonly kind: 'unknown' };

function groupList(): unknown {
  const groups = new Map<string, Set<string>>();
  for (const r of RESOURCES) {
    if (r.group === '') continue;
    const versions = groups.get(r.group) ?? new Set<string>();
    versions.add(r.version);
    groups.set(r.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

function discovery(segments: string[]): Route | undefined {
  if (segments.length === 1 && segments[0] === 'version') {
    return { kind: 'discovery', body: { major: '1', minor: '31', gitVersion: 'v1.31.0-aiopsd-sandbox', platform: 'linux/amd64' } };
  }
  if (segments[0] === 'api') {
    if (segments.length === 1) return { kind: 'discovery', body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] } };
    if (segments.length === 2) {
      const body = apiResourceList('', segments[1] ?? '');
      return body === undefined ? { kind: 'unknown' } : { kind: 'discovery', body };
    }
  }
  if (segments[0] === 'apis') {
    if (segments.length === 1) return { kind: 'discovery', body: groupList() };
    if (segments.length === 3) {
      const body = apiResourceList(segments[1] ?? '', segments[2] ?? '');
      return body === undefined ? { kind: 'unknown' } : { kind: 'discovery', body };
    }
  }
  return undefined;
}

function verbOf(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      if (hasName) throw methodNotAllowed(method);
      return 'create';
    case 'PUT':
      if (!hasName) throw methodNotAllowed(method);
      return 'update';
    case 'PATCH':
      if (!hasName) throw methodNotAllowed(method);
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      throw methodNotAllowed(method);
  }
}

interface Parts {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

function resourceParts(group: string, version: string, rest: string[]): Parts | undefined {
  const base = { group, version };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    const [, namespace = '', resource = '', name, subresource] = rest;
    if (rest.length > 5) return undefined;
    return { ...base, namespace, resource, name, subresource };
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [resource = '', name, subresource] = rest;
  // The apiserver reports a namespace object's own name as the request namespace.
  const namespace = resource === 'namespaces' && name !== undefined ? name : '';
  return { ...base, namespace, resource, name, subresource };
}

/** Parse one request. Throws a Status error for a malformed one (bad dryRun, method not allowed). */
export function parseRoute(method: string, rawUrl: string, contentTypeHeader: string | undefined): Route {
  const url = new URL(rawUrl, 'http://sandbox.invalid');
  const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  if (method === 'GET') {
    const d = discovery(segments);
    if (d !== undefined) return d;
  }
  let parts: Parts | undefined;
  if (segments[0] === 'api' && segments.length >= 3) {
    parts = resourceParts('', segments[1] ?? '', segments.slice(2));
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    parts = resourceParts(segments[1] ?? '', segments[2] ?? '', segments.slice(3));
  }
  if (parts === undefined) return { kind: 'unknown' };

  const query = url.searchParams;
  const verb = verbOf(method, parts.name !== undefined, query.get('watch') === 'true' || query.get('watch') === '1');
  const dryRunValues = query.getAll('dryRun');
  for (const v of dryRunValues) {
    if (v !== 'All') throw badRequest(`Invalid dry run value: dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  const contentType = contentTypeHeader?.split(';')[0]?.trim().toLowerCase();
  return {
    kind: 'resource',
    info: {
      method,
      path: url.pathname,
      query,
      verb,
      ...parts,
      contentType: contentType === '' ? undefined : contentType,
      dryRun: dryRunValues.length > 0,
    },
  };
}
