import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * The TensorFlow.js forecaster: an MLP that reads the last `inputPoints` values before a point, each
 * window normalised by its own median and inter-quartile range, and predicts the point (normalised the
 * same way). Series of any scale share one model; the forecast error, in units of the series' own
 * spread, is one raw anomaly score that calibrate.ts turns into a probability.
 */

export const MODEL_FORMAT = 'aiopsd-forecaster-1';

/** Windows per predict() call (Forecaster.forecast). */
export const FORECAST_CHUNK = 8192;

export interface ForecasterMeta {
  readonly format: typeof MODEL_FORMAT;
  readonly inputPoints: number;
  readonly version: string;
}

export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`model file ${file}: ${problem}`);
    this.name = 'ModelFileError';
  }
}

/** Robust location and scale of values[from..to): median and IQR/1.349, floored so flat windows work. */
export function robustCentreScale(values: Float64Array, from: number, to: number, scratch: Float64Array): [number, number] {
  const n = to - from;
  const s = scratch.subarray(0, n);
  s.set(values.subarray(from, to));
  s.sort();
  const q = (p: number): number => {
    const pos = p * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  const median = q(0.5);
  const iqr = q(0.75) - q(0.25);
  const range = s[n - 1]! - s[0]!;
  const scale = Math.max(iqr / 1.349, range / 20, 1e-3 * Math.abs(median), 1e-9);
  return [median, scale];
}

/**
 * Model inputs for a batch: row b holds the `inputPoints` values before the newest point of windows[b]
 * (left-padded with the oldest available value), normalised. Also returns each row's centre and scale.
 * A non-finite input (±Inf: a ratio over a zero denominator; the store drops NaN) takes the value before
 * it (the first finite one for a leading run): one such point would otherwise make the row's scale
 * infinite and the next `inputPoints` forecasts NaN. A row with no finite input is scored as having none.
 */
export function prepareInputs(
  windows: readonly Float64Array[],
  inputPoints: number,
): { x: Float32Array; centre: Float64Array; scale: Float64Array } {
  const x = new Float32Array(windows.length * inputPoints);
  const centre = new Float64Array(windows.length);
  const scale = new Float64Array(windows.length);
  const scratch = new Float64Array(inputPoints);
  const tmp = new Float64Array(inputPoints);
  for (let b = 0; b < windows.length; b++) {
    const w = windows[b]!;
    const end = w.length - 1; // newest point excluded
    const avail = Math.min(inputPoints, end);
    if (avail <= 0) {
      const v = w.length > 0 ? w[0]! : 0;
      centre[b] = v;
      scale[b] = Math.max(1e-3 * Math.abs(v), 1e-9);
      continue;
    }
    let last = Number.NaN; // carried into non-finite inputs; a leading run takes the first finite input
    for (let i = end - avail; i < end && Number.isNaN(last); i++) if (Number.isFinite(w[i]!)) last = w[i]!;
    if (Number.isNaN(last)) {
      centre[b] = Number.NaN; // no finite input: no forecast (NaN), as for a point without a model
      scale[b] = 1;
      continue;
    }
    for (let k = 0; k < inputPoints; k++) {
      const src = end - inputPoints + k;
      const v = w[src < end - avail ? end - avail : src]!;
      if (Number.isFinite(v)) last = v;
      tmp[k] = last;
    }
    const [c, s] = robustCentreScale(tmp, 0, inputPoints, scratch);
    centre[b] = c;
    scale[b] = s;
    const off = b * inputPoints;
    for (let k = 0; k < inputPoints; k++) {
      const z = (tmp[k]! - c) / s;
      x[off + k] = z > 20 ? 20 : z < -20 ? -20 : z;
    }
  }
  return { x, centre, scale };
}

/**
 * Hidden layer widths of the default forecaster (dense relu layers before the one-unit output). One layer
 * of 32 since session 5: over 12 training seeds it scores NAB 75.53 standard on average against 74.16 for
 * the earlier [32, 16] (models/MODEL_CARD.md, "Forecaster shape").
 */
export const DEFAULT_HIDDEN_UNITS: readonly number[] = [32];

/**
 * A fresh, seeded MLP forecaster: `hiddenUnits` dense relu layers, then a linear one-unit output
 * (no hidden layers = a linear autoregression on the normalised window). Layer k is initialised with
 * seed + k + 1, so `--hidden 32,16` reproduces the weights of the ensemble-1..8 default model.
 */
export function buildForecaster(inputPoints: number, seed: number, hiddenUnits: readonly number[] = DEFAULT_HIDDEN_UNITS): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const model = tf.sequential();
  hiddenUnits.forEach((units, k) => {
    model.add(tf.layers.dense({ ...(k === 0 ? { inputShape: [inputPoints] } : {}), units, activation: 'relu', kernelInitializer: init(k + 1) }));
  });
  model.add(tf.layers.dense({ ...(hiddenUnits.length === 0 ? { inputShape: [inputPoints] } : {}), units: 1, kernelInitializer: init(hiddenUnits.length + 1) }));
  return model;
}

/** A loaded forecaster and what it needs. */
export class Forecaster {
  constructor(
    readonly model: tf.LayersModel,
    readonly meta: ForecasterMeta,
  ) {}

  get inputPoints(): number {
    return this.meta.inputPoints;
  }

