/**
 * Does one threshold mean the same thing on every series? Anomaly-free ("null") series of different
 * shapes and scales, scored as the daemon scores them (shipped forecaster, 240-point windows, one point a
 * minute); for each kind, the points at or above each threshold per 1 000 scored points (after a 100-point
 * warm-up). The issue asks for a score calibrated "so one threshold means the same thing on every series":
 * this is how close that comes. And, so that a quiet detector cannot pass for a calibrated one, the share
 * of one-point spikes of 8 standard deviations (one per series, after point 2 000) scoring ≥ 0.95.
 * Prints JSON.
 * Usage: npx tsx bench/null-rates.ts [--points 5000] [--seeds 10] [--contextual-repeats false]
 * (--contextual-repeats false: ensemble-9's scoring, without ensemble-10's contextual repeats.)
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/detect/backend.js';
import { EnsembleDetector } from '../src/detect/ensemble.js';
import { loadForecaster } from '../src/detect/model.js';
import { nullSeries, NULL_SERIES_KINDS } from './lib/null-series.js';
import { rawFeatures, streamScores } from './lib/stream-scores.js';

const { values } = parseArgs({ options: { points: { type: 'string', default: '5000' }, seeds: { type: 'string', default: '10' }, 'contextual-repeats': { type: 'string', default: 'true' } } });
const points = Number(values.points);
const seeds = Number(values.seeds);
if (!Number.isInteger(points) || points < 200) throw new Error(`null-rates: --points must be an integer ≥ 200, not ${values.points}`);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`null-rates: --seeds must be a positive integer, not ${values.seeds}`);
const repeats = values['contextual-repeats'];
if (repeats !== 'true' && repeats !== 'false') throw new Error(`null-rates: --contextual-repeats must be true or false, not ${repeats}`);
const WARMUP = 100;
const THRESHOLDS = [0.9, 0.95, 0.99];

await initBackend('wasm');
const det = new EnsembleDetector(await loadForecaster(new URL('../models/default', import.meta.url).pathname), { windowPoints: 240, contextualRepeats: repeats === 'true' });

function sd(v: Float64Array): number {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
}

/** Streaming scores of `v` at one point a minute, as the daemon scores them. */
const scoresOf = (v: Float64Array): Float64Array => streamScores(det, rawFeatures(det, v), (i) => 1_700_000_000_000 + i * 60_000);

const rows = [];
for (const kind of NULL_SERIES_KINDS) {
  const hits = THRESHOLDS.map(() => 0);
  let scored = 0;
  let spikesCaught = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const v = nullSeries(kind, points, seed);
    const spikeAt = Math.min(points - 1, 2000 + seed * 97);
    const spiked = v.slice();
    spiked[spikeAt] = v[spikeAt]! + 8 * sd(v.subarray(0, 1000));
    if (scoresOf(spiked.subarray(0, spikeAt + 1))[spikeAt]! >= 0.95) spikesCaught++;
    for (const score of scoresOf(v).subarray(WARMUP)) {
      scored++;
      THRESHOLDS.forEach((t, k) => {
        if (score >= t) hits[k]!++;
      });
    }
  }
  rows.push({ kind, scored, per1000: Object.fromEntries(THRESHOLDS.map((t, k) => [t, Math.round((hits[k]! / scored) * 1e5) / 100])), spikesCaught: `${spikesCaught}/${seeds}` });
}
console.log(JSON.stringify({ detector: det.version, contextualRepeats: repeats === 'true', pointsPerSeries: points, seeds, rows }));
