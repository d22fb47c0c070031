import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import { AppError, errorMessage, isAppError } from '../../lib/errors.js';
import type { AlertEvidence } from '../../domain/types.js';

export type { AlertEvidence };
import { serviceOf } from '../../domain/labels.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { readBody } from '../remote-write/body.js';

const SOURCE = 'alertmanager';

/** One alert from an Alertmanager notification, as evidence for an incident. */

const rfc3339 = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 timestamp');
const labelMap = z.record(z.string(), z.string());

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: rfc3339,
  endsAt: rfc3339.optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

const payloadSchema = z.object({
  version: z.literal('4', { message: 'only webhook payload version "4" is supported' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema),
});

export interface AlertmanagerHandlerDeps {
  /** Bearer token Alertmanager sends (http_config.authorization.credentials). Required unless allowUnauthenticated. */
  readonly token: string | undefined;
  readonly allowUnauthenticated?: boolean;
  /** Receives new (not duplicate) alerts. Throwing makes the request answer 500 so Alertmanager retries. */
  readonly onAlerts: (alerts: AlertEvidence[]) => void | Promise<void>;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
  /** How long a (groupKey, fingerprint, status, startsAt) is remembered. Default 1 h. */
  readonly dedupTtlMs?: number;
  /** Cap on remembered keys (oldest evicted). Default 100,000. */
  readonly dedupMaxEntries?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

/** Bounded TTL set, insertion ordered (entries expire oldest first). */
export class TtlSet {
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  has(key: string, nowMs: number): boolean {
    const exp = this.entries.get(key);
    return exp !== undefined && exp > nowMs;
  }

  add(key: string, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, nowMs + this.ttlMs);
    this.prune(nowMs);
  }

  private prune(nowMs: number): void {
    for (const [k, exp] of this.entries) {
      if (this.entries.size <= this.max && exp > nowMs) break;
      this.entries.delete(k);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

function tokenDigest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Alertmanager's "zero" time for alerts that have not ended. */
function endsAt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return ms <= 0 ? undefined : ms;
}

/**
 * POST /api/v1/alertmanager: Alertmanager webhook (payload version 4). Bearer token auth (constant
 * time compare), 400 with the failing path for invalid payloads, HA duplicates folded on
 * groupKey + fingerprint + status + startsAt. 200 {received, new, duplicates}. Answers 5xx only
 * when aiopsd could not record the alerts (Alertmanager retries only 5xx).
 */
export function createAlertmanagerHandler(deps: AlertmanagerHandlerDeps): RequestHandler {
  if (!deps.token && !deps.allowUnauthenticated) throw new Error('alertmanager receiver: a bearer token is required (or allowUnauthenticated)');
  const expected = deps.token ? tokenDigest(deps.token) : undefined;
  const seen = new TtlSet(deps.dedupTtlMs ?? 3_600_000, deps.dedupMaxEntries ?? 100_000);
  return (req, res) => {
    handle(deps, expected, seen, req, res).catch((err: unknown) => {
      deps.logger?.warn({ err: errorMessage(err) }, 'alertmanager handler failed');
      if (!res.headersSent) respond(deps, res, new AppError('internal', 'internal error', { httpStatus: 500 }));
    });
  };
}

async function handle(deps: AlertmanagerHandlerDeps, expected: Buffer | undefined, seen: TtlSet, req: Request, res: Response): Promise<void> {
  let early: AppError | undefined;
  if (expected) {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !timingSafeEqual(tokenDigest(m[1]!.trim()), expected)) {
      early = new AppError('unauthorized', 'missing or wrong bearer token', { httpStatus: 401 });
      res.setHeader('WWW-Authenticate', 'Bearer realm="aiopsd"');
    }
  }
  const mediaType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!early && mediaType !== 'application/json') {
    early = new AppError('unsupported_media_type', 'Content-Type must be application/json', { httpStatus: 415 });
  }
  const read = await readBody(req, deps.maxBodyBytes, early === undefined);
  if (read.kind === 'aborted') return;
  if (early) return respond(deps, res, early);
  if (read.kind === 'too_large') {
    if (!req.readableEnded) {
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
    }
    return respond(deps, res, new AppError('body_too_large', `request body exceeds ${deps.maxBodyBytes} bytes`, { httpStatus: 413 }));
  }
  let json: unknown;
  try {
    json = JSON.parse(read.body.toString('utf8'));
  } catch (err) {
    return respond(deps, res, new AppError('bad_json', `body is not JSON: ${errorMessage(err)}`, { httpStatus: 400 }));
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.') || '$';
    return respond(deps, res, new AppError('bad_payload', `invalid Alertmanager webhook at ${path}: ${issue.message}`, { httpStatus: 400, details: { path } }));
  }
  const p = parsed.data;
  const nowMs = deps.clock.nowMs();
  const fresh: AlertEvidence[] = [];
  const keys: string[] = [];
  const batch = new Set<string>();
  for (const a of p.alerts) {
    const key = `${p.groupKey}\u0000${a.fingerprint}\u0000${a.status}\u0000${a.startsAt}`;
    if (seen.has(key, nowMs) || batch.has(key)) continue;
    batch.add(key);
    keys.push(key);
    fresh.push({
      receiver: p.receiver,
      groupKey: p.groupKey,
      fingerprint: a.fingerprint,
      status: a.status,
      alertname: a.labels.alertname ?? '',
      service: serviceOf(a.labels),
      severity: a.labels.severity,
      labels: Object.freeze({ ...a.labels }),
      annotations: Object.freeze({ ...a.annotations }),
      startsAtMs: Date.parse(a.startsAt),
      endsAtMs: endsAt(a.endsAt),
      generatorURL: a.generatorURL,
      externalURL: p.externalURL,
      receivedAtMs: nowMs,
    });
  }
  if (fresh.length > 0) {
    try {
      await deps.onAlerts(fresh);
    } catch (err) {
      // Not remembered: Alertmanager's retry delivers them again.
      const e = isAppError(err) ? err : new AppError('alerts_not_recorded', `recording alerts failed: ${errorMessage(err)}`, { httpStatus: 500 });
      return respond(deps, res, e.httpStatus >= 500 ? e : new AppError(e.code, e.message, { httpStatus: 500 }));
    }
    for (const k of keys) seen.add(k, nowMs);
  }
  const duplicates = p.alerts.length - fresh.length;
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: '200' });
  if (duplicates > 0) deps.metrics.ingestDropped.inc({ source: SOURCE, reason: 'duplicate' }, duplicates);
  res.status(200).json({ status: 'success', received: p.alerts.length, new: fresh.length, duplicates, truncatedAlerts: p.truncatedAlerts });
}

function respond(deps: AlertmanagerHandlerDeps, res: Response, err: AppError): void {
  const status = err.httpStatus >= 400 && err.httpStatus <= 599 ? err.httpStatus : 500;
  deps.metrics.ingestRequests.inc({ source: SOURCE, code: String(status) });
  if (status !== 401) deps.logger?.warn({ status, code: err.code, err: err.message }, 'alertmanager webhook rejected');
  if (res.headersSent) return;
  res.status(status).json({ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
}
