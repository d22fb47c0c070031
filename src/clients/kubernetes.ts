/**
 * Thin wrapper around @kubernetes/client-node for the few generic operations aiopsd needs: read, list,
 * patch (JSON merge or JSON patch, optionally as a server-side dry run), create and replace any
 * group/version/resource, plus the status and scale subresources. Every failure becomes an AppError
 * naming the object: 409 → conflict (retryable), 403 → forbidden, 404 → not_found, 5xx / 429 / network
 * errors / timeouts → k8s_unavailable (retryable).
 *
 * Transport: the client's CustomObjectsApi, which takes group/version/plural as plain strings. Two
 * adjustments are applied per call through the client's own middleware hook: the patch Content-Type is
 * set explicitly (the generated code would otherwise always send application/json-patch+json), and the
 * core group ('' → the generated path "/apis//v1/...") is rewritten to "/api/v1/...". Strategic merge
 * patch is deliberately not offered (custom resources reject it; see docs on promise 9).
 *
 * Import @kubernetes/client-node through this module (`k8s` below) so there is one place to adapt to its versions.
 */
import type * as K8sModule from '@kubernetes/client-node';
import type { TargetRef } from '../domain/types.js';
import { AppError } from '../lib/errors.js';

/** The @kubernetes/client-node module (1.x: runs on Node 20; 2.x needs undici 8 and Node >= 22.19). */
export const k8s: typeof K8sModule = await import('@kubernetes/client-node');
export type KubeConfig = K8sModule.KubeConfig;

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A resource collection (TargetRef without the name); namespace '' = cluster-scoped or all namespaces. */
export type ResourceRef = Omit<TargetRef, 'name'>;
export type Subresource = 'status' | 'scale';

export interface PatchOptions {
  readonly type: 'merge' | 'json';
  readonly dryRun: boolean;
  readonly subresource?: Subresource;
  readonly fieldManager?: string;
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly subresource?: Subresource;
  readonly fieldManager?: string;
}

/** What actions and other components depend on; KubernetesClient implements it against a cluster. */
export interface KubernetesApi {
  getObject(ref: TargetRef, options?: { subresource?: Subresource }): Promise<KubeObject>;
  listObjects(ref: ResourceRef, options?: { labelSelector?: string }): Promise<KubeObject[]>;
  patchObject(ref: TargetRef, patch: unknown, options: PatchOptions): Promise<KubeObject>;
  createObject(ref: ResourceRef, body: KubeObject, options?: WriteOptions): Promise<KubeObject>;
  replaceObject(ref: TargetRef, body: KubeObject, options?: WriteOptions): Promise<KubeObject>;
}

export type KubeConfigSource =
  | { readonly kind: 'in-cluster' }
  | { readonly kind: 'file'; readonly path: string; readonly context?: string }
  | { readonly kind: 'yaml'; readonly yaml: string; readonly context?: string }
  | {
      readonly kind: 'server';
      readonly server: string;
      readonly token?: string;
      readonly namespace?: string;
      readonly skipTLSVerify?: boolean;
      readonly caData?: string;
    };

/** Build a KubeConfig from in-cluster service-account files, a kubeconfig file or text, or a bare URL. */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new k8s.KubeConfig();
  switch (source.kind) {
    case 'in-cluster':
      kc.loadFromCluster();
      break;
    case 'file':
      kc.loadFromFile(source.path);
      if (source.context !== undefined) kc.setCurrentContext(source.context);
      break;
    case 'yaml':
      kc.loadFromString(source.yaml);
      if (source.context !== undefined) kc.setCurrentContext(source.context);
      break;
    case 'server':
      kc.loadFromOptions({
        clusters: [{
          name: 'aiopsd',
          server: source.server,
          // client-node 2.x refuses an http:// server unless this is set; there is no TLS to verify there.
          skipTLSVerify: source.skipTLSVerify ?? source.server.startsWith('http://'),
          ...(source.caData === undefined ? {} : { caData: source.caData }),
        }],
        users: [{ name: 'aiopsd', ...(source.token === undefined ? {} : { token: source.token }) }],
        contexts: [{ name: 'aiopsd', cluster: 'aiopsd', user: 'aiopsd', namespace: source.namespace ?? 'default' }],
        currentContext: 'aiopsd',
      });
      break;
  }
  if (kc.getCurrentCluster() === null) throw new AppError('k8s_config', 'the kubeconfig has no current cluster', { httpStatus: 500 });
  return kc;
}

