import type { DecisionStatus } from '../domain/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { FailedJob, RemediationQueue } from './remediation-queue.js';

export interface DeadLetter {
  readonly decisionId: string;
  /** The decision's status in SQL (failed, held, …), or undefined if the decision is unknown. */
  readonly status: DecisionStatus | undefined;
  readonly rule: string | undefined;
  readonly action: string | undefined;
  readonly target: string | undefined;
  /** Why: the decision's reason, else BullMQ's failedReason. */
  readonly reason: string;
  /** Present when the job is still in BullMQ's failed set. */
  readonly job: Omit<FailedJob, 'decisionId'> | undefined;
  readonly updatedAtMs: number | undefined;
}

export interface DeadLetterSources {
  readonly queue: Pick<RemediationQueue, 'failedJobs'>;
  readonly decisions: Pick<DecisionStore, 'listByStatuses' | 'get'>;
}

/**
 * The dead-letter view: BullMQ's failed set merged with decisions that ended failed or held in SQL
 * (the SQL side survives a job removed from Redis). One entry per decision id, newest first.
 */
export async function listDeadLetters(src: DeadLetterSources, limit = 100): Promise<DeadLetter[]> {
  const [jobs, decisions] = await Promise.all([src.queue.failedJobs(limit).catch(() => [] as FailedJob[]), src.decisions.listByStatuses(['failed', 'held'], limit)]);
  const byId = new Map<string, DeadLetter>();
  for (const d of decisions) {
    const t = d.action.target;
    byId.set(d.id, {
      decisionId: d.id,
      status: d.status,
      rule: d.rule,
      action: d.action.type,
      target: `${t.resource}${t.group ? `.${t.group}` : ''} ${t.namespace}/${t.name}`,
      reason: d.reason ?? d.result?.error?.message ?? '',
      job: undefined,
      updatedAtMs: d.createdAtMs,
    });
  }
  for (const j of jobs) {
    const { decisionId, ...job } = j;
    const existing = byId.get(decisionId);
    if (existing) {
      byId.set(decisionId, { ...existing, job, reason: existing.reason || j.failedReason });
      continue;
    }
    const d = await src.decisions.get(decisionId);
    byId.set(decisionId, {
      decisionId,
      status: d?.status,
      rule: d?.rule,
      action: d?.action.type ?? j.action,
      target: d ? `${d.action.target.namespace}/${d.action.target.name}` : undefined,
      reason: d?.reason ?? j.failedReason,
      job,
      updatedAtMs: j.finishedOnMs,
    });
  }
  return [...byId.values()].sort((a, b) => (b.updatedAtMs ?? 0) - (a.updatedAtMs ?? 0)).slice(0, limit);
}
