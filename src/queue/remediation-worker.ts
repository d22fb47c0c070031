import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Clock } from '../lib/clock.js';
import { errorMessage, isAppError } from '../lib/errors.js';
import type { ActionPlan, ActionResult, Decision, DecisionStatus } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { RemediationJobData } from './remediation-queue.js';
import { ClaimLostError, type ExecutionLedger, type LedgerClaim } from './execution-ledger.js';

/** The schema's default for queue.blockedRecheckMs, for callers that build a worker without a config. */
export const DEFAULT_BLOCKED_RECHECK_MS = 30_000;

export interface RemediationWorkerOptions {
  readonly queueName: string;
  readonly concurrency: number;
  /** Identifies this worker in the ledger (default host:pid:random). */
  readonly workerId?: string;
  /** BullMQ lock: a job whose worker stops renewing for this long is re-delivered (default 30 s). */
  readonly lockDurationMs?: number;
  /** How often BullMQ looks for stalled jobs (default 30 s). */
  readonly stalledIntervalMs?: number;
  /** How long a kill-switched or breaker-blocked job waits before it is looked at again (config queue.blockedRecheckMs). */
  readonly blockedRecheckMs?: number;
  /**
   * Mark "side effect started" (with its audit record) before calling the executor, for executors that
   * do not call ctx.beginSideEffect themselves. Conservative: a crash anywhere in the run → held.
   * Default true; set false once the executor calls ctx.beginSideEffect right before its first write.
   */
  readonly markSideEffectBeforeRun?: boolean;
}

/** What the worker hands the executor besides the job identity. */
export interface LedgerContext {
  readonly jobId: string;
  readonly attempt: number;
  /**
   * Call right before the first real write: records 'action.executing' with the ledger transition in
   * one transaction. Throws ClaimLostError (do not write!) when another worker took the claim over.
   */
  beginSideEffect(body: { plan?: ActionPlan } & Record<string, unknown>): Promise<void>;
  /** The kill switch, for the right-before-write check. */
  killSwitchOn(): Promise<boolean>;
}

/** The executor as the worker sees it (ActionExecutor satisfies it structurally). */
export interface JobExecutor {
  run(decision: Decision, ctx: LedgerContext): Promise<ActionResult>;
  recordFailure(decision: Decision, ctx: { jobId: string; attempt: number }, err: unknown): Promise<ActionResult>;
}

export interface RemediationWorkerDeps {
  readonly ledger: ExecutionLedger;
  readonly executor: JobExecutor;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** When on, jobs are not started (delayed, attempts not used up). */
  readonly killSwitch?: { isOn(): Promise<boolean> };
  /** While open, decisions that nobody approved wait (nothing runs without a person). */
  readonly circuitBreaker?: { state(): Promise<{ open: boolean; openUntilMs: number | undefined }> };
  readonly onError?: (err: unknown, decisionId: string) => void;
}

/**
 * Consumer side: claims the decision in the execution ledger before any side effect (BullMQ delivery
 * is at-least-once), runs it through the executor, and records the outcome fenced by the claim token.
 * A retryable failure hands the claim back and lets BullMQ retry with backoff; anything else is final
 * (UnrecoverableError, so the job lands in the failed set — the dead-letter view). A re-delivered job
 * whose previous worker died after its side effects started is held and paged, never re-run.
 */
export class RemediationWorker {
  readonly worker: Worker<RemediationJobData, ActionResult>;
  readonly workerId: string;
  private readonly blockedRecheckMs: number;
  private readonly eagerMark: boolean;

