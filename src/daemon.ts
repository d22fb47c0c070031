import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './lib/clock.js';
import { errorMessage } from './lib/errors.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import type { Logger } from './telemetry/logger.js';
import { openDatabase, type Sql } from './store/db.js';
import { migrate, MIGRATIONS } from './store/migrate.js';
import { SqlAuditStore } from './audit/sql-audit-store.js';
import { Auditor } from './audit/auditor.js';
import type { AuditStore } from './audit/types.js';
import { SeriesStore } from './series/store.js';
import { createDetectorAsync, defaultModelDir, ensembleOptions } from './detect/registry.js';
import { DetectionStage, familyMatcher } from './detect/stage.js';
import { ScoringPool } from './detect/pool.js';
import type { Detector } from './detect/detector.js';
import { IncidentTracker } from './incidents/tracker.js';
import { PolicyEngine } from './policy/engine.js';
import { loadPolicyFile, type PolicyRule } from './policy/rules.js';
import { DECISIONS_MIGRATION, DecisionStore } from './policy/decision-store.js';
import { RemediationQueue, withTimeout } from './queue/remediation-queue.js';
import { RemediationWorker } from './queue/remediation-worker.js';
import { QueueGate } from './queue/queue-gate.js';
import { ActionExecutor } from './actions/executor.js';
import { actionKinds, createActions } from './actions/registry.js';
import { createKubeClientFromConfig } from './clients/kubernetes-config.js';
import { bullConnection, checkRedis, createRedisClient, startEmbeddedRedis, type EmbeddedRedis } from './clients/redis.js';
import { createRemoteWriteHandler } from './ingest/remote-write/index.js';
import { createApp } from './api/app.js';
import { Pipeline } from './pipeline.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Run the detection loop on a timer (default true). Tests turn it off and call runCycle(). */
  readonly autoCycle?: boolean;
  /** Policy rules given directly (tests, demo) instead of policy.file. */
  readonly rules?: readonly PolicyRule[];
}

