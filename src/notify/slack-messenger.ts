/**
 * Posts Block Kit messages for incidents and decisions awaiting approval, and updates each one in
 * place (chat.update) when its state changes. Where a message lives (channel + ts) is stored in
 * SQL (slack_messages), so updates keep working after a restart. Work per message is serialised.
 */
import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditRecord } from '../audit/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { ApprovalEvent, ApprovalGate } from '../approvals/gate.js';
import type { SlackApi } from './slack-api.js';
import { decisionBlocks, incidentBlocks, type IncidentSummary } from './slack-blocks.js';

export interface SlackMessengerOptions {
  readonly api: SlackApi;
  readonly sql: Sql;
  readonly channel: string;
  /** Public URL of the aiopsd web page, for "Plot and details" links. */
  readonly pageUrl?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly decisions: DecisionStore;
  readonly approvals: ApprovalGate;
  /** Post a message per incident too (default true). */
  readonly incidents?: boolean;
}

export class SlackMessenger {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly opts: SlackMessengerOptions) {}

  /** Subscribe to the approval gate. */
  attach(): void {
    this.opts.approvals.onEvent((e) => this.onApproval(e));
  }

  async onApproval(e: ApprovalEvent): Promise<void> {
    const decision = e.decision ?? (await this.opts.decisions.get(e.approval.decisionId));
    if (!decision) return;
    const { text, blocks } = decisionBlocks(decision, e.approval, this.opts.pageUrl);
    await this.upsert(`decision:${decision.id}`, text, blocks, true);
  }

  /** Audit tap: incidents opened/resolved, and execution outcomes of decisions that have a message. */
  async onAudit(record: AuditRecord): Promise<void> {
    if ((record.kind === 'incident.opened' || record.kind === 'incident.resolved') && (this.opts.incidents ?? true)) {
      const inc = record.body.incident as Partial<IncidentSummary> | undefined;
      const ev = record.body.evidence as IncidentSummary['evidence'] | undefined;
      if (!inc?.id) return;
      const summary: IncidentSummary = { id: inc.id, groupKey: String(inc.groupKey ?? inc.id), status: record.kind === 'incident.resolved' ? 'resolved' : 'open', score: Number(inc.score ?? 0), openedAtMs: Number(inc.openedAtMs ?? Date.parse(record.ts)), resolvedAtMs: inc.resolvedAtMs ?? null, evidence: ev };
      const { text, blocks } = incidentBlocks(summary, this.opts.pageUrl);
      await this.upsert(`incident:${inc.id}`, text, blocks, record.kind === 'incident.opened');
      return;
    }
    if (record.decisionId && /^action\.(executed|failed|reverted|verified|dry_run)$/.test(record.kind)) {
      const approval = await this.opts.approvals.get(record.decisionId);
      const decision = await this.opts.decisions.get(record.decisionId);
      if (!approval || !decision) return;
      const { text, blocks } = decisionBlocks(decision, { ...approval, outcomeReason: `${approval.outcomeReason ? `${approval.outcomeReason} · ` : ''}${record.kind.replace('action.', '')}` }, this.opts.pageUrl);
      await this.upsert(`decision:${decision.id}`, text, blocks, false);
    }
  }

  private upsert(ref: string, text: string, blocks: unknown[], mayCreate: boolean): Promise<void> {
    const prev = this.chains.get(ref) ?? Promise.resolve();
    const next = prev.then(() => this.doUpsert(ref, text, blocks, mayCreate)).catch((err: unknown) => {
      this.opts.logger.warn({ ref, err: errorMessage(err) }, 'slack message not posted/updated');
    });
    this.chains.set(ref, next);
    void next.finally(() => {
      if (this.chains.get(ref) === next) this.chains.delete(ref);
    });
    return next;
  }

  private async doUpsert(ref: string, text: string, blocks: unknown[], mayCreate: boolean): Promise<void> {
    const { rows } = await this.opts.sql.query<{ channel: string; ts: string }>('select channel, ts from slack_messages where ref = $1', [ref]);
    const existing = rows[0];
    if (existing) {
      await this.opts.api.update(existing.channel, existing.ts, text, blocks);
      await this.opts.sql.query('update slack_messages set updated_at_ms = $2 where ref = $1', [ref, this.opts.clock.nowMs()]);
      return;
    }
    if (!mayCreate) return;
    const posted = await this.opts.api.postMessage(this.opts.channel, text, blocks);
    await this.opts.sql.query('insert into slack_messages (ref, channel, ts, updated_at_ms) values ($1,$2,$3,$4) on conflict (ref) do nothing', [ref, posted.channel, posted.ts, this.opts.clock.nowMs()]);
  }

  async idle(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }
}
