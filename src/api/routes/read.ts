import { AppError } from '../../lib/errors.js';
import type { DecisionStatus, Incident } from '../../domain/types.js';
import type { AppDeps } from '../app.js';
import { intParam } from '../errors.js';
import { principalOf } from '../auth-middleware.js';
import type { RouteDef } from '../route-table.js';

export const DECISION_STATUSES: readonly DecisionStatus[] = ['proposed', 'suppressed', 'shadow', 'pending_approval', 'approved', 'rejected', 'expired', 'queued', 'executing', 'executed', 'verified', 'reverted', 'held', 'failed'];

const obj = { type: 'object' } as const;
const MAX_PLOT_SERIES = 4;
const MAX_PLOT_POINTS = 2000;

export function readRoutes(deps: AppDeps): RouteDef[] {
  return [
    {
      method: 'get', path: '/api/v1/whoami', access: 'viewer', tag: 'auth', rateLimited: true, summary: 'The authenticated caller: subject, role and auth method.',
      response: { schema: { type: 'object', properties: { subject: { type: 'string' }, role: { type: 'string' }, method: { type: 'string' } } } },
      handlers: [(_req, res) => {
        const p = principalOf(res);
        res.json({ subject: p.subject, role: p.role, method: p.method, kind: p.kind });
      }],
    },
    {
      method: 'get', path: '/api/v1/anomalies', access: 'viewer', tag: 'detection', rateLimited: true, summary: 'Recent anomalies, newest first.',
      query: [{ name: 'limit', type: 'integer', description: '1..1000, default 100' }],
      response: { schema: { type: 'object', properties: { anomalies: { type: 'array', items: obj } } } },
      handlers: [(req, res) => {
        const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
        res.json({ anomalies: deps.anomalies(limit) });
      }],
    },
    {
      method: 'get', path: '/api/v1/incidents', access: 'viewer', tag: 'incidents', rateLimited: true, summary: 'Open and recently resolved incidents.',
      response: { schema: { type: 'object', properties: { incidents: { type: 'array', items: obj } } } },
      handlers: [(_req, res) => void res.json({ incidents: deps.incidents() })],
    },
    {
      method: 'get', path: '/api/v1/incidents/:id/series', access: 'viewer', tag: 'incidents', rateLimited: true,
      summary: 'Points of the anomalous series of an incident: observed values, expected values at anomalies, the anomaly window.',
      response: { schema: { type: 'object', properties: { incidentId: { type: 'string' }, window: obj, series: { type: 'array', items: obj } } } },
      handlers: [(req, res) => {
        const incident = deps.incidents().find((i) => i.id === req.params.id);
        if (!incident) throw new AppError('not_found', `no incident ${String(req.params.id)}`, { httpStatus: 404 });
        res.json(incidentSeries(incident, deps.seriesWindow));
      }],
    },
    {
      method: 'get', path: '/api/v1/decisions', access: 'viewer', tag: 'decisions', rateLimited: true, summary: 'Decisions, newest first, optionally by status.',
      query: [
        { name: 'limit', type: 'integer', description: '1..1000, default 100' },
        { name: 'status', enum: DECISION_STATUSES, description: 'only decisions in this status' },
      ],
      response: { schema: { type: 'object', properties: { decisions: { type: 'array', items: obj } } } },
      handlers: [async (req, res) => {
        const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
        const status = req.query.status;
        if (status !== undefined && !DECISION_STATUSES.includes(status as DecisionStatus)) {
          throw new AppError('bad_parameter', `status must be one of ${DECISION_STATUSES.join(', ')}`, { httpStatus: 400 });
        }
        res.json({ decisions: await deps.decisions.list({ limit, ...(status ? { status: status as DecisionStatus } : {}) }) });
      }],
    },
    {
      method: 'get', path: '/api/v1/decisions/:id', access: 'viewer', tag: 'decisions', rateLimited: true, summary: 'One decision, with its approval state when it needs one.',
      response: { schema: obj },
      handlers: [async (req, res) => {
        const id = String(req.params.id);
        const decision = await deps.decisions.get(id);
        if (!decision) throw new AppError('not_found', `no decision ${id}`, { httpStatus: 404 });
        const approval = deps.approvals ? await deps.approvals.get(id) : undefined;
        res.json(approval ? { ...decision, approval } : decision);
      }],
    },
  ];
}

interface PlotSeries {
  seriesKey: string;
  metric: string;
  labels: Record<string, string>;
  observed: Array<[number, number]>;
  expected: Array<[number, number]>;
  anomalies: Array<{ t: number; observed: number; expected: number; score: number }>;
}

/** Observed points from the series store; expected values at each anomaly (the detector's evidence). */
export function incidentSeries(incident: Incident, seriesWindow: AppDeps['seriesWindow']): { incidentId: string; window: { fromMs: number; toMs: number }; series: PlotSeries[] } {
  const byKey = new Map<string, PlotSeries>();
  for (const a of incident.anomalies) {
    let s = byKey.get(a.seriesKey);
    if (!s) {
      if (byKey.size >= MAX_PLOT_SERIES) continue;
      s = { seriesKey: a.seriesKey, metric: a.metric, labels: { ...a.labels }, observed: [], expected: [], anomalies: [] };
      byKey.set(a.seriesKey, s);
    }
    s.anomalies.push({ t: a.timestampMs, observed: a.observed, expected: a.expected, score: a.score });
    s.expected.push([a.timestampMs, a.expected]);
  }
  for (const s of byKey.values()) {
    const w = seriesWindow?.(s.seriesKey);
    if (w) {
      const n = Math.min(w.timestamps.length, w.values.length);
      for (let i = Math.max(0, n - MAX_PLOT_POINTS); i < n; i++) {
        const v = w.values[i]!;
        if (Number.isFinite(v)) s.observed.push([w.timestamps[i]!, v]);
      }
    }
    if (s.observed.length === 0) s.observed = s.anomalies.map((a) => [a.t, a.observed]);
    s.expected.sort((x, y) => x[0] - y[0]);
  }
  const times = incident.anomalies.map((a) => a.timestampMs);
  const fromMs = times.length ? Math.min(...times) : incident.openedAtMs;
  const toMs = incident.resolvedAtMs ?? (times.length ? Math.max(...times) : incident.lastAnomalyAtMs);
  return { incidentId: incident.id, window: { fromMs, toMs }, series: [...byKey.values()] };
}
