/**
 * Slack interactivity (promise 17): button clicks arrive at POST /hooks/slack/interactions
 * (or over Socket Mode, see slack-socket.ts) and become votes on the approval gate.
 *
 * HTTP: the v0 signature is checked over the RAW body before anything is parsed:
 *   v0=hex(HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body))
 * compared in constant time; a timestamp more than 300 s away (past or future) is refused; then
 * team.id and api_app_id must match. The request is acknowledged at once (Slack wants an answer
 * within 3 s) and the vote is recorded afterwards. A click is remembered durably as
 * (decision id, user id, action_ts) inside the vote's transaction, so a replay records nothing.
 * Slack users map to people through config; an unknown user cannot approve.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../lib/clock.js';
import { AppError, errorMessage, isAppError } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Role } from '../auth/roles.js';
import type { ApprovalGate } from '../approvals/gate.js';
import type { SlackApi } from './slack-api.js';
import { APPROVE_ACTION, REJECT_ACTION } from './slack-blocks.js';

export interface SlackUserMapping {
  /** Person identity (the same name their API token or OIDC subject carries). */
  readonly name: string;
  readonly role: Role;
}

export interface SlackInteractionsOptions {
  readonly signingSecret: string;
  readonly teamId: string;
  readonly appId: string;
  /** Slack user id (U…) → person. */
  readonly users: Readonly<Record<string, SlackUserMapping>>;
  readonly approvals: ApprovalGate;
  readonly clock: Clock;
  readonly logger: Logger;
  /** For ephemeral replies to the clicker (refusals, errors). Optional. */
  readonly api?: SlackApi;
  readonly toleranceSec?: number;
}

export type SlackVerifyFailure = 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/** Checks a v0 signature; returns undefined when valid, else why not. Constant-time comparison. */
export function verifySlackSignature(secret: string, raw: Buffer, timestamp: string | undefined, signature: string | undefined, nowMs: number, toleranceSec = 300): SlackVerifyFailure | undefined {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return 'missing_headers';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec) return 'stale_timestamp';
  const want = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`, 'utf8');
  const got = Buffer.from(signature, 'utf8');
  // lengths differ → compare want with itself so the work done is the same, then fail
  const ok = got.length === want.length ? timingSafeEqual(got, want) : !timingSafeEqual(want, want);
  return ok ? undefined : 'bad_signature';
}

export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

interface BlockActionsPayload {
  type?: string;
  team?: { id?: string };
  api_app_id?: string;
  user?: { id?: string };
  channel?: { id?: string };
  message?: { ts?: string };
  container?: { channel_id?: string; message_ts?: string };
  actions?: Array<{ action_id?: string; value?: string; action_ts?: string }>;
}

export class SlackInteractions {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: SlackInteractionsOptions) {}

  /** Express handler; the route must hand it the raw body (express.raw). */
  async handleHttp(req: Request, res: Response): Promise<void> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const failure = verifySlackSignature(this.opts.signingSecret, raw, header(req, 'x-slack-request-timestamp'), header(req, 'x-slack-signature'), this.opts.clock.nowMs(), this.opts.toleranceSec);
    if (failure) {
      this.opts.logger.warn({ reason: failure }, 'slack request refused');
      throw new AppError(failure, failure === 'stale_timestamp' ? 'request timestamp is more than 300 s from now' : 'invalid Slack signature', { httpStatus: 401 });
    }
    const payload = parsePayload(raw);
    this.checkOrigin(payload);
    res.status(200).end(); // ack within 3 s; record afterwards
    this.track(this.process(payload));
  }

  /** Socket Mode entry point: the envelope was acknowledged already; the origin is still checked. */
  async handleSocketPayload(payload: unknown): Promise<void> {
    const p = payload as BlockActionsPayload;
    this.checkOrigin(p);
    await this.process(p);
  }

  /** Resolves when every click received so far has been processed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private checkOrigin(p: BlockActionsPayload): void {
    if (p.team?.id !== this.opts.teamId || p.api_app_id !== this.opts.appId) {
      this.opts.logger.warn({ team: p.team?.id, app: p.api_app_id }, 'slack interaction from an unexpected team or app');
      throw new AppError('wrong_team', 'interaction from an unexpected Slack team or app', { httpStatus: 403 });
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async process(p: BlockActionsPayload): Promise<void> {
    if (p.type !== 'block_actions') return;
    const userId = p.user?.id ?? '';
    const channel = p.channel?.id ?? p.container?.channel_id;
    for (const action of p.actions ?? []) {
      const verdict = action.action_id === APPROVE_ACTION ? 'approve' : action.action_id === REJECT_ACTION ? 'reject' : undefined;
      if (!verdict) continue;
      const decisionId = action.value ?? '';
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(decisionId)) continue;
      const person = Object.hasOwn(this.opts.users, userId) ? this.opts.users[userId] : undefined;
      if (!person) {
        this.opts.logger.warn({ slackUser: userId, decision: decisionId }, 'slack click from an unmapped user ignored');
        await this.tell(channel, userId, 'You are not mapped to an aiopsd identity, so you cannot approve or reject. Ask an admin to add your Slack user id.');
        continue;
      }
      try {
        const result = await this.opts.approvals.decide({
          decisionId,
          verdict,
          principal: { subject: person.name, role: person.role, method: 'slack', kind: 'person' },
          channel: 'slack',
          reason: `${verdict === 'approve' ? 'approved' : 'rejected'} in Slack by ${person.name}`,
          dedupeKey: `slack:${decisionId}:${userId}:${action.action_ts ?? ''}`,
        });
        if (result.replayed) this.opts.logger.info({ decision: decisionId, slackUser: userId }, 'replayed slack click ignored');
      } catch (err) {
        const msg = isAppError(err) ? `${err.code}: ${err.message}` : 'internal error';
        if (!isAppError(err) || err.httpStatus >= 500) this.opts.logger.error({ err: errorMessage(err), decision: decisionId }, 'slack vote failed');
        await this.tell(channel, userId, `Not recorded — ${msg}`);
      }
    }
  }

  private async tell(channel: string | undefined, user: string, text: string): Promise<void> {
    if (!this.opts.api || !channel) return;
    await this.opts.api.postEphemeral(channel, user, text).catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'slack ephemeral reply failed'));
  }
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parsePayload(raw: Buffer): BlockActionsPayload {
  const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
  if (!payload) throw new AppError('bad_request', 'form field payload is missing', { httpStatus: 400 });
  try {
    const parsed = JSON.parse(payload) as unknown;
    if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
    return parsed as BlockActionsPayload;
  } catch {
    throw new AppError('bad_request', 'payload is not a JSON object', { httpStatus: 400 });
  }
}
