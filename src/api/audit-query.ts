/**
 * Audit search for the API: the filters AuditStore.list lacks (time range, target, actor, several
 * kinds, newest-first paging), as read-only SQL on audit_log. Values are always bound parameters.
 */
import type { Sql } from '../store/db.js';
import { isoMicros, toRecord } from '../audit/sql-audit-store.js';
import { rowFields, type AuditRow } from '../audit/sql-audit-verify.js';
import type { AuditRecord } from '../audit/types.js';

export interface AuditSearch {
  readonly kinds?: readonly string[];
  readonly decisionId?: string;
  readonly incidentId?: string;
  /** actor id (a person, service account or "aiopsd") */
  readonly actor?: string;
  /** "name", "namespace/name" or "resource/namespace/name" */
  readonly target?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Ascending paging: records with seq > afterSeq. */
  readonly afterSeq?: number;
  /** Descending paging: records with seq < beforeSeq. */
  readonly beforeSeq?: number;
  readonly order?: 'asc' | 'desc';
  readonly limit: number;
}

const COLUMNS = 'seq, id, ts, kind, actor, decision_id, incident_id, job_id, attempt, target, body, prev_hash, hash';

export async function searchAudit(sql: Sql, q: AuditSearch): Promise<AuditRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.kinds && q.kinds.length > 0) where.push(`kind = any(${p([...q.kinds])}::text[])`);
  if (q.decisionId !== undefined) where.push(`decision_id = ${p(q.decisionId)}`);
  if (q.incidentId !== undefined) where.push(`incident_id = ${p(q.incidentId)}`);
  if (q.actor !== undefined) where.push(`actor->>'id' = ${p(q.actor)}`);
  if (q.target !== undefined) {
    const parts = q.target.split('/');
    if (parts.length === 1) where.push(`target->>'name' = ${p(parts[0])}`);
    else if (parts.length === 2) where.push(`target->>'namespace' = ${p(parts[0])} and target->>'name' = ${p(parts[1])}`);
    else where.push(`target->>'resource' = ${p(parts[0])} and target->>'namespace' = ${p(parts[1])} and target->>'name' = ${p(parts.slice(2).join('/'))}`);
  }
  // ts is fixed-width ISO 8601 UTC with microseconds, so text order is time order
  if (q.fromMs !== undefined) where.push(`ts >= ${p(isoMicros(q.fromMs))}`);
  if (q.toMs !== undefined) where.push(`ts < ${p(isoMicros(q.toMs))}`);
  if (q.afterSeq !== undefined) where.push(`seq > ${p(q.afterSeq)}`);
  if (q.beforeSeq !== undefined) where.push(`seq < ${p(q.beforeSeq)}`);
  const order = q.order === 'desc' ? 'desc' : 'asc';
  const { rows } = await sql.query<AuditRow>(
    `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''} order by seq ${order} limit ${p(q.limit)}`,
    params,
  );
  return rows.map((r) => toRecord(rowFields(r), r.hash));
}
