import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './lib/clock.js';
import { errorMessage } from './lib/errors.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import type { Logger } from './telemetry/logger.js';
import { openDatabase, type Sql } from './store/db.js';
import { migrate } from './store/migrate.js';
import { SqlAuditStore } from './audit/sql-audit-store.js';
import { Auditor } from './audit/auditor.js';
import type { AuditRecord, AuditStore } from './audit/types.js';
import { SeriesStore } from './series/store.js';
import { SeriesSignalProbe } from './series/signal-probe.js';
import { DetectionStage, familyMatcher } from './detect/stage.js';
import { IncidentTracker } from './incidents/tracker.js';
import { PolicyEngine } from './policy/engine.js';
import { loadPolicyFile, type PolicyRule } from './policy/rules.js';
import { DecisionStore } from './policy/decision-store.js';
import type { RemediationQueue } from './queue/remediation-queue.js';
import { withTimeout } from './queue/remediation-queue.js';
import { QueueGate } from './queue/queue-gate.js';
import { actionKinds } from './actions/registry.js';
import { createKubeClientFromConfig } from './clients/kubernetes-config.js';
import { checkRedis, createRedisClient, startEmbeddedRedis } from './clients/redis.js';
import { buildPeople } from './api/people.js';
import { tapAuditStore } from './notify/hub.js';
import { createApp, type ReadinessCheck } from './api/app.js';
import { Pipeline } from './pipeline.js';
import { VERSION } from './version.js';
import type { KillSwitch } from './guardrails/kill-switch.js';
import type { Stack } from './wiring/stack.js';
import { allMigrations } from './wiring/migrations.js';
import { buildDetection } from './wiring/detection.js';
import { buildIngest } from './wiring/ingest.js';
import { buildRemediation } from './wiring/remediation.js';
import { closeServer, listen } from './lib/http-server.js';

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
  readonly killSwitch: KillSwitch;
  readonly sql: Sql;
  runCycle(): Promise<void>;
  /** Wait until no remediation job is waiting, delayed or active. */
  drainQueue(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root: builds every part from the validated config, starts them in order and
 * stops them in reverse. Nothing else constructs its own dependencies; src/wiring/ holds its parts.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  const stack: Stack = [];
  const stopAll = async (): Promise<void> => {
    for (const item of stack.splice(0).reverse()) {
      try {
        await item.stop();
      } catch (err) {
        logger.warn({ component: item.name, err: errorMessage(err) }, 'error while stopping');
      }
    }
  };
  try {
    const daemon = await build(options, options.clock ?? systemClock, stack);
    return { ...daemon, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function build(options: DaemonOptions, clock: Clock, stack: Stack): Promise<Omit<Daemon, 'stop'>> {
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
  const migrated = await migrate(sql, allMigrations());
  logger.info({ engine: sql.engine, schema: config.database.schema, applied: migrated.applied }, 'database ready');
  let onAudit: (r: AuditRecord) => void = () => undefined;
  const audit = tapAuditStore(new SqlAuditStore(sql, clock, config.audit.checkpointKey ? { checkpointKey: config.audit.checkpointKey } : {}), (r) => onAudit(r));
  const auditor = new Auditor(audit, metrics);
  const decisions = new DecisionStore(sql);

  const store = new SeriesStore(config.series, clock, metrics, 'remote_write', logger);
  const kube = createKubeClientFromConfig(config.kubernetes);
  const policyFile = config.policy.file ? loadPolicyFile(config.policy.file) : undefined;
  const dryRun = policyFile?.dryRun ?? config.policy.dryRun;
  const cooldownMs = policyFile?.cooldownMs ?? config.policy.cooldownMs;
  const remediation = await buildRemediation(config, { sql, auditor, decisions, metrics, logger, clock, redisUrl, kube, probe: new SeriesSignalProbe(store), cooldownMs }, stack);
  const { queue, killSwitch } = remediation;

  const people = buildPeople({
    config,
    sql,
    decisions,
    auditor,
    queueGate: new QueueGate(queue, decisions, auditor, metrics, logger, clock),
    logger,
    clock,
    killSwitch,
    ...(remediation.targetVersion ? { targetVersion: remediation.targetVersion } : {}),
  });
  onAudit = people.onAudit;
  await people.start();
  stack.push({ name: 'people', stop: () => people.stop() });

  const { detector, pool } = await buildDetection(config, logger, metrics, stack, store);
  const policy = new PolicyEngine({ rules: options.rules ?? policyFile?.rules ?? [], dryRun, cooldownMs, actionKinds, stages: remediation.stages }, clock);
  logger.info({ rules: policy.rules.length, dryRun }, 'policy loaded');
  const pipeline = new Pipeline({
    store,
    detection: new DetectionStage(store, detector, { threshold: config.detect.threshold, familyFor: familyMatcher(config.detect.families), ...(pool ? { pool } : {}) }, metrics),
    incidents: new IncidentTracker(config.incidents, clock, metrics),
    policy,
    decisions,
    gate: people.gate,
    leader: remediation.leader,
    auditor,
    metrics,
    logger,
    clock,
  });

  const ingest = await buildIngest(config, { store, registry, metrics, logger, clock, onAlerts: (alerts) => pipeline.onAlerts(alerts) }, stack);
  const readiness: ReadinessCheck[] = [
    { name: 'redis', check: async () => void (await redis.ping()) },
    { name: 'audit_store', check: () => audit.ping() },
    ...ingest.readiness,
  ];
  watchDependencies(readiness, metrics, config.redis.commandTimeoutMs, stack);
  const app = createApp({
    registry,
    logger,
    readiness,
    remoteWrite: ingest.remoteWrite,
    ...(ingest.otlpTraces ? { otlpTraces: ingest.otlpTraces } : {}),
    ...(ingest.alertmanager ? { alertmanager: ingest.alertmanager } : {}),
    series: ingest.series,
    flaggerRollback: remediation.flaggerRollback,
    deadLetters: remediation.deadLetters,
    anomalies: (limit) => pipeline.recentAnomalies.newest(limit),
    incidents: () => pipeline.incidents(),
    decisions,
    audit,
    sql,
    auth: people.auth,
    approvals: people.gate,
    ...(people.slack ? { slack: people.slack } : {}),
    killSwitch,
    seriesWindow: (key) => (store.get(key) ? store.window(key) : undefined),
    rateLimit: config.api.rateLimit,
    corsOrigins: config.api.corsOrigins,
    ui: config.api.ui,
    ...(config.api.remoteWriteTokenSha256 ? { remoteWriteTokenSha256: config.api.remoteWriteTokenSha256 } : {}),
    clock,
  });
  const server = createServer(app);
  await listen(server, config.server.port, config.server.host);
  stack.push({ name: 'http', stop: () => closeServer(server) });
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  if (options.autoCycle ?? true) startLoop(pipeline, config.detect.intervalMs, logger, stack);
  if (config.audit.verifyIntervalMs > 0) watchAuditChain(audit, metrics, logger, config.audit.verifyIntervalMs, stack);
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
    killSwitch,
    sql,
    runCycle: () => pipeline.runCycle(),
    drainQueue: (timeoutMs) => drainQueue(queue, timeoutMs),
  };
}

async function resolveRedis(config: Config, logger: Logger, stack: Stack): Promise<string> {
  if (config.redis.url) return config.redis.url;
  const embedded = await startEmbeddedRedis({ binary: config.redis.redisServerPath, dir: path.join(config.dataDir, 'redis') });
  stack.push({ name: 'embedded-redis', stop: () => embedded.stop() });
  logger.info({ url: embedded.url }, 'started embedded redis-server (set REDIS_URL to use your own)');
  return embedded.url;
}

function startLoop(pipeline: Pipeline, intervalMs: number, logger: Logger, stack: Stack): void {
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

function updateQueueGauge(queue: RemediationQueue, metrics: Metrics, stack: Stack): void {
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
function watchDependencies(checks: readonly ReadinessCheck[], metrics: Metrics, timeoutMs: number, stack: Stack): void {
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

/** Verify the whole chain now and then, so a broken or truncated log pages someone (aiopsd_audit_chain_valid). */
function watchAuditChain(audit: AuditStore, metrics: Metrics, logger: Logger, intervalMs: number, stack: Stack): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    audit
      .verify()
      .then((r) => {
        metrics.auditChainValid.set(r.ok ? 1 : 0);
        metrics.auditVerifiedRecords.set(r.records);
        if (!r.ok) logger.error({ firstBadSeq: r.firstBadSeq, reason: r.reason }, 'audit chain verification failed');
      })
      .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'audit chain verification could not run'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  stack.push({ name: 'audit-verify', stop: async () => clearInterval(timer) });
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
