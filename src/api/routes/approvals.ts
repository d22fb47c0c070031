import { AppError } from '../../lib/errors.js';
import { roleRank, type Role } from '../../auth/roles.js';
import type { ApprovalChannel } from '../../approvals/store.js';
import type { AppDeps } from '../app.js';
import { intParam } from '../errors.js';
import { principalOf } from '../auth-middleware.js';
import type { RouteDef } from '../route-table.js';
import type { Request, Response } from 'express';

const VOTE_BODY = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: {
    reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why; recorded in the audit log.' },
    action_hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Optional: the action hash the caller reviewed; the vote only counts if it still matches.' },
  },
} as const;

const CHANNELS: readonly ApprovalChannel[] = ['api', 'web', 'cli'];

export function approvalRoutes(deps: AppDeps): RouteDef[] {
  const roles = deps.approvals ? Object.values(deps.approvals.config.roles) : ['approver' as Role];
  const voteRole = roles.reduce((a, b) => (roleRank(a) <= roleRank(b) ? a : b));
  const vote = (verdict: 'approve' | 'reject') => async (req: Request, res: Response): Promise<void> => {
    if (!deps.approvals) throw new AppError('not_configured', 'approvals are not configured', { httpStatus: 503 });
    const body = (req.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => k !== 'reason' && k !== 'action_hash');
    if (unknown.length) throw new AppError('bad_request', `unknown field(s): ${unknown.join(', ')} (the actor comes from your credential, never from the body)`, { httpStatus: 400 });
    if (typeof body.reason !== 'string' || body.reason.trim() === '' || body.reason.length > 1000) {
      throw new AppError('reason_required', 'body.reason must be a non-empty string of at most 1000 characters', { httpStatus: 400 });
    }
    if (body.action_hash !== undefined && (typeof body.action_hash !== 'string' || !/^[0-9a-f]{64}$/.test(body.action_hash))) {
      throw new AppError('bad_request', 'action_hash must be 64 lowercase hex characters', { httpStatus: 400 });
    }
    const header = String(req.headers['x-aiopsd-channel'] ?? 'api');
    const channel: ApprovalChannel = CHANNELS.includes(header as ApprovalChannel) ? (header as ApprovalChannel) : 'api';
    const result = await deps.approvals.decide({
      decisionId: String(req.params.id),
      verdict,
      principal: principalOf(res),
      channel,
      reason: body.reason,
      ...(typeof body.action_hash === 'string' ? { actionHash: body.action_hash } : {}),
    });
    res.json({ state: result.approval.state, submitted: result.submitted, approval: result.approval });
  };
  const voteResponse = { schema: { type: 'object', properties: { state: { type: 'string' }, submitted: { type: 'boolean' }, approval: { type: 'object' } } } };
  return [
    {
      method: 'get', path: '/api/v1/approvals', access: 'viewer', tag: 'approvals', rateLimited: true, summary: 'Approvals (default: pending), newest first.',
      query: [
        { name: 'state', enum: ['pending', 'approved', 'rejected', 'expired', 'held', 'void'], description: 'default pending' },
        { name: 'limit', type: 'integer', description: '1..1000, default 100' },
      ],
      response: { schema: { type: 'object', properties: { approvals: { type: 'array', items: { type: 'object' } } } } },
      handlers: [async (req, res) => {
        if (!deps.approvals) return void res.json({ approvals: [] });
        const state = typeof req.query.state === 'string' && req.query.state !== '' ? req.query.state : 'pending';
        if (!['pending', 'approved', 'rejected', 'expired', 'held', 'void'].includes(state)) throw new AppError('bad_parameter', 'unknown state', { httpStatus: 400 });
        const limit = intParam(req.query.limit, 'limit', { min: 1, max: 1000 }) ?? 100;
        const rows = await deps.approvals.list({ state: state as 'pending', limit });
        const withDecisions = await Promise.all(rows.map(async (a) => ({ ...a, decision: await deps.decisions.get(a.decisionId) })));
        res.json({ approvals: withDecisions });
      }],
    },
    {
      method: 'post', path: '/api/v1/decisions/:id/approve', access: voteRole, tag: 'approvals', rateLimited: true, json: true,
      summary: 'Approve a pending decision (role per risk; high risk needs two distinct approvers; never the proposer). 409 target_changed when the target changed since the decision.',
      body: VOTE_BODY, response: voteResponse,
      handlers: [vote('approve')],
    },
    {
      method: 'post', path: '/api/v1/decisions/:id/reject', access: voteRole, tag: 'approvals', rateLimited: true, json: true,
      summary: 'Reject a pending decision with a reason.',
      body: VOTE_BODY, response: voteResponse,
      handlers: [vote('reject')],
    },
  ];
}
