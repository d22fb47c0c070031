import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, errorMessage } from '../lib/errors.js';
import type { Decision } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { Sql } from '../store/db.js';
import type { Auditor } from '../audit/auditor.js';
import type { KubernetesApi } from '../clients/kubernetes.js';
import { bullConnection } from '../clients/redis.js';
import { createRoute53Client, Route53WeightedRecords } from '../clients/route53.js';
import { createActions } from '../actions/registry.js';
import { ActionExecutor } from '../actions/executor.js';
import type { SignalProbe } from '../actions/action.js';
import { FlaggerRollbackRegistry, handleFlaggerRollbackWebhook } from '../actions/flagger-rollback.js';
import { KillSwitch, KillSwitchQueuePauser } from '../guardrails/kill-switch.js';
import { CircuitBreaker } from '../guardrails/circuit-breaker.js';
import { createGuardrailRecheck, createGuardrailStages } from '../policy/guardrails.js';
import type { PolicyStage } from '../policy/stages.js';
import type { DecisionStore } from '../policy/decision-store.js';
import { RemediationQueue } from '../queue/remediation-queue.js';
import { RemediationWorker, type RemediationWorkerOptions } from '../queue/remediation-worker.js';
import { ExecutionLedger } from '../queue/execution-ledger.js';
import { listDeadLetters } from '../queue/dead-letters.js';
import { AlwaysLeader, LeaderElector, type LeaderGate } from '../leader/lease.js';
import type { Stack } from './stack.js';

export interface RemediationParts {
  readonly queue: RemediationQueue;
  readonly killSwitch: KillSwitch;
  readonly circuitBreaker: CircuitBreaker;
  readonly stages: PolicyStage[];
  readonly leader: LeaderGate;
  readonly flaggerRollback: (body: unknown) => { status: number; body: unknown };
  readonly deadLetters: (limit: number) => Promise<unknown[]>;
  /** Current version of a decision's target, to void approvals when it changed (spec generation, else resourceVersion). */
  readonly targetVersion: ((decision: Decision) => Promise<string | undefined>) | undefined;
}

interface RemediationDeps {
  readonly sql: Sql;
  readonly auditor: Auditor;
  readonly decisions: DecisionStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly redisUrl: string;
  readonly kube: KubernetesApi | undefined;
  readonly probe: SignalProbe;
  readonly cooldownMs: number;
}

/**
 * Part of the composition root: guardrails (kill switch, circuit breaker, shared stages), the
 * queue and its worker with the execution ledger, the actions and their executor, and the leader
 * gate. Everything that can write to a cluster is built here and nowhere else.
 */
export async function buildRemediation(config: Config, deps: RemediationDeps, stack: Stack): Promise<RemediationParts> {
  const { sql, auditor, metrics, logger, clock, kube } = deps;
  const g = config.guardrails;
  const killSwitch = new KillSwitch(sql, clock, { forcedOn: g.killSwitch, auditor });
  const circuitBreaker = new CircuitBreaker(sql, clock, g.circuitBreaker, (c) =>
    logger.warn({ cause: c.cause, observed: c.observed, limit: c.limit, reason: c.state.reason }, 'circuit breaker opened: every decision now needs a person'),
  );
  const stages = createGuardrailStages({ sql, clock, killSwitch, circuitBreaker, cooldownMs: deps.cooldownMs, rateLimit: g.rateLimit, maxConcurrentActions: g.maxConcurrentActions });

  const connection = bullConnection(deps.redisUrl);
  const queue = new RemediationQueue(connection, { name: config.queue.name, attempts: config.queue.attempts, backoffMs: config.queue.backoffMs, enqueueTimeoutMs: config.redis.commandTimeoutMs });
  stack.push({ name: 'queue', stop: () => queue.close() });
  const pauser = new KillSwitchQueuePauser(killSwitch, queue, g.killSwitchPollMs, (err) => logger.warn({ err: errorMessage(err) }, 'kill switch sync failed'));
  pauser.start();
  stack.push({ name: 'killswitch-pauser', stop: async () => pauser.stop() });

  const flagger = new FlaggerRollbackRegistry(clock);
  const route53 = config.actions.route53 ? createRoute53Client(config.actions.route53) : undefined;
  const actions = createActions({
    kube,
    maxReplicaChange: config.actions.maxReplicaChange,
    maxEjectShare: config.actions.maxEjectShare,
    maxWeightStepPercent: config.actions.maxWeightStepPercent,
    allowDirectScale: config.actions.allowDirectScale,
    flagger,
    ...(route53 ? { route53: (t) => new Route53WeightedRecords(route53, t) } : {}),
  });
  const executor = new ActionExecutor(actions, auditor, clock, {
    ...(kube ? { kube } : {}),
    probe: deps.probe,
    writesAllowed: () => !killSwitch.isOnCached(g.killSwitchPollMs * 3),
    recheck: createGuardrailRecheck({ killSwitch, circuitBreaker }),
    page: (e) => logger.error({ page: e }, 'a person must look: decision held'),
    bakeTimeMs: config.actions.bakeTimeMs,
    onVerification: async (d, ok) => void (await circuitBreaker.recordVerification(ok, d.id)),
  });
  const ledger = new ExecutionLedger(sql, clock, {
    leaseMs: config.queue.ledgerLeaseMs,
    ...(config.audit.checkpointKey ? { checkpointKey: config.audit.checkpointKey } : {}),
    onHeld: (d, reason) => logger.error({ decision: d.id, reason }, 'decision held: its worker died mid-action'),
  });
  const worker = new RemediationWorker(
    connection,
    remediationWorkerOptions(config),
    { ledger, executor, metrics, clock, killSwitch, circuitBreaker, onError: (err, id) => logger.warn({ decision: id, err: errorMessage(err) }, 'job failed') },
  );
  worker.start();
  stack.push({ name: 'worker', stop: () => worker.close() });

  const leader = buildLeader(config, kube, logger, clock, metrics);
  await leader.start();
  stack.push({ name: 'leader', stop: () => leader.stop() });
  watchSafety({ killSwitch, circuitBreaker, leader }, metrics, g.killSwitchPollMs, stack);

  return {
    queue,
    killSwitch,
    circuitBreaker,
    stages,
    leader,
    flaggerRollback: (body) => handleFlaggerRollbackWebhook(flagger, body),
    deadLetters: (limit) => listDeadLetters({ queue, decisions: deps.decisions }, limit),
    targetVersion: kube ? (d) => specVersion(kube, d) : undefined,
  };
}

