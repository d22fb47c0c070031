import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendPreference } from './backend.js';
import { EnsembleDetector, type EnsembleOptions } from './ensemble.js';
import { Forecaster, loadForecaster } from './model.js';
import { applyWeights, type ModelWeights } from './weights.js';

/** Worker side of pool.ts: loads the model once, then answers raw-score batches. */
export interface PoolWorkerData {
  readonly modelDir: string | null;
  readonly backend: BackendPreference;
  readonly options: EnsembleOptions;
  /** Weights replacing the model directory's (a fine-tuned forecaster); null: the directory's own. */
  readonly weights?: ModelWeights | null;
}

export interface PoolTask {
  readonly id: number;
  /** Packed points; window i is values[starts[i], ends[i]). Windows of one series overlap and share their points. */
  readonly values: Float64Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly attempt: number;
  /** Test hook: busy-wait this long on the first attempt (to simulate a stuck worker). */
  readonly testDelayMs?: number;
  /** Test hook: exit the thread on the first attempt (to simulate a crash). */
  readonly testCrash?: boolean;
}

const data = workerData as PoolWorkerData;
const port = parentPort!;

async function main(): Promise<void> {
  const backend = await initBackend(data.backend);
  const forecaster = data.modelDir === null ? null : withWeights(await loadForecaster(data.modelDir), data.weights ?? null);
  const detector = new EnsembleDetector(forecaster, data.options);
  port.on('message', (task: PoolTask) => {
    try {
      if (task.attempt === 0 && task.testCrash === true) process.exit(3);
      if (task.attempt === 0 && task.testDelayMs !== undefined) {
        const until = Date.now() + task.testDelayMs;
        while (Date.now() < until) {
          /* stuck */
        }
      }
      const windows: Float64Array[] = [];
      for (let i = 0; i < task.starts.length; i++) windows.push(task.values.subarray(task.starts[i]!, task.ends[i]!));
      const { raw, expected } = detector.raw(windows);
      port.postMessage({ id: task.id, raw, expected }, [raw.buffer as ArrayBuffer, expected.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ id: task.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ ready: true, backend, version: detector.version });
}

/** The loaded forecaster with fine-tuned weights in place, answering to their version. */
function withWeights(forecaster: Forecaster, weights: ModelWeights | null): Forecaster {
  if (weights === null) return forecaster;
  applyWeights(forecaster.model, weights);
  return new Forecaster(forecaster.model, { ...forecaster.meta, version: weights.version });
}

main().catch((err: unknown) => {
  port.postMessage({ fatal: err instanceof Error ? err.message : String(err) });
});
