/**
 * An in-memory Kubernetes API server over node:http, for tests and for the `aiopsd demo` sandbox.
 * It serves the resources aiopsd reads and writes (see k8s/resources.ts) with the semantics that matter
 * to it: resourceVersion preconditions and 409s, merge / JSON / strategic-merge patch (the last only for
 * built-in kinds, 415 for custom resources), dryRun=All, status and scale subresources, label selectors,
 * RBAC with separate subresource permissions, Status error bodies, and fault injection.
 * It listens on loopback only.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { stringify } from 'yaml';
import { Faults, type FaultMatcher } from './k8s/faults.js';
import { Rbac, type RbacRule } from './k8s/rbac.js';
import { apiVersionOf, findByKind } from './k8s/resources.js';
import { createRouter } from './k8s/router.js';
import { K8sStore } from './k8s/store.js';
import type { K8sObject, ObjectKey, RequestLogEntry } from './k8s/types.js';
import { validateObject } from './k8s/validate.js';
import { baseUrl, listen } from '../lib/http-server.js';

export type { FaultMatcher } from './k8s/faults.js';
export type { RbacRule } from './k8s/rbac.js';
export type { K8sObject, ObjectKey, RequestLogEntry } from './k8s/types.js';
export { K8sStore } from './k8s/store.js';

export interface K8sApiServerOptions {
  /** Loopback address to bind (127.0.0.1 or ::1). */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** RBAC allow-list; undefined allows everything. Change later with setRules(). */
  readonly rules?: readonly RbacRule[];
  /** The user named in 403 messages. */
  readonly user?: string;
  /** Bearer token clients must send: undefined generates one, null turns authentication off. */
  readonly token?: string | null;
  /** Objects to store before the first request (not counted as writes). */
  readonly seed?: readonly K8sObject[];
  readonly maxLogEntries?: number;
}

/** A kubeconfig file's content (the format `kubectl` and KubeConfig.loadFromString read). */
export interface KubeconfigFile {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users: { name: string; user: { token?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

export interface K8sApiServer {
  /** Base URL, e.g. http://127.0.0.1:43127 */
  readonly url: string;
  readonly token: string | undefined;
  readonly store: K8sStore;
  readonly faults: Faults;
  /** Every request served, oldest first. */
  readonly requests: readonly RequestLogEntry[];
  clearRequests(): void;
  /** Real writes that changed this object (creates, updates, patches; not dry runs, not no-ops). */
  writes(key: ObjectKey): number;
  totalWrites(): number;
  failNext(matcher: FaultMatcher, status: number, times?: number, options?: { message?: string; delayMs?: number }): void;
  delayNext(matcher: FaultMatcher, ms: number, times?: number): void;
  /** Replace the RBAC rules (undefined allows everything). */
  setRules(rules: readonly RbacRule[] | undefined): void;
  /** Store an object directly (no RBAC, not counted as a write). Namespaced kinds default to "default". */
  seed(obj: K8sObject): K8sObject;
  /** The stored object, or undefined. */
  get(key: ObjectKey): K8sObject | undefined;
  kubeconfig(namespace?: string): KubeconfigFile;
  kubeconfigYaml(namespace?: string): string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startK8sApiServer(opts: K8sApiServerOptions = {}): Promise<K8sApiServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the sandbox apiserver binds loopback only, not ${host}`);
  const token = opts.token === null ? undefined : (opts.token ?? randomBytes(16).toString('hex'));
  const store = new K8sStore();
  const faults = new Faults();
  const rbac = new Rbac(opts.rules, opts.user ?? 'system:serviceaccount:aiops-system:aiopsd');
  const log: RequestLogEntry[] = [];

  const seed = (obj: K8sObject): K8sObject => {
    const info = findByKind(String(obj.apiVersion ?? ''), String(obj.kind ?? ''));
    if (info === undefined) throw new Error(`seed: the sandbox does not serve ${String(obj.apiVersion)} ${String(obj.kind)}`);
    const name = obj.metadata?.name ?? '';
    const namespace = info.namespaced ? (obj.metadata?.namespace ?? 'default') : '';
    const key: ObjectKey = { group: info.group, resource: info.resource, namespace, name };
    if (store.get(key) !== undefined) throw new Error(`seed: ${info.resource} ${namespace}/${name} already exists`);
    const typed = { ...obj, apiVersion: apiVersionOf(info), kind: info.kind };
    validateObject(info, typed);
    return store.create(key, store.prepareCreate(key, typed), false);
  };
  for (const obj of opts.seed ?? []) seed(obj);

  const server = createServer(
    createRouter({ store, rbac, faults, token, log, maxLogEntries: opts.maxLogEntries ?? 10_000, maxBodyBytes: 3 * 1024 * 1024 }),
  );
  server.keepAliveTimeout = 2_000;
  await listen(server, opts.port ?? 0, host);
  const url = baseUrl(server);

  const kubeconfig = (namespace = 'default'): KubeconfigFile => ({
    apiVersion: 'v1',
    kind: 'Config',
    // Plain HTTP: @kubernetes/client-node 2.x refuses http:// servers unless TLS verification is off.
    clusters: [{ name: 'aiopsd-sandbox', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'aiopsd', user: token === undefined ? {} : { token } }],
    contexts: [{ name: 'aiopsd-sandbox', context: { cluster: 'aiopsd-sandbox', user: 'aiopsd', namespace } }],
    'current-context': 'aiopsd-sandbox',
    preferences: {},
  });

  return {
    url,
    token,
    store,
    faults,
    get requests(): readonly RequestLogEntry[] {
      return log;
    },
    clearRequests: () => {
      log.length = 0;
    },
    writes: (key) => store.writes(key),
    totalWrites: () => store.totalWrites(),
    failNext: (matcher, status, times, options) => faults.failNext(matcher, status, times, options),
    delayNext: (matcher, ms, times) => faults.delayNext(matcher, ms, times),
    setRules: (rules) => rbac.setRules(rules),
    seed,
    get: (key) => store.get(key),
    kubeconfig,
    kubeconfigYaml: (namespace) => stringify(kubeconfig(namespace)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