/** "horizontalpodautoscalers.autoscaling/v2 prod/web" */
export function describeTarget(ref: ResourceRef & { name?: string }, subresource?: Subresource): string {
  const gr = ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
  const where = ref.namespace === '' ? (ref.name ?? '') : `${ref.namespace}/${ref.name ?? '*'}`;
  const cluster = ref.cluster === undefined ? '' : ` in cluster ${ref.cluster}`;
  return `${gr}/${ref.version}${subresource === undefined ? '' : ` (${subresource})`} ${where}${cluster}`.trim();
}

interface StatusLike {
  message?: string;
  reason?: string;
  details?: { causes?: { message?: string }[] };
}

function statusOf(body: unknown): StatusLike | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body === '' ? undefined : { message: body };
    }
  }
  return typeof value === 'object' && value !== null ? (value as StatusLike) : undefined;
}

/** Turn anything the client throws into an AppError naming the operation and the object. */
export function mapKubernetesError(err: unknown, operation: string, what: string): AppError {
  if (err instanceof AppError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
  if (code !== undefined && (err instanceof k8s.ApiException || 'body' in (err as object))) {
    const status = statusOf((err as { body?: unknown }).body);
    const causes = (status?.details?.causes ?? []).map((c) => c.message ?? '').filter((m) => m !== '');
    const detail = [status?.message ?? `HTTP ${code}`, ...causes].join(': ');
    const message = `${operation} ${what}: ${detail}`;
    const details = { status: code, reason: status?.reason ?? '', target: what };
    if (code === 409) return new AppError('conflict', message, { httpStatus: 409, retryable: true, details, cause: err });
    // A failed JSON-patch `test` (the precondition form of promise 7) comes back as 422 with this cause.
    if (code === 422 && causes.some((c) => c.includes('test failed'))) {
      return new AppError('conflict', message, { httpStatus: 409, retryable: true, details, cause: err });
    }
    if (code === 403) return new AppError('forbidden', message, { httpStatus: 502, retryable: false, details, cause: err });
    if (code === 401) return new AppError('unauthorized', message, { httpStatus: 502, retryable: false, details, cause: err });
    if (code === 404) return new AppError('not_found', message, { httpStatus: 404, retryable: false, details, cause: err });
    if (code === 400 || code === 422) return new AppError('invalid', message, { httpStatus: 422, retryable: false, details, cause: err });
    if (code === 415) return new AppError('unsupported_media_type', message, { httpStatus: 502, retryable: false, details, cause: err });
    if (code === 429 || code >= 500) {
      return new AppError('k8s_unavailable', message, { httpStatus: 503, retryable: true, details, cause: err });
    }
    return new AppError('k8s_error', message, { httpStatus: 502, retryable: false, details, cause: err });
  }
  const name = (err as { name?: unknown })?.name;
  const text = err instanceof Error ? err.message : String(err);
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AppError('k8s_unavailable', `${operation} ${what}: the Kubernetes API did not answer in time`, {
      httpStatus: 503, retryable: true, details: { target: what }, cause: err,
    });
  }
  const causeText = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const reason = causeText === undefined ? text : `${text} (${String(causeText.code ?? causeText.message ?? '')})`;
  return new AppError('k8s_unavailable', `${operation} ${what}: cannot reach the Kubernetes API: ${reason}`, {
    httpStatus: 503, retryable: true, details: { target: what }, cause: err,
  });
}

const PATCH_TYPES = { merge: 'application/merge-patch+json', json: 'application/json-patch+json' } as const;

export interface KubernetesClientOptions {
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** fieldManager sent with writes (default "aiopsd"). */
  readonly fieldManager?: string;
}

type CallOptions = K8sModule.ConfigurationOptions<K8sModule.ObservableMiddleware>;

export class KubernetesClient implements KubernetesApi {
  private readonly api: K8sModule.CustomObjectsApi;
  private readonly timeoutMs: number;
  private readonly fieldManager: string;

  constructor(readonly kubeConfig: KubeConfig, options: KubernetesClientOptions = {}) {
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fieldManager = options.fieldManager ?? 'aiopsd';
  }

  static from(source: KubeConfigSource, options?: KubernetesClientOptions): KubernetesClient {
    return new KubernetesClient(loadKubeConfig(source), options);
  }

  async getObject(ref: TargetRef, options: { subresource?: Subresource } = {}): Promise<KubeObject> {
    const p = { group: ref.group, version: ref.version, plural: ref.resource, name: ref.name };
    const sub = options.subresource;
    return this.call('get', describeTarget(ref, sub), undefined, (o) => {
      if (ref.namespace === '') {
        if (sub === 'status') return this.api.getClusterCustomObjectStatus(p, o);
        if (sub === 'scale') return this.api.getClusterCustomObjectScale(p, o);
        return this.api.getClusterCustomObject(p, o);
      }
      const np = { ...p, namespace: ref.namespace };
      if (sub === 'status') return this.api.getNamespacedCustomObjectStatus(np, o);
      if (sub === 'scale') return this.api.getNamespacedCustomObjectScale(np, o);
      return this.api.getNamespacedCustomObject(np, o);
    });
  }

