import type { Request } from 'express';
import { AppError } from '../../lib/errors.js';
import type { AuditKind, AuditRecord } from '../../audit/types.js';
import type { AppDeps } from '../app.js';
import { searchAudit, type AuditSearch } from '../audit-query.js';
import { intParam } from '../errors.js';
import type { ParamDoc, RouteDef } from '../route-table.js';

const FILTERS: ParamDoc[] = [
  { name: 'kind', description: 'event kind, or several separated by commas (e.g. approval.granted,approval.refused)' },
  { name: 'decision_id', description: 'records of one decision' },
  { name: 'incident_id', description: 'records of one incident' },
  { name: 'actor', description: 'actor id (person, service account, or aiopsd)' },
  { name: 'target', description: 'name, namespace/name or resource/namespace/name' },
  { name: 'from', description: 'time, inclusive: ISO 8601 or epoch milliseconds' },
  { name: 'to', description: 'time, exclusive: ISO 8601 or epoch milliseconds' },
  { name: 'after_seq', type: 'integer', description: 'ascending paging: records after this seq' },
];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function timeParam(v: unknown, name: string): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw new AppError('bad_parameter', `${name} must be ISO 8601 or epoch milliseconds`, { httpStatus: 400 });
  return n;
}

function filters(req: Request): Omit<AuditSearch, 'limit'> {
  const q = req.query;
  const kinds = str(q.kind)?.split(',').map((k) => k.trim()).filter(Boolean);
  const afterSeq = intParam(q.after_seq, 'after_seq', { min: 0, max: Number.MAX_SAFE_INTEGER });
  const beforeSeq = intParam(q.before_seq, 'before_seq', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const order = str(q.order);
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new AppError('bad_parameter', 'order must be asc or desc', { httpStatus: 400 });
  const fromMs = timeParam(q.from, 'from');
  const toMs = timeParam(q.to, 'to');
  return {
    ...(kinds && kinds.length ? { kinds } : {}),
    ...(str(q.decision_id) ? { decisionId: str(q.decision_id)! } : {}),
    ...(str(q.incident_id) ? { incidentId: str(q.incident_id)! } : {}),
    ...(str(q.actor) ? { actor: str(q.actor)! } : {}),
    ...(str(q.target) ? { target: str(q.target)! } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(afterSeq !== undefined ? { afterSeq } : {}),
    ...(beforeSeq !== undefined ? { beforeSeq } : {}),
    ...(order ? { order } : {}),
  };
}

export function auditRoutes(deps: AppDeps): RouteDef[] {
  const search = async (f: Omit<AuditSearch, 'limit'>, limit: number): Promise<AuditRecord[]> => {
    if (deps.sql) return searchAudit(deps.sql, { ...f, limit });
    const unsupported = (['actor', 'target', 'fromMs', 'toMs', 'beforeSeq'] as const).filter((k) => f[k] !== undefined);
    if (f.order === 'desc') unsupported.push('beforeSeq');
    if (unsupported.length || (f.kinds && f.kinds.length > 1)) throw new AppError('not_supported', `filters need the SQL store: ${unsupported.join(', ')}`, { httpStatus: 400 });
    return deps.audit.list({
      limit,
      ...(f.afterSeq !== undefined ? { afterSeq: f.afterSeq } : {}),
      ...(f.kinds?.[0] ? { kind: f.kinds[0] as AuditKind } : {}),
      ...(f.decisionId ? { decisionId: f.decisionId } : {}),
      ...(f.incidentId ? { incidentId: f.incidentId } : {}),
    });
  };
  return [
    {
      method: 'get', path: '/api/v1/audit', access: 'viewer', tag: 'audit', rateLimited: true,
      summary: 'Audit records with filters. Default oldest first (page with after_seq); order=desc pages newest first with before_seq.',
      query: [
        ...FILTERS,
        { name: 'before_seq', type: 'integer', description: 'descending paging: records before this seq' },
        { name: 'order', enum: ['asc', 'desc'], description: 'default asc' },
        { name: 'limit', type: 'integer', description: '1..1000, default 100' },
      ],
      response: { schema: { type: 'object', properties: { records: { type: 'array', items: { type: 'object' } }, next_after_seq: { type: ['integer', 'null'] }, next_before_seq: { type: ['integer', 'null'] } } } },
      handlers: [async (req, res) => {
        const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
        const f = filters(req);
        const records = await search(f, limit);
        const last = records.length === limit ? records[records.length - 1]!.seq : null;
        res.json({ records, next_after_seq: f.order === 'desc' ? null : last, next_before_seq: f.order === 'desc' ? last : null });
      }],
    },
    {
      method: 'get', path: '/api/v1/audit/export', access: 'operator', tag: 'audit',
      rateLimited: true,
      summary: 'The (filtered) audit log as JSON Lines, oldest first, streamed. Each line is one record with its hashes.',
      query: FILTERS,
      response: { contentType: 'application/x-ndjson' },
      handlers: [async (req, res) => {
        const f = { ...filters(req), order: 'asc' as const };
        let after = f.afterSeq ?? 0;
        res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
        res.setHeader('Content-Disposition', 'attachment; filename="aiopsd-audit.jsonl"');
        let aborted = false;
        req.on('close', () => {
          aborted = !res.writableFinished;
        });
        for (;;) {
          const page = await search({ ...f, afterSeq: after }, 500);
          if (page.length === 0 || aborted) break;
          const chunk = page.map((r) => JSON.stringify(r)).join('\n') + '\n';
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
          after = page[page.length - 1]!.seq;
          if (page.length < 500) break;
        }
        res.end();
      }],
    },
  ];
}
