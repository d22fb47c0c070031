import * as tf from '@tensorflow/tfjs';
import { prepareInputs } from './model.js';

/**
 * Forecaster training pairs and the fit loop, shared by `aiopsd train` (src/cli/train.ts) and the
 * daemon's online fine-tuning (finetune-worker.ts), so both learn exactly the same task: the
 * `inputPoints` values before a point, normalised by their median and IQR → the point, normalised the
 * same way and clipped to ±20.
 */

/** Normalised inputs (rows × inputPoints) and targets of sampled windows. */
export interface TrainingPairs {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
  readonly inputPoints: number;
}

/** Clip for normalised values: one wild point must not dominate the loss. */
const Z_CLIP = 20;

/**
 * Sample `samples` windows of `inputPoints + 1` points: a series uniformly, then the newest point
 * uniformly within it. Series with no more than `inputPoints + 1` points are skipped. Returns views
 * (no copies); consumes `rand` exactly twice per sample, so a seed gives the same windows.
 */
export function sampleTrainingWindows(
  series: readonly Float64Array[],
  inputPoints: number,
  samples: number,
  rand: () => number,
): { windows: Float64Array[]; targets: Float64Array } {
  const usable = series.filter((s) => s.length > inputPoints + 1);
  const windows: Float64Array[] = [];
  const targets = new Float64Array(usable.length === 0 ? 0 : samples);
  if (usable.length === 0) return { windows, targets };
  for (let k = 0; k < samples; k++) {
    const s = usable[Math.floor(rand() * usable.length)]!;
    const end = inputPoints + Math.floor(rand() * (s.length - inputPoints)); // newest point index
    windows.push(s.subarray(end - inputPoints, end + 1));
    targets[k] = s[end]!;
  }
  return { windows, targets };
}

/**
 * Model inputs and normalised, clipped targets for windows whose newest point is the target. Windows
 * with a non-finite target or no finite input are left out (±Inf reaches fine-tuning from the series
 * store; one such row would make the loss NaN), the others keep their order.
 */
export function trainingPairs(windows: readonly Float64Array[], targets: Float64Array, inputPoints: number): TrainingPairs {
  const { x, centre, scale } = prepareInputs(windows, inputPoints);
  const y = new Float32Array(windows.length);
  let count = 0;
  for (let b = 0; b < windows.length; b++) {
    const z = (targets[b]! - centre[b]!) / scale[b]!;
    if (!Number.isFinite(targets[b]!) || Number.isNaN(z)) continue;
    if (count !== b) x.copyWithin(count * inputPoints, b * inputPoints, (b + 1) * inputPoints);
    y[count++] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
  }
  return { x: x.subarray(0, count * inputPoints), y: y.subarray(0, count), count, inputPoints };
}

/** The training objective (Huber, δ = 1, on normalised values); also the holdout error of fine-tuning. */
export function forecastLoss(labels: tf.Tensor, predictions: tf.Tensor): tf.Tensor {
  return tf.losses.huberLoss(labels, predictions);
}

export interface FitOptions {
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize?: number;
  readonly onBatchEnd?: (loss: number) => void;
}

/** Compile with Adam and fit on the pairs in their (already seeded, random) order; returns the last batch loss. */
export async function fitForecaster(model: tf.LayersModel, pairs: TrainingPairs, opts: FitOptions): Promise<number> {
  model.compile({ optimizer: tf.train.adam(opts.learningRate), loss: forecastLoss });
  const xs = tf.tensor2d(pairs.x, [pairs.count, pairs.inputPoints]);
  const ys = tf.tensor2d(pairs.y, [pairs.count, 1]);
  let lastLoss = NaN;
  try {
    await model.fit(xs, ys, {
      epochs: opts.epochs,
      batchSize: opts.batchSize ?? 256,
      shuffle: false, // samples are already in seeded random order; tfjs's shuffle uses Math.random
      verbose: 0,
      callbacks: {
        onBatchEnd: (_batch, logs) => {
          lastLoss = logs?.loss ?? lastLoss;
          opts.onBatchEnd?.(lastLoss);
        },
      },
    });
  } finally {
    xs.dispose();
    ys.dispose();
  }
  return lastLoss;
}

/** Mean forecast loss of `model` on the pairs (NaN when there are none). */
export function evaluateForecaster(model: tf.LayersModel, pairs: TrainingPairs): number {
  if (pairs.count === 0) return NaN;
  return tf.tidy(() => {
    const xs = tf.tensor2d(pairs.x, [pairs.count, pairs.inputPoints]);
    const ys = tf.tensor2d(pairs.y, [pairs.count, 1]);
    return forecastLoss(ys, model.predict(xs, { batchSize: pairs.count }) as tf.Tensor).dataSync()[0]!; // one batch, not 32-row runs
  });
}
