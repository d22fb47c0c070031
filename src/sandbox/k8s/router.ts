/**
 * The HTTP side of the sandbox apiserver: authentication (optional bearer token), fault injection,
 * authorization, routing to the verb handlers, Status bodies for every failure, and the request log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults } from './faults.js';
import { handle } from './handlers.js';
import { parseRoute } from './paths.js';
import type { Rbac } from './rbac.js';
import { findResource } from './resources.js';
import { badRequest, noSuchResource, statusBody, tooLarge, unauthorized, unsupportedMediaType } from './status.js';
import type { K8sStore } from './store.js';
import { K8sHttpError, type RequestInfo, type RequestLogEntry } from './types.js';

export interface RouterDeps {
  readonly store: K8sStore;
  readonly rbac: Rbac;
  readonly faults: Faults;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  readonly log: RequestLogEntry[];
  /** Cap on the request log (oldest entries dropped). */
  readonly maxLogEntries: number;
  readonly maxBodyBytes: number;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parseJsonBody(info: RequestInfo, raw: Buffer): unknown {
  if (info.verb !== 'create' && info.verb !== 'update' && info.verb !== 'patch') return undefined;
  if (info.verb !== 'patch' && info.contentType !== undefined && info.contentType !== 'application/json') {
    throw unsupportedMediaType(info.contentType, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  if (raw.length === 0) throw badRequest('the request body is empty');
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const record = (req: IncomingMessage, info: RequestInfo | undefined, status: number): void => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    deps.log.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      verb: info?.verb,
      group: info?.group,
      resource: info?.resource,
      subresource: info?.subresource,
      namespace: info?.namespace,
      name: info?.name,
      contentType: info?.contentType,
      dryRun: info?.dryRun ?? false,
      status,
      atMs: Date.now(),
    });
    if (deps.log.length > deps.maxLogEntries) deps.log.splice(0, deps.log.length - deps.maxLogEntries);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let info: RequestInfo | undefined;
    let status = 500;
    try {
      const raw = await readBody(req, deps.maxBodyBytes);
      if (deps.token !== undefined && req.headers.authorization !== `Bearer ${deps.token}`) throw unauthorized();
      const route = parseRoute(req.method ?? 'GET', req.url ?? '/', req.headers['content-type']);
      if (route.kind === 'unknown') throw noSuchResource();
      if (route.kind === 'discovery') {
        status = 200;
        send(res, status, route.body);
        return;
      }
      info = route.info;
      const fault = deps.faults.take(info);
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault.failure !== undefined) throw new K8sHttpError(fault.failure);
      deps.rbac.authorize(info);
      const resource = findResource(info.group, info.version, info.resource);
      if (resource === undefined) throw noSuchResource();
      const result = handle(deps.store, info, resource, parseJsonBody(info, raw));
      status = result.status;
      send(res, status, result.body);
    } catch (err) {
      const body = err instanceof K8sHttpError ? err.status
        : statusBody(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
      status = body.code;
      send(res, status, body);
    } finally {
      record(req, info, status);
    }
  };

  return (req, res) => {
    void serve(req, res);
  };
}
