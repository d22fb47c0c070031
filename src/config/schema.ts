import { z } from 'zod';
import { apiConfig, approvalsConfig, slackConfig, webhooksConfig } from '../api/config-schema.js';

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

const robust = z
  .object({
    baselinePoints: z.number().int().min(4).default(120).describe('Points before the newest one that form the median/MAD baseline.'),
    minPoints: z.number().int().min(4).default(20).describe('Series shorter than this are "insufficient data".'),
    zHalf: z.number().positive().default(4).describe('Robust z-score at which the anomaly probability is 0.5.'),
  })
  .strict()
  .prefault({});

const noveltyHorizonMs = z
  .number()
  .int()
  .min(0)
  .refine((v) => v === 0 || v >= 3_600_000, 'must be 0 (never forget) or at least 3600000 (1 h): the novelty summaries keep when each level was last seen in hours');

const seasonWeight = z.number().min(0).max(10);

const ensemble = z
  .object({
    modelDir: z.string().min(1).optional().describe('Directory of the TF.js forecaster (model.json + weights.bin); default: the shipped models/default.'),
    backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto').describe('TF.js backend: auto = tfjs-node when installed, else WASM (SIMD), else cpu.'),
    windowPoints: z.number().int().min(16).max(100_000).default(240).describe('Points per window handed to the ensemble\'s batched half (forecaster input, robust baseline, the seasonal component); capped by series.windowPoints in the daemon, and equal to its default so bench nab scores what the daemon runs. The novelty and the time-of-day profile are streaming per-series state and need no window.'),
    noveltyPoints: z.number().int().min(2).max(64).default(4).describe('Ignored since ensemble-2 (the novelty is streaming); accepted so older configs still load.'),
    robustPoints: z.number().int().min(4).default(120).describe('Points forming the robust component\'s median/MAD baseline.'),
    seasonPoints: z.number().int().min(0).default(288).describe('Points per day assumed when points come without timestamps, and the season length of the optional `seasonal` component; 0 turns the model component\'s time-of-day profile off.'),
    seasonWeight: seasonWeight.default(0.5).describe('Weight of the seasonal-difference novelty (x minus the nearest of the same hour\'s mean on the last three days, from a per-series time-of-day profile; scaled by the series\' seasonality strength s, while the forecast-residual novelty is scaled by 1 − s) in the model component\'s raw score (0 = off, and then the residual counts in full).'),
    noveltyHorizonMs: noveltyHorizonMs
      .default(0)
      .describe('Forget levels, forecast misses and seasonal differences a series has not shown again within this long, so a failure that comes back after that is new again (0 = never forget: the second outage of the same depth scores as a repeat). Off by default because NAB rewards a long memory (models/MODEL_CARD.md, "Forgetting"); if used, keep it beyond the longest cycle of your series (a week: 8 days), or each weekend low is news again.'),
    historyPoints: z.number().int().min(2).max(100_000).default(15).describe('Calibration: rows of raw-score history a new raw score must exceed.'),
    tau: z.number().positive().default(1).describe('Calibration: raw-score units (series standard deviations) per e-fold of 1 − probability.'),
    workers: z.number().int().min(0).max(64).default(2).describe('Scoring worker threads (0 = score on the main thread).'),
    batchTimeoutMs: z.number().int().min(100).default(10_000).describe('A worker batch taking longer than this is abandoned, the worker replaced and the batch retried once.'),
  })
  .strict()
  .prefault({});

const fineTune = z
  .object({
    enabled: z.boolean().default(false).describe('Periodically fine-tune the ensemble\'s TF.js forecaster on recent series in a worker thread and adopt the new weights only when they forecast a held-out, newer part better (needs detect.ensemble.workers > 0). Off by default: the shipped weights are the ones the NAB scores were measured with.'),
    intervalMs: z.number().int().min(1000).default(3_600_000).describe('Time between fine-tuning rounds (rounds never overlap).'),
    maxSeries: z.number().int().min(1).max(100_000).default(200).describe('Series sampled per round (seeded, uniformly among those longer than the forecaster\'s input).'),
    maxWindows: z.number().int().min(16).max(1_000_000).default(20_000).describe('Training + holdout windows sampled per round from the sampled series.'),
    minWindows: z.number().int().min(1).default(2000).describe('A round with fewer distinct windows available than this fails as insufficient_data (the model is not touched).'),
    epochs: z.number().int().min(1).max(100).default(2).describe('Training epochs per round.'),
    learningRate: z.number().positive().max(1).default(1e-4).describe('Adam learning rate of fine-tuning (aiopsd train uses 1e-3; smaller keeps the copy close to the current weights).'),
    holdoutFraction: z.number().gt(0).lt(1).default(0.2).describe('Newest share of each sampled series used only to compare the current and the fine-tuned weights.'),
    minImprovementRatio: z.number().min(0).max(1).default(0.02).describe('Adopt only when the holdout error falls by at least this fraction of the current weights\' error (0.02 = 2 %).'),
    seed: z.number().int().min(0).default(42).describe('Seeds the series and window sampling of every round (round n uses seed + n): the same data gives the same weights.'),
    timeoutMs: z.number().int().min(1000).default(600_000).describe('A round whose training worker has not answered after this long is abandoned (outcome failed, reason timeout).'),
  })
  .strict()
  .prefault({});

const detectComponent = z.enum(['model', 'robust', 'seasonal']);

const detect = z
  .object({
    detector: z.enum(['robust', 'ensemble']).default('ensemble').describe('Detector used for every series: ensemble (streaming value novelty + TF.js forecast-residual novelty, statistical components, calibrated) or robust (median/MAD only).'),
    intervalMs: z.number().int().min(100).default(5000).describe('How often updated series are scored.'),
    threshold: z.number().min(0).max(1).default(0.95).describe('Calibrated score at or above which a point is an anomaly.'),
    robust,
    ensemble,
    fineTune,
    components: z.array(detectComponent).min(1).default(['model']).describe('Ensemble components used for series matching no family; the score is the maximum of their calibrated probabilities.'),
    families: z
      .array(
        z
          .object({
            match: z.string().min(1).refine((r) => { try { new RegExp(r); return true; } catch { return false; } }, 'must be a valid regular expression').describe('Regular expression on the metric name.'),
            components: z.array(detectComponent).min(1).describe('Ensemble components for matching series.'),
            noveltyHorizonMs: noveltyHorizonMs.optional().describe('detect.ensemble.noveltyHorizonMs for matching series (default: that setting), e.g. 691200000 (8 days) on request rates so an outage that comes back is caught again.'),
            seasonWeight: seasonWeight.optional().describe('detect.ensemble.seasonWeight for matching series (default: that setting); higher catches more values that are usual in size but wrong for the time of day (bench/restart.ts: 1 → 12, 2 → 18 of 30 such dips against 10 at 0.5, no false points).'),
          })
          .strict(),
      )
      .default([])
      .describe('Per metric family components (and optionally novelty horizon), first match wins, e.g. [{match: "_seconds", components: [model, seasonal]}, {match: "request_rate", components: [model], noveltyHorizonMs: 691200000}].'),
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
    detect,
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
