import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Clock } from '../lib/clock.js';
import { isAppError } from '../lib/errors.js';
import type { ActionResult } from '../domain/types.js';
import type { ActionExecutor } from '../actions/executor.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { RemediationJobData } from './remediation-queue.js';

export interface RemediationWorkerOptions {
  readonly queueName: string;
  readonly concurrency: number;
}

/**
 * Consumer side: claims the decision in the ledger before any side effect (BullMQ delivery is
 * at-least-once), runs it through the executor, and records the outcome. A retryable failure
 * before any write hands the claim back and lets BullMQ retry with backoff; anything else is
 * final (UnrecoverableError, so the job lands in the failed set — the dead-letter view).
 */
export class RemediationWorker {
  readonly worker: Worker<RemediationJobData, ActionResult>;

  constructor(
    connection: ConnectionOptions,
    options: RemediationWorkerOptions,
    private readonly decisions: DecisionStore,
    private readonly executor: ActionExecutor,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {
    this.worker = new Worker<RemediationJobData, ActionResult>(options.queueName, (job) => this.process(job), {
      connection,
      concurrency: options.concurrency,
      autorun: false,
    });
    this.worker.on('error', () => undefined);
  }

  start(): void {
    void this.worker.run().catch(() => undefined);
  }

  async process(job: Job<RemediationJobData, ActionResult>): Promise<ActionResult> {
    const { decisionId } = job.data;
    const decision = await this.decisions.claim(decisionId, this.clock.nowMs());
    if (!decision) {
      // Someone else already ran (or is running) this decision: at most once.
      this.metrics.jobs.inc({ action: job.name, outcome: 'noop' });
      return { outcome: 'noop', dryRun: true };
    }
    const ctx = { jobId: job.id ?? decisionId, attempt: job.attemptsMade + 1 };
    const end = this.metrics.jobDuration.startTimer({ action: decision.action.type });
    try {
      const result = await this.executor.run(decision, ctx);
      await this.decisions.finish(decision.id, 'executed', result, this.clock.nowMs());
      this.metrics.jobs.inc({ action: decision.action.type, outcome: result.outcome });
      return result;
    } catch (err) {
      const lastAttempt = ctx.attempt >= (job.opts.attempts ?? 1);
      if (isAppError(err) && err.retryable && !lastAttempt && err.code !== 'write_uncertain') {
        await this.decisions.setStatus(decision.id, 'queued', this.clock.nowMs(), err.message);
        throw err;
      }
      const result = await this.executor.recordFailure(decision, ctx, err);
      await this.decisions.finish(decision.id, 'failed', result, this.clock.nowMs(), result.error?.message);
      this.metrics.jobs.inc({ action: decision.action.type, outcome: 'failed' });
      throw new UnrecoverableError(result.error?.message ?? 'action failed');
    } finally {
      end();
    }
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
