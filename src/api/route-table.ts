import type { RequestHandler } from 'express';
import type { Role } from '../auth/roles.js';

/**
 * Who may call a route:
 * - a Role: an authenticated caller with at least that role (anonymous callers have `viewer` only
 *   when the daemon runs without any credential configured);
 * - 'public': no authentication (health, readiness, metrics, the OpenAPI document);
 * - 'remote_write': public unless `api.remoteWriteTokenSha256` is set, then that bearer token;
 * - 'slack': Slack's v0 request signature instead of a bearer token.
 */
export type Access = Role | 'public' | 'remote_write' | 'slack';

export interface ParamDoc {
  readonly name: string;
  readonly description: string;
  readonly type?: 'string' | 'integer' | 'boolean';
  readonly enum?: readonly string[];
  readonly required?: boolean;
}

export interface RouteDef {
  readonly method: 'get' | 'post' | 'put';
  /** Express path, e.g. /api/v1/decisions/:id */
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly tag: string;
  readonly query?: readonly ParamDoc[];
  /** JSON schema of the request body (JSON routes). */
  readonly body?: Record<string, unknown>;
  /** JSON schema of the 200 response, or a non-JSON content type. */
  readonly response?: { readonly contentType?: string; readonly schema?: Record<string, unknown>; readonly status?: number; readonly description?: string };
  /** Rate limited (all /api/v1 routes but remote_write). */
  readonly rateLimited?: boolean;
  /** Parse a JSON body (16 KiB max). */
  readonly json?: boolean;
  readonly handlers: readonly RequestHandler[];
}

/** express path → OpenAPI path: /a/:id/b → /a/{id}/b */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}
