import { mulberry32 } from '../lib/random.js';
import { initBackend, type BackendPreference } from './backend.js';
import { loadForecaster } from './model.js';
import { evaluateForecaster, fitForecaster, sampleTrainingWindows, trainingPairs, type TrainingPairs } from './training.js';
import { applyWeights, captureWeights, type ModelWeights } from './weights.js';

/**
 * One fine-tuning round's work, run in a worker thread (finetune-worker.ts), never on the daemon's
 * event loop: load the forecaster, put the current weights in, measure its holdout error, fine-tune it
 * on the training pairs, measure again. The decision to adopt is the caller's (finetune.ts).
 */

/** Why a round failed (the `reason` label of aiopsd_detect_finetune_rounds_total{outcome="failed"}). */
export type FineTuneFailure = 'insufficient_data' | 'nan_loss' | 'worker_error' | 'worker_crash' | 'timeout' | 'swap_failed';

export interface FineTuneJob {
  readonly modelDir: string;
  readonly backend: BackendPreference;
  /** Weights scoring now; null: the model directory's own. */
  readonly current: ModelWeights | null;
  /** Recent values of the sampled series, oldest first. */
  readonly series: readonly Float64Array[];
  /** Training + holdout windows sampled from them. */
  readonly windows: number;
  readonly holdoutFraction: number;
  readonly epochs: number;
  readonly learningRate: number;
  /** Seeds the window sampling (the fit itself is deterministic: no shuffle, no dropout). */
  readonly seed: number;
  /** Version the candidate weights answer to if adopted. */
  readonly candidateVersion: string;
  /** Test hook: fail inside the worker (throw), kill the thread (exit) or poison the targets (nan). */
  readonly testFault?: 'throw' | 'exit' | 'nan';
}

export type FineTuneReply =
  | {
      readonly ok: true;
      readonly trainWindows: number;
      readonly holdoutWindows: number;
      readonly currentError: number;
      readonly candidateError: number;
      readonly finalLoss: number;
      readonly candidate: ModelWeights;
    }
  | { readonly ok: false; readonly reason: FineTuneFailure; readonly message: string };

type Sampled = ReturnType<typeof sampleTrainingWindows>;

/**
 * Training and holdout windows, split in time: in each series the newest `holdoutFraction` of the points
 * are holdout targets (their inputs may reach back into the older part), the rest training targets. So
 * the holdout asks what the daemon needs — does the candidate forecast the *next* stretch better? — and
 * no holdout target is ever a training target. Sampling is `aiopsd train`'s (training.ts).
 */
export function splitWindows(
  series: readonly Float64Array[],
  inputPoints: number,
  windows: number,
  holdoutFraction: number,
  rand: () => number,
): { train: Sampled; holdout: Sampled } {
  const holdoutWindows = Math.max(1, Math.round(windows * holdoutFraction));
  const trainParts: Float64Array[] = [];
  const holdoutParts: Float64Array[] = [];
  for (const s of series) {
    const cut = Math.floor(s.length * (1 - holdoutFraction));
    trainParts.push(s.subarray(0, cut));
    holdoutParts.push(s.subarray(Math.max(0, cut - inputPoints)));
  }
  const train = sampleTrainingWindows(trainParts, inputPoints, Math.max(0, windows - holdoutWindows), rand);
  return { train, holdout: sampleTrainingWindows(holdoutParts, inputPoints, holdoutWindows, rand) };
}

/** {@link splitWindows} as training pairs. */
export function splitTrainHoldout(
  series: readonly Float64Array[],
  inputPoints: number,
  windows: number,
  holdoutFraction: number,
  rand: () => number,
): { train: TrainingPairs; holdout: TrainingPairs } {
  const { train: t, holdout: h } = splitWindows(series, inputPoints, windows, holdoutFraction, rand);
  return { train: trainingPairs(t.windows, t.targets, inputPoints), holdout: trainingPairs(h.windows, h.targets, inputPoints) };
}

/** Run the job (inside the worker). Returns a failure reply rather than throwing for expected failures. */
export async function runFineTuneJob(job: FineTuneJob): Promise<FineTuneReply> {
  if (job.testFault === 'throw') throw new Error('test fault: fine-tuning worker throws');
  if (job.testFault === 'exit') process.exit(3);
  await initBackend(job.backend);
  const forecaster = await loadForecaster(job.modelDir);
  try {
    if (job.current) applyWeights(forecaster.model, job.current);
    const { train, holdout } = splitTrainHoldout(job.series, forecaster.inputPoints, job.windows, job.holdoutFraction, mulberry32(job.seed));
    if (train.count === 0 || holdout.count === 0) {
      return { ok: false, reason: 'insufficient_data', message: `no series longer than ${forecaster.inputPoints + 1} points in both its training and holdout part` };
    }
    if (job.testFault === 'nan') train.y.fill(NaN);
    const currentError = evaluateForecaster(forecaster.model, holdout);
    const finalLoss = await fitForecaster(forecaster.model, train, { epochs: job.epochs, learningRate: job.learningRate });
    const candidateError = evaluateForecaster(forecaster.model, holdout);
    const candidate = captureWeights(forecaster.model, job.candidateVersion);
    return { ok: true, trainWindows: train.count, holdoutWindows: holdout.count, currentError, candidateError, finalLoss, candidate };
  } finally {
    forecaster.dispose();
  }
}
