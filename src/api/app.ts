import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { AppError } from '../lib/errors.js';
import type { AuditKind, AuditStore } from '../audit/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { DecisionStatus } from '../domain/types.js';
import type { Logger } from '../telemetry/logger.js';
import { errorHandler, intParam, notFound } from './errors.js';
import type { Anomaly, Incident } from '../domain/types.js';

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface AppDeps {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly remoteWrite: RequestHandler;
  readonly anomalies: (limit: number) => Anomaly[];
  readonly incidents: () => Incident[];
  readonly decisions: DecisionStore;
  readonly audit: AuditStore;
  readonly readinessTimeoutMs?: number;
}

const DECISION_STATUSES = new Set<DecisionStatus>(['proposed', 'suppressed', 'shadow', 'pending_approval', 'approved', 'rejected', 'expired', 'queued', 'executing', 'executed', 'verified', 'reverted', 'held', 'failed']);

/** The HTTP surface, built from its dependencies; the caller decides where it listens. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(helmet());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(deps.readiness.map((c) => runCheck(c, deps.readinessTimeoutMs ?? 2000)));
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });

  app.post('/api/v1/write', deps.remoteWrite);

  app.get('/api/v1/anomalies', (req, res) => {
    const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
    res.json({ anomalies: deps.anomalies(limit) });
  });
  app.get('/api/v1/incidents', (_req, res) => {
    res.json({ incidents: deps.incidents() });
  });
  app.get('/api/v1/decisions', async (req, res) => {
    const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
    const status = req.query.status;
    if (status !== undefined && !DECISION_STATUSES.has(status as DecisionStatus)) {
      throw new AppError('bad_parameter', `status must be one of ${[...DECISION_STATUSES].join(', ')}`, { httpStatus: 400 });
    }
    res.json({ decisions: await deps.decisions.list({ limit, ...(status ? { status: status as DecisionStatus } : {}) }) });
  });
  app.get('/api/v1/decisions/:id', async (req, res) => {
    const decision = await deps.decisions.get(req.params.id);
    if (!decision) throw new AppError('not_found', `no decision ${req.params.id}`, { httpStatus: 404 });
    res.json(decision);
  });
  app.get('/api/v1/audit', async (req, res) => {
    const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
    const afterSeq = intParam(req.query.after_seq, 'after_seq', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const records = await deps.audit.list({
      limit,
      ...(afterSeq !== undefined ? { afterSeq } : {}),
      ...(str(req.query.kind) ? { kind: str(req.query.kind) as AuditKind } : {}),
      ...(str(req.query.decision_id) ? { decisionId: str(req.query.decision_id)! } : {}),
      ...(str(req.query.incident_id) ? { incidentId: str(req.query.incident_id)! } : {}),
    });
    res.json({ records, next_after_seq: records.length === limit ? records[records.length - 1]!.seq : null });
  });

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
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