  /**
   * Forecast of the newest point of every window, in the series' own units (pure, batched). Runs the
   * model on up to FORECAST_CHUNK windows at a time: one predict() per chunk, not predict()'s default
   * 32-row runs (those cost ~15x the arithmetic on WASM: 15 vs 1 us a window at 2,048 windows), and not
   * the whole batch at once (a fresh daemon warming 50 k series feeds millions of windows, whose
   * activations would not fit the WASM heap).
   */
  forecast(windows: readonly Float64Array[]): Float64Array {
    const out = new Float64Array(windows.length);
    for (let from = 0; from < windows.length; from += FORECAST_CHUNK) {
      const part = windows.length <= FORECAST_CHUNK ? windows : windows.slice(from, from + FORECAST_CHUNK);
      out.set(this.forecastChunk(part), from);
    }
    return out;
  }

  private forecastChunk(windows: readonly Float64Array[]): Float64Array {
    const n = windows.length;
    const out = new Float64Array(n);
    const L = this.meta.inputPoints;
    const { x, centre, scale } = prepareInputs(windows, L);
    const y = tf.tidy(() => {
      const input = tf.tensor2d(x, [n, L]);
      return (this.model.predict(input, { batchSize: n }) as tf.Tensor).dataSync();
    });
    for (let b = 0; b < n; b++) {
      const z = y[b]!;
      out[b] = centre[b]! + scale[b]! * (Number.isFinite(z) ? z : 0);
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: { aiopsd?: ForecasterMeta };
}

/** An IOHandler reading model.json and its weight files from disk (tfjs-node's file:// is not available). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const file = join(dir, 'model.json');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new ModelFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      let json: ModelJson;
      try {
        json = JSON.parse(text) as ModelJson;
      } catch (err) {
        throw new ModelFileError(file, `is not valid JSON (${(err as Error).message})`);
      }
      if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
        throw new ModelFileError(file, 'has no "modelTopology" object (not a TensorFlow.js layers model)');
      }
      if (!Array.isArray(json.weightsManifest) || json.weightsManifest.length === 0) {
        throw new ModelFileError(file, 'has no "weightsManifest"');
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
          throw new ModelFileError(file, 'weightsManifest group without "paths" and "weights"');
        }
        specs.push(...group.weights);
        for (const p of group.paths) {
          if (typeof p !== 'string' || p.includes('..') || p.startsWith('/')) {
            throw new ModelFileError(file, `weight path ${JSON.stringify(p)} must be a plain file name next to model.json`);
          }
          const wfile = join(dir, p);
          try {
            buffers.push(await readFile(wfile));
          } catch (err) {
            throw new ModelFileError(wfile, `weights cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
          }
        }
      }
      const all = Buffer.concat(buffers);
      let expectedBytes = 0;
      for (const s of specs) {
        if (s.dtype !== 'float32' || !Array.isArray(s.shape)) {
          throw new ModelFileError(file, `weight ${s.name}: only float32 weights with a shape are supported`);
        }
        expectedBytes += 4 * s.shape.reduce((a, b) => a * b, 1);
      }
      if (all.length !== expectedBytes) {
        throw new ModelFileError(
          join(dir, json.weightsManifest[0]!.paths[0] ?? 'weights.bin'),
          `holds ${all.length} bytes but model.json's manifest needs ${expectedBytes} (truncated or from another model)`,
        );
      }
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
        userDefinedMetadata: json.userDefinedMetadata as { [key: string]: object } | undefined,
      };
    },
  };
}

/** An IOHandler writing model.json + weights.bin into `dir`. */
export function fileSaveHandler(dir: string, meta: ForecasterMeta): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      await mkdir(dir, { recursive: true });
      const data = artifacts.weightData;
      const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      await writeFile(join(dir, 'weights.bin'), bytes);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: { aiopsd: meta },
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
    },
  };
}

/** The aiopsd metadata of a model.json's userDefinedMetadata, checked; a ModelFileError naming `file` otherwise. */
function forecasterMeta(userDefinedMetadata: unknown, file: string): ForecasterMeta {
  const meta = (userDefinedMetadata as { aiopsd?: ForecasterMeta } | undefined)?.aiopsd;
  if (!meta || meta.format !== MODEL_FORMAT || !Number.isInteger(meta.inputPoints) || meta.inputPoints < 2) {
    throw new ModelFileError(file, `userDefinedMetadata.aiopsd must be { format: "${MODEL_FORMAT}", inputPoints, version } (written by aiopsd train)`);
  }
  return meta;
}

/** The metadata (format, inputPoints, version) of the forecaster in `dir`, without loading its weights. */
export async function readForecasterMeta(dir: string): Promise<ForecasterMeta> {
  const file = join(dir, 'model.json');
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw new ModelFileError(file, `cannot be read as JSON (${(err as Error).message})`);
  }
  return forecasterMeta(json.userDefinedMetadata, file);
}

/** Load a forecaster saved by `aiopsd train` from `dir`; a bad file is a ModelFileError naming it. */
export async function loadForecaster(dir: string): Promise<Forecaster> {
  const file = join(dir, 'model.json');
  const handler = fileLoadHandler(dir);
  const artifacts = await handler.load!();
  const meta = forecasterMeta(artifacts.userDefinedMetadata, file);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
  } catch (err) {
    throw new ModelFileError(file, `is not a loadable layers model (${(err as Error).message})`);
  }
  const shape = model.inputs[0]?.shape;
  if (!shape || shape.length !== 2 || shape[1] !== meta.inputPoints) {
    model.dispose();
    throw new ModelFileError(file, `model input shape ${JSON.stringify(shape)} does not match inputPoints ${meta.inputPoints}`);
  }
  return new Forecaster(model, meta);
}