  constructor(
    connection: ConnectionOptions,
    options: RemediationWorkerOptions,
    private readonly deps: RemediationWorkerDeps,
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.blockedRecheckMs = options.blockedRecheckMs ?? DEFAULT_BLOCKED_RECHECK_MS;
    this.eagerMark = options.markSideEffectBeforeRun ?? true;
    this.worker = new Worker<RemediationJobData, ActionResult>(options.queueName, (job, token) => this.process(job, token), {
      connection,
      concurrency: options.concurrency,
      autorun: false,
      ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs }),
    });
    this.worker.on('error', () => undefined);
  }

  start(): void {
    void this.worker.run().catch(() => undefined);
  }

  async process(job: Job<RemediationJobData, ActionResult>, token?: string): Promise<ActionResult> {
    const { decisionId } = job.data;
    const { ledger, metrics, clock } = this.deps;
    const jobCtx = { jobId: job.id ?? decisionId, attempt: job.attemptsMade + 1 };
    if (this.deps.killSwitch && (await this.deps.killSwitch.isOn())) {
      metrics.jobs.inc({ action: job.name, outcome: 'kill_switch' });
      return this.delay(job, token, this.blockedRecheckMs);
    }
    const claimed = await ledger.claim(decisionId, this.workerId, jobCtx);
    switch (claimed.kind) {
      case 'noop':
        // Someone else already ran (or is running) this decision: at most once.
        metrics.jobs.inc({ action: job.name, outcome: 'noop' });
        return { outcome: 'noop', dryRun: true };
      case 'busy':
        return this.delay(job, token, claimed.retryAfterMs);
      case 'held':
        metrics.jobs.inc({ action: job.name, outcome: 'held' });
        return { outcome: 'held', dryRun: claimed.decision.dryRun, error: { code: 'side_effect_in_doubt', message: claimed.reason, retryable: false } };
      case 'claimed':
        break;
    }
    const claim = claimed.claim;
    const decision = claim.decision;
    if (!decision.dryRun && !decision.requiresApproval && this.deps.circuitBreaker) {
      const s = await this.deps.circuitBreaker.state();
      if (s.open) {
        await ledger.release(claim, 'circuit breaker open: waiting (it was not approved by a person)');
        metrics.jobs.inc({ action: decision.action.type, outcome: 'circuit_open' });
        return this.delay(job, token, Math.max(1000, Math.min(this.blockedRecheckMs, (s.openUntilMs ?? 0) - clock.nowMs() + 100)));
      }
    }
    const heartbeat = this.startHeartbeat(claim);
    const ctx: LedgerContext = {
      ...jobCtx,
      beginSideEffect: (body) => ledger.beginSideEffect(claim, body),
      killSwitchOn: async () => (this.deps.killSwitch ? this.deps.killSwitch.isOn() : false),
    };
    const end = metrics.jobDuration.startTimer({ action: decision.action.type });
    try {
      if (this.eagerMark && !decision.dryRun) await ledger.beginSideEffect(claim, { phase: 'before_run' });
      const result = await this.deps.executor.run(decision, ctx);
      const finished = await ledger.finish(claim, statusFor(result), result);
      metrics.jobs.inc({ action: decision.action.type, outcome: finished ? result.outcome : 'fenced' });
      if (finished) observeTimeToRemediate(metrics, decision, result, clock.nowMs());
      return result;
    } catch (err) {
      if (err instanceof ClaimLostError) {
        // Another worker owns this decision now; we wrote nothing and record nothing.
        metrics.jobs.inc({ action: decision.action.type, outcome: 'fenced' });
        return { outcome: 'noop', dryRun: decision.dryRun, error: { code: err.code, message: err.message, retryable: false } };
      }
      this.deps.onError?.(err, decision.id);
      const lastAttempt = jobCtx.attempt >= (job.opts.attempts ?? 1);
      if (isAppError(err) && err.retryable && !lastAttempt && err.code !== 'write_uncertain') {
        await ledger.release(claim, err.message);
        throw err;
      }
      const result = await this.deps.executor.recordFailure(decision, jobCtx, err);
      await ledger.finish(claim, 'failed', result, result.error?.message ?? errorMessage(err));
      metrics.jobs.inc({ action: decision.action.type, outcome: 'failed' });
      throw new UnrecoverableError(result.error?.message ?? 'action failed');
    } finally {
      clearInterval(heartbeat);
      end();
    }
  }

  private startHeartbeat(claim: LedgerClaim): NodeJS.Timeout {
    const every = Math.max(100, Math.floor(this.deps.ledger.leaseMs / 3));
    const timer = setInterval(() => {
      this.deps.ledger.heartbeat(claim).catch(() => undefined);
    }, every);
    timer.unref();
    return timer;
  }

  private async delay(job: Job<RemediationJobData, ActionResult>, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(50, ms), token);
    throw new DelayedError();
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

/** Verdicts that end a live remediation: from the first anomaly of its evidence to here. */
const VERDICTS = new Set(['verified', 'reverted', 'held', 'failed']);

function observeTimeToRemediate(metrics: Metrics, decision: Decision, result: ActionResult, nowMs: number): void {
  if (decision.dryRun || !VERDICTS.has(result.outcome) || decision.evidence.length === 0) return;
  const firstMs = Math.min(...decision.evidence.map((a) => a.timestampMs));
  metrics.timeToRemediate.observe({ action: decision.action.type, outcome: result.outcome }, Math.max(0, (nowMs - firstMs) / 1000));
}

/** Guardrails that stopped a run right before its write: the decision was suppressed, not executed. */
const SUPPRESSED_CODES = new Set(['opt_out', 'kill_switch', 'guardrails_recheck']);

function statusFor(result: ActionResult): DecisionStatus {
  if (result.outcome === 'noop' && result.error && SUPPRESSED_CODES.has(result.error.code)) return 'suppressed';
  switch (result.outcome) {
    case 'verified':
      return 'verified';
    case 'reverted':
      return 'reverted';
    case 'held':
      return 'held';
    case 'failed':
      return 'failed';
    default:
      return 'executed';
  }
}
