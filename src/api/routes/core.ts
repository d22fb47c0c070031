import type { AppDeps, ReadinessCheck } from '../app.js';
import { routeTable } from '../app.js';
import { openApiDocument } from '../openapi.js';
import type { RouteDef } from '../route-table.js';

export function coreRoutes(deps: AppDeps): RouteDef[] {
  let doc: Record<string, unknown> | undefined;
  return [
    {
      method: 'get', path: '/healthz', access: 'public', tag: 'ops', summary: 'Liveness: the process answers.',
      response: { schema: { type: 'object', properties: { status: { const: 'ok' } } } },
      handlers: [(_req, res) => void res.json({ status: 'ok' })],
    },
    {
      method: 'get', path: '/readyz', access: 'public', tag: 'ops', summary: 'Readiness: every dependency answered (503 otherwise).',
      response: { schema: { type: 'object', properties: { status: { type: 'string' }, checks: { type: 'array' } } } },
      handlers: [
        async (_req, res) => {
          const results = await Promise.all(deps.readiness.map((c) => runCheck(c, deps.readinessTimeoutMs ?? 2000)));
          const ready = results.every((r) => r.ok);
          res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
        },
      ],
    },
    {
      method: 'get', path: '/metrics', access: 'public', tag: 'ops', summary: 'Prometheus metrics (text exposition format).',
      response: { contentType: 'text/plain' },
      handlers: [
        async (_req, res) => {
          res.setHeader('Content-Type', deps.registry.contentType);
          res.send(await deps.registry.metrics());
        },
      ],
    },
    {
      method: 'post', path: '/api/v1/write', access: 'remote_write', tag: 'ingest', summary: 'Prometheus remote_write receiver (snappy protobuf 1.0/2.0).',
      response: { status: 204, description: 'accepted' },
      handlers: [deps.remoteWrite],
    },
    {
      method: 'get', path: '/api/v1/openapi.json', access: 'public', tag: 'meta', summary: 'This OpenAPI 3.1 document, generated from the route table.',
      response: { schema: { type: 'object' } },
      handlers: [
        (_req, res) => {
          doc ??= openApiDocument(routeTable(deps));
          res.json(doc);
        },
      ],
    },
  ];
}

async function runCheck(c: ReadinessCheck, timeoutMs: number): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name: c.name, ok: true };
  } catch (err) {
    return { name: c.name, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
