/** Dump per-row values, scores and windows of one forecaster seed for plotting (analysis only). */
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../src/detect/backend.js';
import { loadConfig } from '../../src/config/load.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { loadCorpus } from './harness.js';

await initBackend('wasm');
const options = ensembleOptions(loadConfig({ env: {} }).detect);
const det = new EnsembleDetector(await loadForecaster(process.env.MODEL ?? '/tmp/e28/s42'), options);
const out: Record<string, unknown> = {};
for (const f of await loadCorpus()) {
  const n = f.values.length;
  const wins: Float64Array[] = [];
  for (let i = 0; i < n; i++) wins.push(f.values.subarray(Math.max(0, i - 239), i + 1));
  const b = det.raw(wins);
  const st = det.createState();
  const res = { score: 0, component: '' };
  const scores: number[] = [];
  for (let i = 0; i < n; i++) scores.push(st.update(b.raw, i, res, f.times[i]).score);
  out[f.key] = { values: Array.from(f.values), scores, expected: Array.from(b.expected), windows: f.windows };
}
writeFileSync(process.env.OUT ?? '/tmp/an/s42.json', JSON.stringify(out));