  async listObjects(ref: ResourceRef, options: { labelSelector?: string } = {}): Promise<KubeObject[]> {
    const p = { group: ref.group, version: ref.version, plural: ref.resource, labelSelector: options.labelSelector };
    const list = (await this.call('list', describeTarget(ref), undefined, (o) =>
      ref.namespace === ''
        ? this.api.listClusterCustomObject(p, o)
        : this.api.listNamespacedCustomObject({ ...p, namespace: ref.namespace }, o),
    )) as { items?: KubeObject[] };
    return list.items ?? [];
  }

  async patchObject(ref: TargetRef, patch: unknown, options: PatchOptions): Promise<KubeObject> {
    const sub = options.subresource;
    const p = {
      group: ref.group, version: ref.version, plural: ref.resource, name: ref.name, body: patch as object,
      dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager ?? this.fieldManager,
    };
    const what = describeTarget(ref, sub);
    return this.call(options.dryRun ? 'dry-run patch' : 'patch', what, PATCH_TYPES[options.type], (o) => {
      if (ref.namespace === '') {
        if (sub === 'status') return this.api.patchClusterCustomObjectStatus(p, o);
        if (sub === 'scale') return this.api.patchClusterCustomObjectScale(p, o);
        return this.api.patchClusterCustomObject(p, o);
      }
      const np = { ...p, namespace: ref.namespace };
      if (sub === 'status') return this.api.patchNamespacedCustomObjectStatus(np, o);
      if (sub === 'scale') return this.api.patchNamespacedCustomObjectScale(np, o);
      return this.api.patchNamespacedCustomObject(np, o);
    });
  }

  async createObject(ref: ResourceRef, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const p = {
      group: ref.group, version: ref.version, plural: ref.resource, body: body as object,
      dryRun: options.dryRun === true ? 'All' : undefined, fieldManager: options.fieldManager ?? this.fieldManager,
    };
    const what = describeTarget({ ...ref, name: body.metadata?.name ?? '' });
    return this.call(options.dryRun === true ? 'dry-run create' : 'create', what, undefined, (o) =>
      ref.namespace === ''
        ? this.api.createClusterCustomObject(p, o)
        : this.api.createNamespacedCustomObject({ ...p, namespace: ref.namespace }, o),
    );
  }

  async replaceObject(ref: TargetRef, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const sub = options.subresource;
    const p = {
      group: ref.group, version: ref.version, plural: ref.resource, name: ref.name, body: body as object,
      dryRun: options.dryRun === true ? 'All' : undefined, fieldManager: options.fieldManager ?? this.fieldManager,
    };
    return this.call(options.dryRun === true ? 'dry-run replace' : 'replace', describeTarget(ref, sub), undefined, (o) => {
      if (ref.namespace === '') {
        if (sub === 'status') return this.api.replaceClusterCustomObjectStatus(p, o);
        if (sub === 'scale') return this.api.replaceClusterCustomObjectScale(p, o);
        return this.api.replaceClusterCustomObject(p, o);
      }
      const np = { ...p, namespace: ref.namespace };
      if (sub === 'status') return this.api.replaceNamespacedCustomObjectStatus(np, o);
      if (sub === 'scale') return this.api.replaceNamespacedCustomObjectScale(np, o);
      return this.api.replaceNamespacedCustomObject(np, o);
    });
  }

  /** Per-call middleware: timeout, core-group path, and (for patches) the Content-Type. */
  private options(contentType: string | undefined): CallOptions {
    const timeoutMs = this.timeoutMs;
    const middleware: K8sModule.ObservableMiddleware = {
      pre: (ctx) => {
        const url = ctx.getUrl();
        if (url.includes('/apis//')) ctx.setUrl(url.replace('/apis//', '/api/'));
        if (contentType !== undefined) ctx.setHeaderParam('Content-Type', contentType);
        ctx.setSignal(AbortSignal.timeout(timeoutMs));
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  private async call(
    operation: string,
    what: string,
    contentType: string | undefined,
    run: (options: CallOptions) => Promise<unknown>,
  ): Promise<KubeObject> {
    try {
      return (await run(this.options(contentType))) as KubeObject;
    } catch (err) {
      throw mapKubernetesError(err, operation, what);
    }
  }
}
