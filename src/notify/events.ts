import type { AuditRecord } from '../audit/types.js';
import type { TargetRef } from '../domain/types.js';

export const EVENT_TYPES = ['incident.opened', 'incident.resolved', 'decision.proposed', 'decision.approved', 'decision.executed', 'decision.reverted'] as const;
export type NotifyEventType = (typeof EVENT_TYPES)[number];

/** One thing worth telling people about. `id` is stable (the audit record id), so dedup works. */
export interface NotifyEvent {
  readonly id: string;
  readonly type: NotifyEventType;
  readonly atMs: number;
  readonly incidentId?: string;
  readonly decisionId?: string;
  readonly service?: string;
  readonly target?: TargetRef;
  readonly actor: string;
  readonly summary: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The events derived from an audit record (none for most kinds). */
export function eventFromAudit(r: AuditRecord): NotifyEvent | undefined {
  const base = {
    id: r.id,
    atMs: Date.parse(r.ts),
    ...(r.incidentId ? { incidentId: r.incidentId } : {}),
    ...(r.decisionId ? { decisionId: r.decisionId } : {}),
    ...(r.target ? { target: r.target } : {}),
    actor: r.actor.id,
  };
  const incident = r.body.incident as { groupKey?: string; service?: string } | undefined;
  const service = incident?.service ?? incident?.groupKey;
  const t = r.target ? `${r.target.namespace}/${r.target.name}` : '';
  const action = (r.body.action as { type?: string } | undefined)?.type ?? 'action';
  switch (r.kind) {
    case 'incident.opened':
      return { ...base, type: 'incident.opened', ...(service ? { service } : {}), summary: `incident opened: ${incident?.groupKey ?? r.incidentId}`, data: { incident: r.body.incident, evidence: r.body.evidence } };
    case 'incident.resolved':
      return { ...base, type: 'incident.resolved', ...(service ? { service } : {}), summary: `incident resolved: ${incident?.groupKey ?? r.incidentId}`, data: { incident: r.body.incident } };
    case 'decision.proposed':
      if (r.body.shadow === true) return undefined;
      return { ...base, type: 'decision.proposed', summary: `${action} proposed on ${t}`, data: { action: r.body.action, rule: r.body.rule, risk: r.body.risk, requiresApproval: r.body.requiresApproval, dryRun: r.body.dryRun } };
    case 'approval.granted':
      if (r.body.after !== 'approved') return undefined;
      return { ...base, type: 'decision.approved', summary: `decision approved on ${t}`, data: { approvals: r.body.approvals, risk: r.body.risk } };
    case 'action.executed':
      return { ...base, type: 'decision.executed', summary: `${action} executed on ${t}`, data: { action: r.body.action, outcome: r.body.outcome } };
    case 'action.reverted':
      return { ...base, type: 'decision.reverted', summary: `${action} reverted on ${t}`, data: { action: r.body.action, outcome: r.body.outcome } };
    default:
      return undefined;
  }
}
