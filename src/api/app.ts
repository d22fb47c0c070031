import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { AuditStore } from '../audit/types.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import type { Anomaly, Incident } from '../domain/types.js';
import { Authenticator } from '../auth/authenticator.js';
import type { ApprovalGate } from '../approvals/gate.js';
import type { SlackInteractions } from '../notify/slack-interactions.js';
import { errorHandler, notFound } from './errors.js';
import { apiRateLimiter, cors, remoteWriteGuard, requireRole, type RateLimitConfig } from './auth-middleware.js';
import type { RouteDef } from './route-table.js';
import { coreRoutes } from './routes/core.js';
import { readRoutes } from './routes/read.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { killSwitchRoutes, type KillSwitchPort } from './routes/killswitch.js';
import { slackRoutes } from './routes/slack.js';
import { ingestRoutes, type IngestRouteDeps } from './routes/ingest.js';
import { uiRouter } from '../ui/serve.js';

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface SeriesPoints {
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export interface AppDeps extends IngestRouteDeps {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly remoteWrite: RequestHandler;
  readonly anomalies: (limit: number) => Anomaly[];
  readonly incidents: () => Incident[];
  readonly decisions: DecisionStore;
  readonly audit: AuditStore;
  readonly readinessTimeoutMs?: number;
  /** SQL handle for audit search filters (time, target, actor) and export. Without it: kind/decision/incident only. */
  readonly sql?: Sql;
  /** Default: no credentials configured → anonymous viewer (read-only). */
  readonly auth?: Authenticator;
  /** sha256 hex of the bearer token remote_write must carry; unset = unauthenticated. */
  readonly remoteWriteTokenSha256?: string;
  readonly rateLimit?: RateLimitConfig;
  /** Exact origins allowed by CORS; empty/unset = CORS off. */
  readonly corsOrigins?: readonly string[];
  readonly approvals?: ApprovalGate;
  readonly killSwitch?: KillSwitchPort;
  /** The points of one series (SeriesStore.window), for incident plots. */
  readonly seriesWindow?: (seriesKey: string) => SeriesPoints | undefined;
  readonly slack?: SlackInteractions;
  /** Serve the web page at / (default true). */
  readonly ui?: boolean;
  readonly clock?: Clock;
}

/** Every API route of the app, in one table: the router and the OpenAPI document are built from it. */
export function routeTable(deps: AppDeps): RouteDef[] {
  return [...coreRoutes(deps), ...readRoutes(deps), ...approvalRoutes(deps), ...auditRoutes(deps), ...killSwitchRoutes(deps), ...slackRoutes(deps), ...ingestRoutes(deps)];
}

/** The HTTP surface, built from its dependencies; the caller decides where it listens. */
export function createApp(deps: AppDeps): Express {
  const auth = deps.auth ?? new Authenticator({ tokens: [] });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('trust proxy', false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'font-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'none'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  if (deps.corsOrigins && deps.corsOrigins.length > 0) app.use(cors(deps.corsOrigins));

  // PostgreSQL text cannot hold NUL: a %00 in a path parameter or query value would be a 500 from the SQL layer (found by test/fuzz/http-routes.test.ts)
  app.use((req, res, next) => (req.originalUrl.includes('%00') ? void res.status(400).json({ code: 'bad_request', message: 'NUL byte (%00) in the URL' }) : next()));
  const limiter = apiRateLimiter(deps.rateLimit ?? { windowMs: 60_000, limit: 600 });
  const routes = routeTable(deps);
  for (const r of routes) {
    const chain: RequestHandler[] = [];
    if (r.rateLimited) chain.push(limiter);
    if (r.access === 'remote_write') chain.push(remoteWriteGuard(deps.remoteWriteTokenSha256));
    else if (r.access !== 'public' && r.access !== 'slack') chain.push(requireRole(auth, r.access));
    if (r.json) chain.push(express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }));
    chain.push(...r.handlers);
    app[r.method](r.path, ...chain);
  }
  if (deps.ui ?? true) app.use(uiRouter());
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
