import { z } from 'zod';

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
    staleAfterMs: durationMs.default(5 * 60_000).describe('A series with no sample for this long is stale: insufficient evidence, and dropped from memory.'),
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

const ensemble = z
  .object({
    modelDir: z.string().min(1).optional().describe('Directory of the TF.js forecaster (model.json + weights.bin); default: the shipped models/default.'),
    backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto').describe('TF.js backend: auto = tfjs-node when installed, else WASM (SIMD), else cpu.'),
    windowPoints: z.number().int().min(16).max(100_000).default(1000).describe('Points per window handed to the ensemble\'s batched half (forecaster input, robust baseline, seasons); capped by series.windowPoints in the daemon. The novelty itself is streaming per-series state and needs no window.'),
    noveltyPoints: z.number().int().min(2).max(64).default(4).describe('Ignored since ensemble-2 (the novelty is streaming); accepted so older configs still load.'),
    robustPoints: z.number().int().min(4).default(120).describe('Points forming the robust component\'s median/MAD baseline.'),
    seasonPoints: z.number().int().min(0).default(288).describe('Season length in points for the seasonal component (0 = off).'),
    historyPoints: z.number().int().min(2).max(100_000).default(30).describe('Calibration: rows of raw-score history a new raw score must exceed.'),
    tau: z.number().positive().default(1).describe('Calibration: raw-score units (series standard deviations) per e-fold of 1 − probability.'),
    workers: z.number().int().min(0).max(64).default(2).describe('Scoring worker threads (0 = score on the main thread).'),
    batchTimeoutMs: z.number().int().min(100).default(10_000).describe('A worker batch taking longer than this is abandoned, the worker replaced and the batch retried once.'),
  })
  .strict()
  .prefault({});

const detectComponent = z.enum(['model', 'robust', 'seasonal']);

const detect = z
  .object({
    detector: z.enum(['robust', 'ensemble']).default('ensemble').describe('Detector used for every series: ensemble (streaming value novelty + TF.js forecast-residual novelty, statistical components, calibrated) or robust (median/MAD only).'),
    intervalMs: z.number().int().min(100).default(5000).describe('How often updated series are scored.'),
    threshold: z.number().min(0).max(1).default(0.9).describe('Calibrated score at or above which a point is an anomaly.'),
    robust,
    ensemble,
    components: z.array(detectComponent).min(1).default(['model']).describe('Ensemble components used for series matching no family; the score is the maximum of their calibrated probabilities.'),
    families: z
      .array(
        z
          .object({
            match: z.string().min(1).refine((r) => { try { new RegExp(r); return true; } catch { return false; } }, 'must be a valid regular expression').describe('Regular expression on the metric name.'),
            components: z.array(detectComponent).min(1).describe('Ensemble components for matching series.'),
          })
          .strict(),
      )
      .default([])
      .describe('Per metric family components, first match wins, e.g. [{match: "_seconds", components: [model, seasonal]}].'),
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
    maxReplicaChange: z.number().int().min(0).default(10).describe('Blast-radius cap: the largest change of an HPA\'s minReplicas or maxReplicas in one action.'),
  })
  .strict()
  .prefault({});

const audit = z
  .object({
    checkpointKey: z.string().optional().describe('Secret (env AIOPSD_AUDIT_CHECKPOINT_KEY) that signs the audit head checkpoint, so a cut tail is detected.'),
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
    redis,
    database,
    series,
    detect,
    incidents,
    policy,
    queue,
    kubernetes,
    actions,
    audit,
    log,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