/**
 * The worker's knobs from config. The stalled-job check runs as often as the lock lasts, so a SIGKILLed
 * worker's job is re-delivered after queue.lockDurationMs rather than BullMQ's fixed 30 s.
 */
export function remediationWorkerOptions(config: Config): RemediationWorkerOptions {
  const q = config.queue;
  return {
    queueName: q.name,
    concurrency: q.concurrency,
    lockDurationMs: q.lockDurationMs,
    stalledIntervalMs: q.lockDurationMs,
    blockedRecheckMs: q.blockedRecheckMs,
    // the executors call ctx.beginSideEffect right before their first write
    markSideEffectBeforeRun: false,
  };
}

/** Keep the safety gauges (leader, circuit breaker, kill switch) current for alerts and dashboards. */
function watchSafety(parts: { killSwitch: KillSwitch; circuitBreaker: CircuitBreaker; leader: LeaderGate }, metrics: Metrics, intervalMs: number, stack: Stack): void {
  const run = (): void => {
    metrics.leader.set(parts.leader.isLeader() ? 1 : 0);
    parts.killSwitch
      .isOn()
      .then((on) => metrics.killSwitchOn.set(on ? 1 : 0))
      .catch(() => undefined);
    parts.circuitBreaker
      .state()
      .then((s) => metrics.circuitBreakerOpen.set(s.open ? 1 : 0))
      .catch(() => undefined);
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  stack.push({ name: 'safety-gauges', stop: async () => clearInterval(timer) });
}

function buildLeader(config: Config, kube: KubernetesApi | undefined, logger: Logger, clock: Clock, metrics: Metrics): LeaderGate {
  const l = config.leader;
  if (!l.enabled) return new AlwaysLeader();
  if (!kube) throw new AppError('invalid_config', 'leader.enabled needs a Kubernetes connection (kubernetes.mode is none)');
  return new LeaderElector({
    kube,
    namespace: l.namespace,
    name: l.leaseName,
    identity: l.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`,
    leaseDurationMs: l.leaseDurationMs,
    renewDeadlineMs: l.renewDeadlineMs,
    retryPeriodMs: l.retryPeriodMs,
    clock,
    onStartedLeading: () => {
      metrics.leader.set(1);
      logger.info('started leading: this replica decides');
    },
    onStoppedLeading: () => {
      metrics.leader.set(0);
      logger.warn('stopped leading: this replica no longer decides');
    },
    onError: (err) => logger.warn({ err: errorMessage(err) }, 'leader election'),
  });
}

/**
 * The spec generation changes only when someone edits the spec; resourceVersion also moves with
 * every status update (an HPA's every 15 s), which would void every approval.
 */
async function specVersion(kube: KubernetesApi, d: Decision): Promise<string | undefined> {
  const obj = await kube.getObject(d.action.target);
  const meta = (obj.metadata ?? {}) as { generation?: number; resourceVersion?: string };
  return meta.generation !== undefined ? `g${meta.generation}` : meta.resourceVersion;
}
