/**
 * Verb handlers of the sandbox apiserver: get, list, create, update (PUT) and patch, on an object or on
 * its status / scale subresource. Order of checks follows the apiserver: existence, then the
 * resourceVersion precondition, then validation; a dry run does everything but store.
 */
import { applyJsonPatch, JsonPatchApplyError, JsonPatchDecodeError, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { parseLabelSelector } from './selectors.js';
import {
  alreadyExists, badRequest, conflict, jsonPatchFailed, methodNotAllowed, noSuchResource, notFound, unsupportedMediaType,
} from './status.js';
import type { K8sStore } from './store.js';
import { clone, isRecord, type K8sObject, type ObjectKey, type RequestInfo } from './types.js';
import { validateObject } from './validate.js';

export interface HandlerResult {
  readonly status: number;
  readonly body: unknown;
  /** True when the store changed (a real write that changed something). */
  readonly wrote: boolean;
}

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';

function withType(info: ResourceInfo, obj: K8sObject): K8sObject {
  return { ...obj, apiVersion: apiVersionOf(info), kind: info.kind };
}

function selectorString(obj: K8sObject): string {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const selector = isRecord(spec.selector) ? spec.selector : {};
  const labels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  return Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** autoscaling/v1 Scale view of a deployment or rollout. */
export function scaleOf(obj: K8sObject): K8sObject {
  const meta = obj.metadata ?? {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: typeof status.selector === 'string' ? status.selector : selectorString(obj),
    },
  };
}

function keyOf(info: RequestInfo, ri: ResourceInfo): ObjectKey {
  return { group: ri.group, resource: ri.resource, namespace: ri.namespaced ? info.namespace : '', name: info.name ?? '' };
}

function requireObject(body: unknown, what: string): K8sObject {
  if (!isRecord(body)) throw badRequest(`${what}: the request body must be a JSON object`);
  return body as K8sObject;
}

/** The object as written to this endpoint, turned into the whole stored object it implies. */
function applyToTarget(info: RequestInfo, ri: ResourceInfo, current: K8sObject, written: K8sObject): K8sObject {
  if (info.subresource === 'status') {
    return { ...current, status: clone(written.status) };
  }
  if (info.subresource === 'scale') {
    const spec = isRecord(written.spec) ? written.spec : {};
    validateObject(ri, { ...written, metadata: { ...(written.metadata ?? {}), name: current.metadata?.name } }, 'Scale');
    return { ...current, spec: { ...(isRecord(current.spec) ? current.spec : {}), replicas: spec.replicas } };
  }
  // Writes to the object itself never change status when status is a subresource.
  const next = clone(written);
  if (ri.subresources.includes('status')) {
    if (current.status === undefined) delete next.status;
    else next.status = clone(current.status);
  }
  return next;
}

function checkIdentity(info: RequestInfo, ri: ResourceInfo, obj: K8sObject): void {
  const name = obj.metadata?.name;
  if (info.name !== undefined && name !== undefined && name !== info.name) {
    throw badRequest(`the name of the object (${String(name)}) does not match the name on the URL (${info.name})`);
  }
  const ns = obj.metadata?.namespace;
  if (ri.namespaced && ns !== undefined && ns !== '' && ns !== info.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

function view(info: RequestInfo, ri: ResourceInfo, obj: K8sObject): K8sObject {
  return info.subresource === 'scale' ? scaleOf(obj) : withType(ri, obj);
}

function update(store: K8sStore, info: RequestInfo, ri: ResourceInfo, current: K8sObject, written: K8sObject): HandlerResult {
  const key = keyOf(info, ri);
  checkIdentity(info, ri, written);
  const precondition = written.metadata?.resourceVersion;
  if (precondition !== undefined && precondition !== null && precondition !== '' && precondition !== current.metadata?.resourceVersion) {
    throw conflict(ri.group, ri.resource, key.name);
  }
  const target = applyToTarget(info, ri, current, written);
  target.metadata = { ...(target.metadata ?? {}), name: key.name };
  validateObject(ri, target);
  const { object, changed } = store.prepareUpdate(current, withType(ri, target));
  if (info.dryRun || !changed) return { status: 200, body: view(info, ri, changed ? object : current), wrote: false };
  return { status: 200, body: view(info, ri, store.commitUpdate(key, object)), wrote: true };
}

function patchDocument(info: RequestInfo, ri: ResourceInfo, document: K8sObject, patch: unknown): unknown {
  switch (info.contentType) {
    case MERGE:
      return mergePatch(document, patch);
    case JSON_PATCH:
      try {
        return applyJsonPatch(document, patch);
      } catch (err) {
        if (err instanceof JsonPatchDecodeError) throw badRequest(err.message);
        if (err instanceof JsonPatchApplyError) throw jsonPatchFailed(err.message);
        throw err;
      }
    case STRATEGIC:
      if (ri.builtin) return strategicMergePatch(document, patch);
      throw unsupportedMediaType(info.contentType, [JSON_PATCH, MERGE]);
    default:
      throw unsupportedMediaType(info.contentType, ri.builtin ? [JSON_PATCH, MERGE, STRATEGIC] : [JSON_PATCH, MERGE]);
  }
}

function create(store: K8sStore, info: RequestInfo, ri: ResourceInfo, body: unknown): HandlerResult {
  if (info.subresource !== undefined) throw methodNotAllowed(info.method);
  const obj = requireObject(body, 'create');
  checkIdentity(info, ri, obj);
  if (obj.kind !== undefined && obj.kind !== ri.kind) {
    throw badRequest(`the kind of the object (${String(obj.kind)}) does not match the resource (${ri.resource})`);
  }
  const name = obj.metadata?.name;
  const key = { ...keyOf(info, ri), name: typeof name === 'string' ? name : '' };
  const candidate = withType(ri, clone(obj));
  if (ri.subresources.includes('status')) delete candidate.status;
  validateObject(ri, candidate);
  if (store.get(key) !== undefined) throw alreadyExists(ri.group, ri.resource, key.name);
  const prepared = store.prepareCreate(key, candidate);
  if (info.dryRun) return { status: 201, body: prepared, wrote: false };
  return { status: 201, body: store.create(key, prepared), wrote: true };
}

/** Serve one request for a known resource. `body` is the parsed JSON body (undefined for reads). */
export function handle(store: K8sStore, info: RequestInfo, ri: ResourceInfo, body: unknown): HandlerResult {
  if (info.subresource !== undefined && !(ri.subresources as readonly string[]).includes(info.subresource)) {
    throw noSuchResource();
  }
  if (info.name !== undefined && ri.namespaced && info.namespace === '') throw noSuchResource();
  if (!ri.namespaced && info.path.includes('/namespaces/') && ri.resource !== 'namespaces') throw noSuchResource();

  switch (info.verb) {
    case 'list': {
      const selector = parseLabelSelector(info.query.get('labelSelector'));
      const items = store.list(ri.group, ri.resource, ri.namespaced ? info.namespace : '', selector);
      return {
        status: 200,
        body: {
          kind: `${ri.kind}List`,
          apiVersion: apiVersionOf(ri),
          metadata: { resourceVersion: store.resourceVersion() },
          items: items.map((o) => withType(ri, o)),
        },
        wrote: false,
      };
    }
    case 'create':
      return create(store, info, ri, body);
    case 'watch':
    case 'delete':
      throw methodNotAllowed(`${info.method} (${info.verb} is not served by the sandbox)`);
    default:
      break;
  }

  const key = keyOf(info, ri);
  const current = store.get(key);
  if (current === undefined) throw notFound(ri.group, ri.resource, key.name);

  if (info.verb === 'get') return { status: 200, body: view(info, ri, current), wrote: false };
  if (info.verb === 'update') return update(store, info, ri, current, requireObject(body, 'update'));

  // patch: applied to what this endpoint shows (the object, or its Scale), then written back.
  const shown = view(info, ri, current);
  const patched = patchDocument(info, ri, shown, body);
  return update(store, info, ri, current, requireObject(patched, 'patch'));
}
