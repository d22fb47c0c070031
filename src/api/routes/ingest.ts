import type { RequestHandler } from 'express';
import express from 'express';
import type { AppDeps } from '../app.js';
import type { RouteDef } from '../route-table.js';

/** Extra receivers and hooks, each present only when the daemon built it. */
export interface IngestRouteDeps {
  /** POST /v1/traces: OTLP/HTTP traces (protobuf or JSON). */
  readonly otlpTraces?: RequestHandler;
  /** POST /api/v1/alertmanager: Alertmanager webhook v4; checks its own bearer token. */
  readonly alertmanager?: RequestHandler;
  /** GET /api/v1/series?match[]=…: series matching Prometheus selectors. */
  readonly series?: RequestHandler;
  /** POST /hooks/flagger/rollback: 200 when aiopsd judged the canary bad (Flagger then rolls back). */
  readonly flaggerRollback?: (body: unknown) => { status: number; body: unknown };
  /** GET /api/v1/deadletters: failed jobs and failed/held decisions. */
  readonly deadLetters?: (limit: number) => Promise<unknown[]>;
}

export function ingestRoutes(deps: AppDeps): RouteDef[] {
  const routes: RouteDef[] = [];
  if (deps.otlpTraces) {
    routes.push({ method: 'post', path: '/v1/traces', access: 'remote_write', tag: 'ingest', summary: 'OTLP/HTTP traces receiver (protobuf or JSON, gzip); spans become RED series.', response: { schema: { type: 'object' } }, handlers: [deps.otlpTraces] });
  }
  if (deps.alertmanager) {
    routes.push({ method: 'post', path: '/api/v1/alertmanager', access: 'public', tag: 'ingest', summary: 'Alertmanager webhook (payload v4); alerts join incidents as evidence. Authenticated by its own bearer token (ingest.alertmanager.token).', response: { schema: { type: 'object' } }, handlers: [deps.alertmanager] });
  }
  if (deps.series) {
    routes.push({
      method: 'get', path: '/api/v1/series', access: 'viewer', tag: 'read', rateLimited: true, summary: 'Series held in memory that match Prometheus-style selectors.',
      query: [{ name: 'match[]', description: 'series selector, e.g. {__name__=~"http_.*",job!="x"}; repeatable', required: true }],
      response: { schema: { type: 'object' } },
      handlers: [deps.series],
    });
  }
  const flagger = deps.flaggerRollback;
  if (flagger) {
    routes.push({
      method: 'post', path: '/hooks/flagger/rollback', access: 'public', tag: 'hooks', summary: "Flagger rollback webhook: 200 when aiopsd judged the canary bad, 404 otherwise (Flagger keeps going).",
      response: { schema: { type: 'object' } },
      handlers: [
        express.json({ limit: '16kb' }),
        (req, res) => {
          const r = flagger(req.body);
          res.status(r.status).json(r.body);
        },
      ],
    });
  }
  const deadLetters = deps.deadLetters;
  if (deadLetters) {
    routes.push({
      method: 'get', path: '/api/v1/deadletters', access: 'viewer', tag: 'safety', rateLimited: true, summary: 'Dead letters: failed queue jobs and decisions that failed or are held for a person.',
      query: [{ name: 'limit', description: 'most items (1..1000, default 100)', type: 'integer' }],
      response: { schema: { type: 'object', properties: { items: { type: 'array' } } } },
      handlers: [async (req, res) => void res.json({ items: await deadLetters(Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000)) })],
    });
  }
  return routes;
}
