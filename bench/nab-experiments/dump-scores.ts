/**
 * Dump per-row values, scores and windows of one forecaster (MODEL, default /tmp/e28/s42) over the NAB
 * subset as the daemon scores them, for plotting (analysis only): OUT=/tmp/an/s42.json.
 */
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../src/detect/backend.js';
import { loadConfig } from '../../src/config/load.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { rawFeatures, streamScores } from '../lib/stream-scores.js';
import { loadCorpus } from './harness.js';

await initBackend('wasm');
const det = new EnsembleDetector(await loadForecaster(process.env.MODEL ?? '/tmp/e28/s42'), ensembleOptions(loadConfig({ env: {} }).detect));
const out: Record<string, unknown> = {};
for (const f of await loadCorpus()) {
  const scores = streamScores(det, rawFeatures(det, f.values), (i) => f.times[i]!);
  out[f.key] = { values: Array.from(f.values), scores: Array.from(scores), windows: f.windows };
}
writeFileSync(process.env.OUT ?? '/tmp/an/s42.json', JSON.stringify(out));
