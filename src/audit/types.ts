import type { TargetRef } from '../domain/types.js';

/** Kinds of audit events (promises.md, "What one audit record carries"). */
export type AuditKind =
  | 'anomaly'
  | 'incident.opened'
  | 'incident.updated'
  | 'incident.resolved'
  | 'decision.proposed'
  | 'decision.suppressed'
  | 'decision.queued'
  | 'approval.requested'
  | 'approval.granted'
  | 'approval.refused'
  | 'approval.expired'
  | 'action.dry_run'
  | 'action.executing'
  | 'action.executed'
  | 'action.verified'
  | 'action.reverted'
  | 'action.held'
  | 'action.failed'
  | 'killswitch'
  | 'config.reload';

/** Who caused an event and how they were authenticated (never taken from a request body). */
export interface AuditActor {
  readonly type: 'system' | 'service_account' | 'person';
  readonly id: string;
  readonly authMethod?: string;
}

/** What a stage hands to the audit log. The store assigns seq, id, timestamp and hashes. */
export interface AuditEntry {
  readonly kind: AuditKind;
  readonly actor: AuditActor;
  readonly decisionId?: string;
  readonly incidentId?: string;
  readonly jobId?: string;
  readonly attempt?: number;
  readonly target?: TargetRef;
  /** Everything else: action, policy, evidence, before/after, outcome, error, correlation. JSON only. */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface AuditRecord extends AuditEntry {
  /** Gapless sequence number starting at 1. */
  readonly seq: number;
  readonly id: string;
  /** UTC timestamp with microseconds, ISO 8601 (e.g. 2026-11-22T15:57:05.123456Z). */
  readonly ts: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly kind?: AuditKind;
  readonly decisionId?: string;
  readonly incidentId?: string;
  readonly afterSeq?: number;
  readonly limit?: number;
}

export type AuditVerifyResult =
  | { readonly ok: true; readonly records: number; readonly headHash: string }
  | { readonly ok: false; readonly records: number; readonly firstBadSeq: number; readonly reason: string };

export interface AuditStore {
  append(entry: AuditEntry): Promise<AuditRecord>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
  verify(): Promise<AuditVerifyResult>;
  /** Cheap liveness check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