export interface Daemon {
  readonly url: string;
  readonly port: number;
  readonly metrics: Metrics;
  readonly audit: AuditStore;
  readonly decisions: DecisionStore;
  readonly pipeline: Pipeline;
  readonly queue: RemediationQueue;
  readonly sql: Sql;
  runCycle(): Promise<void>;
  /** Wait until no remediation job is waiting, delayed or active. */
  drainQueue(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root: builds every part from the validated config, starts them in order and
 * stops them in reverse. Nothing else constructs its own dependencies.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const stack: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stopAll = async (): Promise<void> => {
    for (const item of stack.reverse()) {
      try {
        await item.stop();
      } catch (err) {
        logger.warn({ component: item.name, err: errorMessage(err) }, 'error while stopping');
      }
    }
  };
  try {
    const daemon = await build(options, clock, stack);
    return { ...daemon, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function build(options: DaemonOptions, clock: Clock, stack: Array<{ name: string; stop: () => Promise<void> }>): Promise<Omit<Daemon, 'stop'>> {
  const { config, logger } = options;
  const registry = new Registry();
  const metrics = createMetrics(registry);
  metrics.buildInfo.set({ version: VERSION, node: process.version }, 1);

  // Redis first: it is the cheapest to check and the most common thing missing on a new machine.
  const redisUrl = await resolveRedis(config, logger, stack);
  const redis = createRedisClient(redisUrl, config.redis.commandTimeoutMs);
  stack.push({ name: 'redis-client', stop: async () => void redis.disconnect() });
  await checkRedis(redis, config.redis.requireNoeviction);
  const sql = await openDatabase({ databaseUrl: config.database.url, dataDir: config.dataDir, schema: config.database.schema, connectTimeoutMs: config.database.connectTimeoutMs });
  stack.push({ name: 'database', stop: () => sql.close() });
  const migrated = await migrate(sql, [...MIGRATIONS, DECISIONS_MIGRATION]);
  logger.info({ engine: sql.engine, schema: config.database.schema, applied: migrated.applied }, 'database ready');
  const audit = new SqlAuditStore(sql, clock, config.audit.checkpointKey ? { checkpointKey: config.audit.checkpointKey } : {});
  const auditor = new Auditor(audit, metrics);
  const decisions = new DecisionStore(sql);

  const connection = bullConnection(redisUrl);
  const queue = new RemediationQueue(connection, { name: config.queue.name, attempts: config.queue.attempts, backoffMs: config.queue.backoffMs, enqueueTimeoutMs: config.redis.commandTimeoutMs });
  stack.push({ name: 'queue', stop: () => queue.close() });

  const kube = createKubeClientFromConfig(config.kubernetes);
  const actions = createActions({ kube, maxReplicaChange: config.actions.maxReplicaChange });
  const executor = new ActionExecutor(actions, auditor, clock);
  const worker = new RemediationWorker(connection, { queueName: config.queue.name, concurrency: config.queue.concurrency }, decisions, executor, metrics, clock);
  worker.start();
  stack.push({ name: 'worker', stop: () => worker.close() });

  const store = new SeriesStore(config.series, clock, metrics);
  const { detector, pool } = await buildDetection(config, logger, metrics, stack);
  const policyFile = config.policy.file ? loadPolicyFile(config.policy.file) : undefined;
  const policy = new PolicyEngine(
    {
      rules: options.rules ?? policyFile?.rules ?? [],
      dryRun: policyFile?.dryRun ?? config.policy.dryRun,
      cooldownMs: policyFile?.cooldownMs ?? config.policy.cooldownMs,
      actionKinds,
    },
    clock,
  );
  logger.info({ rules: policy.rules.length, dryRun: policyFile?.dryRun ?? config.policy.dryRun }, 'policy loaded');
  const pipeline = new Pipeline({
    store,
    detection: new DetectionStage(store, detector, { threshold: config.detect.threshold, componentsFor: familyMatcher(config.detect.families), ...(pool ? { pool } : {}) }, metrics),
    incidents: new IncidentTracker(config.incidents, clock, metrics),
    policy,
    decisions,
    gate: new QueueGate(queue, decisions, auditor, metrics, logger, clock),
    auditor,
    metrics,
    logger,
    clock,
  });

  const readiness = [
    { name: 'redis', check: async () => void (await redis.ping()) },
    { name: 'audit_store', check: () => audit.ping() },
  ];
  watchDependencies(readiness, metrics, config.redis.commandTimeoutMs, stack);
  const app = createApp({
    registry,
    logger,
    readiness,
    remoteWrite: createRemoteWriteHandler({ sink: store, metrics, maxBodyBytes: config.server.maxBodyBytes, maxDecodedBytes: config.server.maxDecodedBytes, logger }),
    anomalies: (limit) => pipeline.recentAnomalies.newest(limit),
    incidents: () => pipeline.incidents(),
    decisions,
    audit,
  });
  const server = createServer(app);
  await listen(server, config.server.port, config.server.host);
  stack.push({ name: 'http', stop: () => closeServer(server) });
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  if (options.autoCycle ?? true) startLoop(pipeline, config.detect.intervalMs, logger, stack);
  updateQueueGauge(queue, metrics, stack);
  logger.info({ url, dataDir: path.resolve(config.dataDir) }, 'aiopsd listening');

  return {
    url,
    port,
    metrics,
    audit,
    decisions,
    pipeline,
    queue,
    sql,
    runCycle: () => pipeline.runCycle(),
    drainQueue: (timeoutMs) => drainQueue(queue, timeoutMs),
  };
}

async function resolveRedis(config: Config, logger: Logger, stack: Array<{ name: string; stop: () => Promise<void> }>): Promise<string> {
  if (config.redis.url) return config.redis.url;
  const embedded: EmbeddedRedis = await startEmbeddedRedis({ binary: config.redis.redisServerPath, dir: path.join(config.dataDir, 'redis') });
  stack.push({ name: 'embedded-redis', stop: () => embedded.stop() });
  logger.info({ url: embedded.url }, 'started embedded redis-server (set REDIS_URL to use your own)');
  return embedded.url;
}

/** The detector from config, its TF.js backend, and (for the ensemble) the worker pool that keeps scoring off the event loop. */
async function buildDetection(config: Config, logger: Logger, metrics: Metrics, stack: Array<{ name: string; stop: () => Promise<void> }>): Promise<{ detector: Detector; pool: ScoringPool | undefined }> {
  const { detector, backend } = await createDetectorAsync(config.detect);
  if (backend) metrics.detectBackend.set({ backend }, 1);
  const e = config.detect.ensemble;
  const pool =
    detector.name === 'ensemble' && e.workers > 0
      ? new ScoringPool({
          modelDir: e.modelDir ?? defaultModelDir(),
          backend: e.backend,
          workers: e.workers,
          timeoutMs: e.batchTimeoutMs,
          options: ensembleOptions(config.detect),
        })
      : undefined;
  if (pool) {
    await pool.ready();
    stack.push({ name: 'scoring-pool', stop: () => pool.close() });
  }
  logger.info({ detector: detector.name, version: detector.version, backend, workers: pool ? e.workers : 0 }, 'detector ready');
  return { detector, pool };
}

function startLoop(pipeline: Pipeline, intervalMs: number, logger: Logger, stack: Array<{ name: string; stop: () => Promise<void> }>): void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    pipeline
      .runCycle()
      .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'detection cycle failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  stack.push({
    name: 'detection-loop',
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pipeline.runCycle();
    },
  });
}

function updateQueueGauge(queue: RemediationQueue, metrics: Metrics, stack: Array<{ name: string; stop: () => Promise<void> }>): void {
  const timer = setInterval(() => {
    queue
      .counts()
      .then((counts) => {
        for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ state }, n);
      })
      .catch(() => undefined);
  }, 5000);
  timer.unref();
  stack.push({ name: 'queue-gauge', stop: async () => clearInterval(timer) });
}

/** Keep aiopsd_dependency_up current even when nobody polls /readyz (alerts depend on it). */
function watchDependencies(checks: ReadonlyArray<{ name: string; check: () => Promise<void> }>, metrics: Metrics, timeoutMs: number, stack: Array<{ name: string; stop: () => Promise<void> }>): void {
  const run = (): void => {
    for (const c of checks) {
      withTimeout(c.check(), timeoutMs, () => new Error('timeout'))
        .then(() => metrics.dependencyUp.set({ dependency: c.name }, 1))
        .catch(() => metrics.dependencyUp.set({ dependency: c.name }, 0));
    }
  };
  run();
  const timer = setInterval(run, 10_000);
  timer.unref();
  stack.push({ name: 'dependency-watch', stop: async () => clearInterval(timer) });
}

async function drainQueue(queue: RemediationQueue, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.counts();
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`queue not drained within ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}
