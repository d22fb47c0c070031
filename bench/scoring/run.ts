/**
 * Scoring throughput of the default ensemble (TF.js forecaster + features). Prints JSON:
 *  - pool.windowsPerSec: windows/s through the worker pool (one worker per core), median of runs;
 *  - pool.p99BatchMs: p99 latency of one batch through the pool;
 *  - modelOnly: forecaster-only windows/s in-process for WASM and CPU backends and their ratio.
 * Usage: npx tsx bench/scoring/run.ts [--windows 240] [--batch 2048] [--runs 3] [--model DIR]
 * (--model: another forecaster directory, e.g. to compare two shapes in one sitting; default models/default)
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/detect/backend.js';
import { loadForecaster } from '../../src/detect/model.js';
import { ScoringPool } from '../../src/detect/pool.js';
import { defaultModelDir } from '../../src/detect/registry.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const modelArg = process.argv.indexOf('--model');
const modelDir = modelArg > 0 ? process.argv[modelArg + 1]! : defaultModelDir();
const windowPoints = arg('windows', 240);
const batch = arg('batch', 2048);
const runs = arg('runs', 3);
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const p99 = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(0.99 * a.length))]!;

function makeWindows(n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) out.push(Float64Array.from({ length: windowPoints }, (_, k) => 10 + Math.sin((k + i) / 9) + ((k * 7919 + i) % 13) / 50));
  return out;
}

const windows = makeWindows(batch);
const workers = availableParallelism();
const pool = new ScoringPool({ modelDir, backend: 'auto', options: { windowPoints, computeComponents: ['model'] }, workers, timeoutMs: 60_000 });
await pool.ready();
await pool.raw(windows); // warm-up
const rates: number[] = [];
const lat: number[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  let done = 0;
  for (let b = 0; b < 8; b++) {
    const s = performance.now();
    await pool.raw(windows);
    lat.push(performance.now() - s);
    done += windows.length;
  }
  rates.push(done / ((performance.now() - t0) / 1000));
}
const poolBackend = pool.backend;
await pool.close();

let modelVersion = '';
async function modelRate(backend: 'wasm' | 'cpu'): Promise<number> {
  const got = await initBackend(backend);
  if (got !== backend) throw new Error(`backend ${backend} unavailable`);
  const f = await loadForecaster(modelDir);
  modelVersion = f.meta.version;
  f.forecast(windows);
  const rs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let b = 0; b < 4; b++) f.forecast(windows);
    rs.push((4 * windows.length) / ((performance.now() - t0) / 1000));
  }
  f.dispose();
  return median(rs);
}
const wasm = await modelRate('wasm');
const cpu = await modelRate('cpu');
process.stdout.write(
  JSON.stringify(
    {
      model: modelVersion,
      windowPoints,
      batch,
      runs,
      pool: { workers, backend: poolBackend, windowsPerSec: Math.round(median(rates)), p99BatchMs: Math.round(p99(lat) * 10) / 10 },
      modelOnly: { wasmWindowsPerSec: Math.round(wasm), cpuWindowsPerSec: Math.round(cpu), wasmOverCpu: Math.round((wasm / cpu) * 100) / 100 },
      tfjs: tf.version.tfjs,
    },
    null,
    2,
  ) + '\n',
);
