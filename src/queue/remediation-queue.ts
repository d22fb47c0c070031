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
