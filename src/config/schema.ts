import { z } from 'zod';
import { apiConfig, approvalsConfig, slackConfig, webhooksConfig } from '../api/config-schema.js';
import { detectConfig } from '../detect/config-schema.js';

/**
 * The one configuration schema. Every field has a default and a description; docs/CONFIG.md is
 * generated from this file (`npm run docs:config`). Objects are strict: an unknown key is a
 * startup error that names it, never silently ignored.
 */

const port = z.number().int().min(0).max(65535);
const durationMs = z.number().int().min(0);

const server = z
  .object({
    host: z.string().min(1).default('0.0.0.0').describe('Address the HTTP server binds to.'),
    port: port.default(8080).describe('HTTP port for the API, receivers, /metrics and the web page (env AIOPSD_PORT).'),
    maxBodyBytes: z.number().int().min(1024).default(16 * 1024 * 1024).describe('Largest compressed request body accepted by receivers (413 above).'),
    maxDecodedBytes: z.number().int().min(1024).default(64 * 1024 * 1024).describe('Largest decompressed body accepted by receivers (413 above).'),
  })
  .strict()
  .prefault({});

const redis = z
  .object({
    url: z.string().optional().describe('Redis URL (env REDIS_URL). When unset, serve and demo start a private redis-server on a free loopback port.'),
    redisServerPath: z.string().default('redis-server').describe('redis-server binary used for the embedded Redis (looked up on PATH).'),
    commandTimeoutMs: durationMs.default(2000).describe('Bound on every Redis command, so enqueue fails fast when Redis is down.'),
    requireNoeviction: z.boolean().default(true).describe('Refuse to start when Redis maxmemory-policy is not noeviction (evicted jobs are lost jobs).'),
  })
  .strict()
  .prefault({});

