/**
 * Builds the people-in-the-loop parts from config, for the composition root (src/daemon.ts):
 * the Authenticator, the ApprovalGate (wrapping the QueueGate), Slack (HTTP or Socket Mode),
 * webhooks, and the audit tap that feeds notifications. Returns what createApp needs and a stop().
 */
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Sql } from '../store/db.js';
import type { Auditor } from '../audit/auditor.js';
import type { AuditRecord } from '../audit/types.js';
import type { Decision } from '../domain/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { DecisionGate } from '../pipeline.js';
import { Authenticator } from '../auth/authenticator.js';
import { ApprovalGate } from '../approvals/gate.js';
import { SlackApi } from '../notify/slack-api.js';
import { SlackInteractions } from '../notify/slack-interactions.js';
import { SlackMessenger } from '../notify/slack-messenger.js';
import { SlackSocketMode } from '../notify/slack-socket.js';
import { WebhookChannel, WebhookDispatcher } from '../notify/webhook.js';
import { NotificationHub } from '../notify/hub.js';
import type { ApiConfig, ApprovalsConfig, SlackConfig, WebhooksConfig } from './config-schema.js';

export interface PeopleConfig {
  readonly api: ApiConfig;
  readonly approvals: ApprovalsConfig;
  readonly slack: SlackConfig;
  readonly webhooks: WebhooksConfig;
}

export interface PeopleDeps {
  readonly config: PeopleConfig;
  readonly sql: Sql;
  readonly decisions: DecisionStore;
  readonly auditor: Auditor;
  /** The QueueGate: where approved decisions (and those needing no approval) go. */
  readonly queueGate: DecisionGate;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly targetVersion?: (decision: Decision) => Promise<string | undefined>;
  readonly killSwitch?: { get(): Promise<{ on: boolean }> };
}

export interface People {
  readonly auth: Authenticator;
  readonly gate: ApprovalGate;
  readonly slack: SlackInteractions | undefined;
  /** Pass every appended audit record here (tapAuditStore(audit, people.onAudit)). */
  readonly onAudit: (record: AuditRecord) => void;
  /** Starts the sweeper, webhooks timer and Socket Mode; re-queues approved-but-not-queued decisions. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildPeople(deps: PeopleDeps): People {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const auth = new Authenticator({
    tokens: config.api.auth.tokens,
    ...(config.api.auth.oidc ? { oidc: config.api.auth.oidc } : {}),
    ...(config.api.auth.anonymous ? { anonymous: config.api.auth.anonymous } : {}),
  });
  const gate = new ApprovalGate({
    sql: deps.sql,
    decisions: deps.decisions,
    auditor: deps.auditor,
    next: deps.queueGate,
    clock,
    logger,
    config: { ttlMs: config.approvals.ttlMs, onExpiry: config.approvals.onExpiry, roles: config.approvals.roles, required: config.approvals.required },
    ...(deps.targetVersion ? { targetVersion: deps.targetVersion } : {}),
    ...(deps.killSwitch ? { killSwitch: deps.killSwitch } : {}),
  });

  let slack: SlackInteractions | undefined;
  let messenger: SlackMessenger | undefined;
  let socket: SlackSocketMode | undefined;
  const s = config.slack;
  if (s.enabled) {
    if (!s.botToken || !s.channel || !s.teamId || !s.appId) throw new AppError('config_invalid', 'slack.enabled needs slack.botToken, slack.channel, slack.teamId and slack.appId');
    if (s.mode === 'http' && !s.signingSecret) throw new AppError('config_invalid', 'slack.mode=http needs slack.signingSecret');
    if (s.mode === 'socket' && !s.appToken) throw new AppError('config_invalid', 'slack.mode=socket needs slack.appToken');
    const api = new SlackApi({ baseUrl: s.apiBaseUrl, botToken: s.botToken, ...(s.appToken ? { appToken: s.appToken } : {}) });
    slack = new SlackInteractions({ signingSecret: s.signingSecret ?? '', teamId: s.teamId, appId: s.appId, users: s.users, approvals: gate, clock, logger, api });
    messenger = new SlackMessenger({ api, sql: deps.sql, channel: s.channel, ...(config.api.publicUrl ? { pageUrl: config.api.publicUrl } : {}), clock, logger, decisions: deps.decisions, approvals: gate, incidents: s.postIncidents });
    messenger.attach();
    if (s.mode === 'socket') {
      const interactions = slack;
      socket = new SlackSocketMode({ api, logger, onInteractive: (p) => interactions.handleSocketPayload(p) });
    }
  }
  const webhooks = config.webhooks.length ? new WebhookDispatcher(config.webhooks.map((w) => new WebhookChannel(w, clock, logger))) : undefined;
  const hub = new NotificationHub({ ...(webhooks ? { webhooks } : {}), ...(messenger ? { slack: messenger } : {}), logger });
  let stopSweeper: (() => Promise<void>) | undefined;

  return {
    auth,
    gate,
    slack: s.mode === 'http' ? slack : undefined,
    onAudit: (r) => hub.onAudit(r),
    async start() {
      const recovered = await gate.recover();
      if (recovered) logger.info({ recovered }, 'queued approved decisions left over from before a restart');
      stopSweeper = gate.startSweeper(config.approvals.sweepIntervalMs);
      webhooks?.start();
      socket?.start();
    },
    async stop() {
      await socket?.stop();
      await stopSweeper?.();
      await slack?.idle();
      await messenger?.idle();
      await webhooks?.stop();
    },
  };
}
