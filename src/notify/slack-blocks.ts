/**
 * Block Kit for incidents and decisions awaiting approval. Buttons carry only the opaque decision
 * id; what is approved is decided from server-side state. Approve is the destructive one (it
 * changes the cluster): style danger and a confirm dialog. Text from labels is escaped (& < >) so it cannot form mentions/links.
 */
import type { Decision, Incident } from '../domain/types.js';
import type { ApprovalRow } from '../approvals/store.js';

export const APPROVE_ACTION = 'aiopsd_approve';
export const REJECT_ACTION = 'aiopsd_reject';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(n: number): string {
  return Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3)) : String(n);
}

export interface IncidentSummary {
  readonly id: string;
  readonly groupKey: string;
  readonly status: string;
  readonly score: number;
  readonly openedAtMs: number;
  readonly resolvedAtMs?: number | null;
  readonly evidence?: { metric: string; observed: number; expected: number; score: number; detector: string } | undefined;
}

export function incidentSummary(i: Incident): IncidentSummary {
  const a = i.anomalies[i.anomalies.length - 1];
  return { id: i.id, groupKey: i.groupKey, status: i.status, score: i.score, openedAtMs: i.openedAtMs, resolvedAtMs: i.resolvedAtMs ?? null, evidence: a ? { metric: a.metric, observed: a.observed, expected: a.expected, score: a.score, detector: a.detector } : undefined };
}

export function incidentBlocks(i: IncidentSummary, pageUrl: string | undefined): { text: string; blocks: unknown[] } {
  const icon = i.status === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
  const text = `${i.status === 'resolved' ? 'Resolved' : 'Incident'}: ${i.groupKey} (score ${fmt(i.score)})`;
  const fields = [`*Incident*\n\`${esc(i.id)}\``, `*Status*\n${esc(i.status)}`, `*Score*\n${fmt(i.score)}`, `*Opened*\n<!date^${Math.floor(i.openedAtMs / 1000)}^{date_short_pretty} {time}|${new Date(i.openedAtMs).toISOString()}>`];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${i.status === 'resolved' ? 'Resolved' : 'Anomaly'}: ${i.groupKey}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: `${icon} *${esc(i.groupKey)}*` }, fields: fields.map((t) => ({ type: 'mrkdwn', text: t })) },
  ];
  if (i.evidence) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Evidence: \`${esc(i.evidence.metric)}\` observed *${fmt(i.evidence.observed)}* vs expected ${fmt(i.evidence.expected)} (score ${fmt(i.evidence.score)}, ${esc(i.evidence.detector)})` }] });
  }
  if (pageUrl) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Plot and details' }, url: `${pageUrl}#incident=${encodeURIComponent(i.id)}`, action_id: 'aiopsd_open_incident' }] });
  return { text, blocks };
}

export function decisionBlocks(d: Decision, a: ApprovalRow, pageUrl: string | undefined): { text: string; blocks: unknown[] } {
  const t = d.action.target;
  const targetText = `${t.resource}/${t.namespace}/${t.name}`;
  const params = Object.entries(d.action.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
  const text = `Approval ${a.state}: ${d.action.type} on ${targetText}`;
  const ev = d.evidence[d.evidence.length - 1];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${a.risk === 'high' ? 'High-risk action' : 'Action'} ${a.state === 'pending' ? 'awaiting approval' : a.state}`.slice(0, 150) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${esc(d.action.type)}* on \`${esc(targetText)}\`\n${esc(params)}` },
      fields: [
        { type: 'mrkdwn', text: `*Rule*\n${esc(d.rule)}` },
        { type: 'mrkdwn', text: `*Risk*\n${a.risk} (${a.required} approver${a.required > 1 ? 's' : ''})` },
        { type: 'mrkdwn', text: `*Decision*\n\`${esc(d.id)}\`` },
        { type: 'mrkdwn', text: `*Expires*\n${new Date(a.expiresAtMs).toISOString()}` },
      ],
    },
  ];
  if (ev) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Evidence: \`${esc(ev.metric)}\` observed *${fmt(ev.observed)}* vs expected ${fmt(ev.expected)} (score ${fmt(ev.score)})${d.dryRun ? ' · dry run' : ''}` }] });
  const votes = [...a.approvals.map((v) => `:white_check_mark: ${esc(v.by)} via ${v.channel}: ${esc(v.reason)}`), ...a.refusals.map((v) => `:x: ${esc(v.by)} via ${v.channel}: ${esc(v.reason)}`)];
  if (votes.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: votes.join('\n').slice(0, 2900) }] });
  if (a.outcomeReason) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: esc(a.outcomeReason).slice(0, 2900) }] });
  const elements: unknown[] = [];
  if (a.state === 'pending') {
    // Approving is what changes production: danger style and a confirm dialog on it.
    elements.push(
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        style: 'danger',
        action_id: APPROVE_ACTION,
        value: d.id,
        confirm: { title: { type: 'plain_text', text: 'Approve this action?' }, text: { type: 'mrkdwn', text: `This will run *${esc(d.action.type)}* on \`${esc(targetText)}\` (${esc(params)}).` }, confirm: { type: 'plain_text', text: 'Approve' }, deny: { type: 'plain_text', text: 'Cancel' }, style: 'danger' },
      },
      { type: 'button', text: { type: 'plain_text', text: 'Reject' }, action_id: REJECT_ACTION, value: d.id },
    );
  }
  if (pageUrl) elements.push({ type: 'button', text: { type: 'plain_text', text: 'Plot and details' }, url: `${pageUrl}#incident=${encodeURIComponent(d.incidentId)}`, action_id: 'aiopsd_open_decision' });
  if (elements.length) blocks.push({ type: 'actions', block_id: `decision:${d.id}`.slice(0, 255), elements });
  return { text, blocks };
}
