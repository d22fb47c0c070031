import { parentPort, workerData } from 'node:worker_threads';
import { runFineTuneJob, type FineTuneJob, type FineTuneReply } from './finetune-job.js';

/** Worker side of one fine-tuning round: run the job, post one reply, end. */
const port = parentPort!;

runFineTuneJob(workerData as FineTuneJob).then(
  (reply) => port.postMessage(reply),
  (err: unknown) => port.postMessage({ ok: false, reason: 'worker_error', message: err instanceof Error ? err.message : String(err) } satisfies FineTuneReply),
);
