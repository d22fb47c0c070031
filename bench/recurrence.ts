/**
 * Does the default detector catch the same outage twice? A daily request rate (100 ± 20, noise sd 3) at
 * 1-minute steps for 30 days with the same 20-minute drop to 5 % on days 3, 6, 12 and 24, scored as the
 * daemon scores it (shipped forecaster, 240-point windows, timestamps). Prints JSON: each outage's highest
 * score over its first 5 points, and the points ≥ 0.95 away from any outage after day 1, for each
 * horizon given (hours; 0 = never forget, the default). models/MODEL_CARD.md, "Forgetting".
 * Usage: npx tsx bench/recurrence.ts [--horizons 0,192]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/detect/backend.js';
import { EnsembleDetector } from '../src/detect/ensemble.js';
import { loadForecaster } from '../src/detect/model.js';
import { mulberry32 } from '../src/lib/random.js';
import { rawFeatures, streamScores } from './lib/stream-scores.js';

const { values } = parseArgs({ options: { horizons: { type: 'string', default: '0,192' } } });
const horizons = values.horizons.split(',').map(Number);
if (horizons.some((h) => !Number.isFinite(h) || h < 0)) throw new Error(`recurrence: --horizons takes hours ≥ 0, comma-separated, not ${values.horizons}`);

const rand = mulberry32(1);
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const perDay = 1440;
const n = 30 * perDay;
const outages = [3, 6, 12, 24].map((d) => d * perDay + 600);
const v = new Float64Array(n);
for (let i = 0; i < n; i++) {
  v[i] = 100 + 20 * Math.sin((2 * Math.PI * i) / perDay) + 3 * gauss();
  if (outages.some((s) => i >= s && i < s + 20)) v[i] = 5 + gauss();
}

await initBackend('wasm');
const forecaster = await loadForecaster(new URL('../models/default', import.meta.url).pathname);
const results = [];
for (const horizonHours of horizons) {
  const det = new EnsembleDetector(forecaster, { windowPoints: 240, noveltyHorizonMs: horizonHours * 3_600_000 });
  const scores = streamScores(det, rawFeatures(det, v), (i) => 1_700_000_000_000 + i * 60_000);
  const near = (i: number): boolean => outages.some((o) => i >= o && i < o + 40);
  let falsePoints = 0;
  for (let i = perDay; i < n; i++) if (scores[i]! >= 0.95 && !near(i)) falsePoints++;
  results.push({
    horizonHours,
    outageDays: outages.map((o) => o / perDay | 0),
    outageScores: outages.map((o) => Math.round(Math.max(...scores.subarray(o, o + 5)) * 1000) / 1000),
    falsePoints,
  });
}
console.log(JSON.stringify({ detector: `ensemble/${forecaster.meta.version}`, results }));
