/**
 * Config sections for the API, approvals, Slack and webhooks. The lead adds them to
 * src/config/schema.ts as `api: apiConfig, approvals: approvalsConfig, slack: slackConfig,
 * webhooks: webhooksConfig`. Every field has a default or is optional, and a description.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../notify/events.js';
import { validateTemplate } from '../notify/template.js';

const role = z.enum(['viewer', 'operator', 'approver', 'admin']);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters (sha256 of the token)');
const durationMs = z.number().int().min(0);

export const apiConfig = z
  .object({
    auth: z
      .object({
        tokens: z
          .array(
            z
              .object({
                name: z.string().min(1).describe('Identity recorded as the actor (a person\'s user name or a service account name).'),
                sha256: sha256.describe('sha256 hex of the token (the token itself is never in the config): printf %s "$TOKEN" | sha256sum.'),
                role: role.describe('viewer < operator < approver < admin.'),
                kind: z.enum(['person', 'service_account']).default('person').describe('Recorded as the actor type.'),
              })
              .strict(),
          )
          .default([])
          .describe('Static bearer tokens.'),
        oidc: z
          .object({
            issuer: z.string().url().describe('Expected iss claim.'),
            audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Expected aud claim (one or several).'),
            jwksUrl: z.string().url().describe('JWKS URL of the issuer (fetched and cached; refetched on an unknown kid).'),
            algorithms: z.array(z.string().regex(/^(RS|PS|ES)(256|384|512)$|^EdDSA$/, 'an asymmetric JWS algorithm')).min(1).default(['RS256']).describe('Allowed signature algorithms ("none" and HMAC are never allowed).'),
            subjectClaim: z.string().min(1).default('sub').describe('Claim recorded as the actor identity (e.g. sub, email, preferred_username).'),
            roleClaim: z.string().min(1).default('groups').describe('Claim holding roles or groups (string or array; dotted path allowed).'),
            roleMap: z.record(z.string(), role).default({}).describe('Claim value → role; the highest mapped value wins.'),
            clockToleranceSec: z.number().int().min(0).max(300).default(30).describe('Clock skew allowed on exp/nbf/iat.'),
          })
          .strict()
          .optional()
          .describe('OIDC JWT authentication.'),
        anonymous: z.enum(['none', 'viewer']).optional().describe('Role of callers without credentials. Default: viewer when no tokens and no OIDC are configured, none otherwise.'),
      })
      .strict()
      .prefault({})
      .describe('API authentication.'),
    remoteWriteTokenSha256: sha256.optional().describe('When set, POST /api/v1/write needs this bearer token (sha256 hex). Unset: unauthenticated.'),
    rateLimit: z
      .object({
        windowMs: z.number().int().min(1000).default(60_000).describe('Rate-limit window.'),
        limit: z.number().int().min(0).default(600).describe('Requests per window per credential (or per IP without one) on /api/v1 (not remote_write). 0 = off.'),
      })
      .strict()
      .prefault({})
      .describe('Rate limit of the REST API.'),
    corsOrigins: z.array(z.string().url()).default([]).describe('Exact origins allowed by CORS. Empty: CORS off.'),
    publicUrl: z.string().url().optional().describe('External URL of the web page, used in Slack/webhook links to plots.'),
    ui: z.boolean().default(true).describe('Serve the web page at /.'),
  })
  .strict()
  .prefault({});

export const approvalsConfig = z
  .object({
    ttlMs: durationMs.default(30 * 60_000).describe('How long a decision waits for approval.'),
    onExpiry: z.enum(['expire', 'hold']).default('expire').describe('At expiry: expire (refuse) or hold the decision.'),
    sweepIntervalMs: z.number().int().min(100).default(15_000).describe('How often expired approvals are swept.'),
    roles: z
      .object({
        low: role.default('approver').describe('Minimum role to approve/reject a low-risk decision.'),
        high: role.default('approver').describe('Minimum role to approve/reject a high-risk decision.'),
      })
      .strict()
      .prefault({})
      .describe('Role needed per risk.'),
    required: z
      .object({
        low: z.number().int().min(1).max(5).default(1).describe('Distinct approvers for low risk.'),
        high: z.number().int().min(2).max(5).default(2).describe('Distinct approvers for high risk (at least 2).'),
      })
      .strict()
      .prefault({})
      .describe('Distinct approvers needed per risk.'),
  })
  .strict()
  .prefault({});

export const slackConfig = z
  .object({
    enabled: z.boolean().default(false).describe('Post incidents/approvals to Slack and accept button clicks.'),
    apiBaseUrl: z.string().url().default('https://slack.com/api').describe('Slack Web API base URL (tests point it at a local fake).'),
    botToken: z.string().optional().describe('Bot token xoxb-… (env AIOPSD_SLACK_BOT_TOKEN).'),
    signingSecret: z.string().optional().describe('Signing secret for request verification (env AIOPSD_SLACK_SIGNING_SECRET). Required for HTTP interactions.'),
    appToken: z.string().optional().describe('App-level token xapp-… for Socket Mode (env AIOPSD_SLACK_APP_TOKEN).'),
    mode: z.enum(['http', 'socket']).default('http').describe('http: interactions at POST /hooks/slack/interactions; socket: Socket Mode (no public URL).'),
    teamId: z.string().default('').describe('Expected team.id of interactions.'),
    appId: z.string().default('').describe('Expected api_app_id of interactions.'),
    channel: z.string().default('').describe('Channel id messages are posted to.'),
    postIncidents: z.boolean().default(true).describe('Also post a message per incident.'),
    users: z
      .record(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id'), z.object({ name: z.string().min(1).describe('Person identity (same as their token name / OIDC subject).'), role: role.describe('Role in aiopsd.') }).strict())
      .default({})
      .describe('Slack user id → person. Unknown users cannot approve.'),
  })
  .strict()
  .prefault({});

export const webhooksConfig = z
  .array(
    z
      .object({
        name: z.string().min(1).describe('Name used in logs.'),
        url: z.string().url().describe('Where events are POSTed.'),
        secret: z.string().optional().describe('HMAC-SHA256 key for X-Aiopsd-Signature over "timestamp.body".'),
        events: z.array(z.enum(EVENT_TYPES)).optional().describe('Event types sent (default all).'),
        groupBy: z.array(z.enum(['type', 'service', 'incidentId', 'decisionId', 'target'])).default(['service']).describe('Event fields forming the group key.'),
        groupWaitMs: durationMs.default(30_000).describe('Wait before the first message of a new group.'),
        groupIntervalMs: durationMs.default(300_000).describe('Wait before sending new events of a group already notified.'),
        repeatIntervalMs: durationMs.default(4 * 3600_000).describe('Re-send an open group with nothing new after this long (0 = never).'),
        template: z.string().max(4000).refine((t) => validateTemplate(t) === undefined, 'only {{field.path}} substitutions are allowed').optional().describe('Text template ({{field.path}} only) rendered into message.text.'),
        maxAttempts: z.number().int().min(1).max(20).default(5).describe('Attempts per message (network errors, 5xx and 429 are retried).'),
        backoffMs: z.number().int().min(10).default(1000).describe('Base of the exponential backoff.'),
        maxBackoffMs: z.number().int().min(10).default(60_000).describe('Cap of the backoff.'),
        timeoutMs: z.number().int().min(100).default(10_000).describe('Per-request timeout.'),
      })
      .strict(),
  )
  .default([])
  .describe('Outgoing webhooks.');

export type ApiConfig = z.infer<typeof apiConfig>;
export type ApprovalsConfig = z.infer<typeof approvalsConfig>;
export type SlackConfig = z.infer<typeof slackConfig>;
export type WebhooksConfig = z.infer<typeof webhooksConfig>;
