import * as tf from '@tensorflow/tfjs';

/**
 * Forecaster weights as plain typed arrays, in `model.getWeights()` order: what the fine-tuning worker
 * sends back and what the scoring pool hands to (re)started workers. Plain arrays cross a thread
 * boundary by structured clone; the topology always comes from the model directory, so only the
 * weights (and the version they answer to in anomaly evidence) travel.
 */
export interface ModelWeights {
  /** Forecaster version these weights are, e.g. `mlp32-s42-e6-n60000+ft2`. */
  readonly version: string;
  readonly tensors: readonly Float32Array[];
}

/** Copy a model's current weights out of TF.js memory. */
export function captureWeights(model: tf.LayersModel, version: string): ModelWeights {
  return { version, tensors: model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array)) };
}

/** Load `weights` into `model`; throws (changing nothing) when they do not fit the model's shapes. */
export function applyWeights(model: tf.LayersModel, weights: ModelWeights): void {
  const shapes = model.weights.map((w) => w.shape);
  if (shapes.length !== weights.tensors.length) {
    throw new Error(`weights ${weights.version}: ${weights.tensors.length} tensors, the model has ${shapes.length}`);
  }
  shapes.forEach((shape, i) => {
    const size = shape.reduce<number>((a, b) => a * (b ?? 1), 1);
    if (weights.tensors[i]!.length !== size) throw new Error(`weights ${weights.version}: tensor ${i} holds ${weights.tensors[i]!.length} values, the model needs ${size}`);
  });
  const tensors = weights.tensors.map((data, i) => tf.tensor(data, shapes[i] as number[]));
  try {
    model.setWeights(tensors);
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** Version of a fine-tuned forecaster: the base (shipped) version plus the adoption count. */
export function fineTunedVersion(current: string, adoption: number): string {
  const base = current.replace(/\+ft\d+$/, '');
  return `${base}+ft${adoption}`;
}
