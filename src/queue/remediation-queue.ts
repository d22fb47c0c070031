import { Queue, type ConnectionOptions } from 'bullmq';
import type { Decision } from '../domain/types.js';
import { AppError, errorMessage } from '../lib/errors.js';

export interface RemediationQueueOptions {
  readonly name: string;
  /** Attempts per job; only retryable failures are retried. */
  readonly attempts: number;
  /** Base of the exponential backoff between attempts. */
  readonly backoffMs: number;
  /** Bound on an enqueue, so a dead Redis fails fast instead of hanging the pipeline. */
  readonly enqueueTimeoutMs: number;
}

export interface RemediationJobData {
  readonly decisionId: string;
}

export interface FailedJob {
  readonly jobId: string;
  readonly decisionId: string;
  readonly action: string;
  readonly attemptsMade: number;
  readonly failedReason: string;
  readonly finishedOnMs: number | undefined;
}

/** Producer side of the BullMQ queue. The job id is the decision id, so an enqueue is idempotent while the job is stored. */
export class RemediationQueue {
  readonly queue: Queue<RemediationJobData>;

  constructor(
    connection: ConnectionOptions,
    private readonly options: RemediationQueueOptions,
  ) {
    this.queue = new Queue<RemediationJobData>(options.name, { connection });
    // Connection errors surface through enqueue's timeout and /readyz; don't crash on the event.
    this.queue.on('error', () => undefined);
  }

  async enqueue(decision: Decision): Promise<void> {
    const add = this.queue.add(
      decision.action.type,
      { decisionId: decision.id },
      {
        jobId: decision.id,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 5000 },
      },
    );
    await withTimeout(add, this.options.enqueueTimeoutMs, () =>
      new AppError('queue_unavailable', `could not enqueue decision ${decision.id} within ${this.options.enqueueTimeoutMs} ms: Redis is not answering`, { retryable: true, httpStatus: 503 }),
    ).catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      throw new AppError('queue_unavailable', `could not enqueue decision ${decision.id}: ${errorMessage(err)}`, { retryable: true, httpStatus: 503, cause: err });
    });
  }

  /** Global pause (every worker on every replica stops taking jobs): the kill switch uses it. */
  async pause(): Promise<void> {
    await this.queue.pause();
  }

  async resume(): Promise<void> {
    await this.queue.resume();
  }

  async isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }

  /** Jobs in BullMQ's failed set (newest first): one half of the dead-letter view. */
  async failedJobs(limit = 100): Promise<FailedJob[]> {
    const jobs = await this.queue.getFailed(0, Math.max(0, limit - 1));
    return jobs
      .filter((j): j is NonNullable<typeof j> => j !== undefined && j !== null)
      .map((j) => ({
        jobId: j.id ?? j.data.decisionId,
        decisionId: j.data.decisionId,
        action: j.name,
        attemptsMade: j.attemptsMade,
        failedReason: j.failedReason ?? '',
        finishedOnMs: j.finishedOn,
      }));
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'paused');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