const database = z
  .object({
    url: z.string().optional().describe('PostgreSQL URL (env DATABASE_URL). When unset, PGlite stores the data under dataDir/pglite.'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case SQL identifier').default('aiopsd').describe('PostgreSQL schema holding aiopsd tables.'),
    connectTimeoutMs: durationMs.default(5000).describe('Bound on connecting to PostgreSQL.'),
  })
  .strict()
  .prefault({});

const series = z
  .object({
    windowPoints: z.number().int().min(8).max(100_000).default(240).describe('Points kept per series (a ring buffer); the detector scores over this window.'),
    maxSeries: z.number().int().min(1).default(200_000).describe('Cap on active series; new series beyond it are refused and counted in aiopsd_series_refused_total.'),
    staleAfterMs: durationMs.default(5 * 60_000).describe('A series with no sample for this long is dropped from memory.'),
    staleGapMs: durationMs.default(120_000).describe('A series with no sample for this long is stale: insufficient evidence, neither healthy nor anomalous.'),
    minPoints: z.number().int().min(1).default(20).describe('Series with fewer points are "insufficient data".'),
  })
  .strict()
  .prefault({});

const promQuery = z
  .object({
    name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name').describe('Query name; becomes __name__ when a result has none.'),
    query: z.string().min(1).describe('PromQL expression polled with /api/v1/query_range.'),
    stepMs: z.number().int().min(1000).default(15_000).describe('Resolution step; not finer than the scrape interval.'),
    intervalMs: z.number().int().min(1000).default(15_000).describe('How often the query is polled.'),
  })
  .strict();

const ingest = z
  .object({
    otlp: z
      .object({
        enabled: z.boolean().default(true).describe('Serve POST /v1/traces (OTLP/HTTP traces, protobuf and JSON).'),
        port: port.optional().describe('Also serve /v1/traces on this port (the OTLP/HTTP default is 4318); unset = main port only.'),
        maxInFlight: z.number().int().min(1).default(64).describe('Concurrent OTLP requests before answering 503 with Retry-After.'),
      })
      .strict()
      .prefault({}),
    red: z
      .object({
        stepMs: z.number().int().min(1000).default(10_000).describe('Step of the trace-derived RED series (rate, error ratio, latency quantiles).'),
        graceMs: durationMs.default(10_000).describe('How long after a step ends late spans still count in it.'),
        maxKeys: z.number().int().min(1).default(10_000).describe('Cap on tracked (service, operation, version) keys.'),
        dedupeCapacity: z.number().int().min(1).default(200_000).describe('Remembered (trace id, span id) pairs so a span is counted once.'),
      })
      .strict()
      .prefault({}),
    prometheus: z
      .object({
        url: z.string().url().optional().describe('Prometheus base URL to poll with query_range; unset = off.'),
        queries: z.array(promQuery).default([]).describe('PromQL queries polled with query_range.'),
        lookbackMs: durationMs.default(600_000).describe('How far the first poll looks back.'),
        timeoutMs: durationMs.default(10_000).describe('Timeout of one query_range request.'),
      })
      .strict()
      .prefault({}),
    jaeger: z
      .object({
        url: z.string().url().optional().describe('Jaeger query base URL to poll; unset = off.'),
        services: z.array(z.string()).default([]).describe('Services to poll; empty = every service Jaeger lists.'),
        pollIntervalMs: durationMs.default(10_000).describe('Poll interval.'),
        lookbackMs: durationMs.default(60_000).describe('First window length.'),
        overlapMs: durationMs.default(10_000).describe('Overlap of consecutive windows (late-indexed spans); repeats are de-duplicated.'),
      })
      .strict()
      .prefault({}),
    alertmanager: z
      .object({
        token: z.string().optional().describe('Bearer token Alertmanager must send (env AIOPSD_INGEST_ALERTMANAGER_TOKEN); unset = receiver disabled.'),
        dedupTtlMs: durationMs.default(3_600_000).describe('How long an HA duplicate key (groupKey+fingerprint+status+startsAt) is remembered.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

const incidents = z
  .object({
    resolveAfterMs: durationMs.default(2 * 60_000).describe('An incident with no new anomaly for this long is resolved.'),
    maxAnomaliesPerIncident: z.number().int().min(1).default(50).describe('Evidence kept per incident (newest).'),
  })
  .strict()
  .prefault({});

const policy = z
  .object({
    file: z.string().optional().describe('Policy YAML file (rules, cooldown, dryRun). See docs/POLICY.md.'),
    dryRun: z.boolean().default(true).describe('Global dry run: every action is planned and audited but nothing is written. Turn off deliberately.'),
    cooldownMs: durationMs.default(10 * 60_000).describe('Default minimum time between two decisions for the same (target, action).'),
  })
  .strict()
  .prefault({});

const queue = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -').default('aiopsd-remediation').describe('BullMQ queue name.'),
    attempts: z.number().int().min(1).max(20).default(3).describe('Attempts per job (retryable failures only).'),
    backoffMs: durationMs.default(2000).describe('Base of the exponential backoff between attempts.'),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Jobs run at once by this replica.'),
    ledgerLeaseMs: durationMs.default(30_000).describe("A worker's claim on a decision expires after this long without a heartbeat."),
    lockDurationMs: durationMs.default(30_000).describe('BullMQ job lock; a job whose worker stops renewing it is re-delivered (and then held or taken over via the ledger).'),
    blockedRecheckMs: durationMs
      .min(50)
      .default(30_000)
      .describe('A job held back by the kill switch (also when its state cannot be read, e.g. the database is down: fail closed) or by an open circuit breaker goes back to the delayed set and is looked at again after this long; attempts are not used up. With the breaker, never later than its reopen time.'),
  })
  .strict()
  .prefault({});

const kubernetes = z
  .object({
    mode: z.enum(['none', 'in-cluster', 'kubeconfig', 'url']).default('none').describe('How to reach the Kubernetes API. none: actions can only plan from the request (dry run).'),
    kubeconfigPath: z.string().optional().describe('kubeconfig file for mode=kubeconfig.'),
    url: z.string().optional().describe('API server URL for mode=url (the demo sandbox).'),
  })
  .strict()
  .prefault({});

const actions = z
  .object({
    maxReplicaChange: z.number().int().min(0).default(10).describe("Blast-radius cap: the largest change of an HPA's (or Deployment's) replicas in one action."),
    maxEjectShare: z.number().gt(0).max(1).default(0.34).describe("Blast-radius cap: most of a Service's endpoints quarantined at once (share)."),
    maxWeightStepPercent: z.number().gt(0).max(100).default(25).describe('Blast-radius cap: GSLB weight moved per step, percent of the total.'),
    allowDirectScale: z.boolean().default(false).describe('Scale a Deployment directly (deployments/scale) when no HPA targets it; needs the extra RBAC noted in deploy/README.md.'),
    bakeTimeMs: z.record(z.string(), durationMs).default({}).describe('Bake time per action type before verification, overriding the action default, e.g. {scale-hpa: 120000}.'),
    route53: z
      .object({
        endpoint: z.string().url().optional().describe('Route 53 API endpoint (tests and demos point it at a local fake).'),
        region: z.string().default('us-east-1').describe('AWS region for the Route 53 client.'),
      })
      .strict()
      .optional()
      .describe('Route 53 provider for shift-gslb-weights; unset = unavailable. Credentials come from the standard AWS environment.'),
  })
  .strict()
  .prefault({});

const guardrails = z
  .object({
    killSwitch: z.boolean().default(false).describe('Force the kill switch on (no writes, queue paused, approvals refused); it cannot be turned off at runtime while this is true.'),
    killSwitchPollMs: durationMs.default(2000).describe("How often each replica re-reads the kill switch to pause/resume the queue and refresh the executor's cached check."),
    maxConcurrentActions: z.number().int().min(1).default(5).describe('Most live (non-dry-run) actions approved, queued or executing at once, across all replicas.'),
    rateLimit: z
      .object({
        capacity: z.number().int().min(1).default(10).describe('Token bucket size: the largest burst of live decisions.'),
        refillPerMinute: z.number().min(0).default(2).describe('Tokens added per minute (global, shared by all replicas).'),
      })
      .strict()
      .prefault({})
      .describe('Global token-bucket rate limit on live decisions.'),
    circuitBreaker: z
      .object({
        maxFailedVerifications: z.number().int().min(1).default(3).describe('Open after this many failed verifications within windowMs.'),
        maxAnomalousTargets: z.number().int().min(1).default(20).describe('Open when more than this many distinct targets are anomalous within windowMs (a fleet-wide event).'),
        windowMs: durationMs.default(15 * 60_000).describe('Window for both trip conditions.'),
        coolOffMs: durationMs.default(30 * 60_000).describe('How long the breaker stays open; while open every decision needs a person.'),
      })
      .strict()
      .prefault({})
      .describe('Circuit breaker.'),
  })
  .strict()
  .prefault({});

const leader = z
  .object({
    enabled: z.boolean().default(false).describe('Elect a leader over a coordination.k8s.io/v1 Lease (needs Kubernetes); off = this replica always decides.'),
    namespace: z.string().default('aiopsd').describe("Namespace of the Lease (aiopsd's own)."),
    leaseName: z.string().default('aiopsd-leader').describe('Name of the Lease.'),
    identity: z.string().min(1).optional().describe("This replica's identity (default: hostname + random suffix)."),
    leaseDurationMs: durationMs.default(15_000).describe('How long a lease is valid without renewal.'),
    renewDeadlineMs: durationMs.default(10_000).describe('A leader that could not renew for this long stops deciding (must be < leaseDurationMs).'),
    retryPeriodMs: durationMs.default(2_000).describe('How often to try to acquire or renew (must be < renewDeadlineMs).'),
  })
  .strict()
  .refine((l) => l.renewDeadlineMs < l.leaseDurationMs && l.retryPeriodMs < l.renewDeadlineMs, { message: 'need retryPeriodMs < renewDeadlineMs < leaseDurationMs' })
  .prefault({});

const audit = z
  .object({
    checkpointKey: z.string().optional().describe('Secret (env AIOPSD_AUDIT_CHECKPOINT_KEY) that signs the audit head checkpoint, so a cut tail is detected.'),
    verifyIntervalMs: durationMs.default(10 * 60_000).describe('How often the daemon verifies the whole audit chain itself (aiopsd_audit_chain_valid); 0 = never. Each run reads the whole log.'),
  })
  .strict()
  .prefault({});

const log = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level.'),
    pretty: z.enum(['auto', 'true', 'false']).default('auto').describe('Human-readable logs; auto = when stdout is a TTY.'),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data').describe('Directory for embedded state (PGlite, Redis working dir). Env AIOPSD_DATA_DIR.'),
    shutdownDeadlineMs: durationMs.default(15_000).describe('SIGTERM: time allowed to drain in-flight work before exiting.'),
    server,
    ingest,
    redis,
    database,
    series,
    detect: detectConfig,
    incidents,
    policy,
    queue,
    kubernetes,
    actions,
    guardrails,
    leader,
    audit,
    api: apiConfig,
    approvals: approvalsConfig,
    slack: slackConfig,
    webhooks: webhooksConfig,
    log,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
