/**
 * Shared shapes of the in-memory Kubernetes API server (src/sandbox/k8s-api-server.ts).
 * Objects are plain JSON; the server never keeps references handed to or from callers.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** Identifies one stored object; version-independent, as in etcd. */
export interface ObjectKey {
  readonly group: string;
  readonly resource: string;
  /** '' for cluster-scoped resources. */
  readonly namespace: string;
  readonly name: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** What the router made of one HTTP request. */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly verb: Verb;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string | undefined;
  /** '' when cluster-scoped or listing across all namespaces. */
  readonly namespace: string;
  readonly name: string | undefined;
  readonly contentType: string | undefined;
  readonly dryRun: boolean;
}

/** One line of the server's request log. */
export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly verb: Verb | undefined;
  readonly group: string | undefined;
  readonly resource: string | undefined;
  readonly subresource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly contentType: string | undefined;
  readonly dryRun: boolean;
  readonly status: number;
  readonly atMs: number;
}

/** A Kubernetes-style Status body for failures. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message: string; field?: string }[];
  };
  code: number;
}

/** Thrown inside the server; the router turns it into a Status response. */
export class K8sHttpError extends Error {
  readonly status: StatusBody;
  constructor(status: StatusBody) {
    super(status.message);
    this.name = 'K8sHttpError';
    this.status = status;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
