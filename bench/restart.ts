/**
 * What does a restart cost the detector? Its per-series state lives in memory, so a restarted daemon
 * relearns every series. 10 seeded daily series (level 100, amplitude 10–50, AR(1) noise sd 1–5) for 8
 * days, each with a contextual dip (10 points at trough level at the time of the daily peak) on days 5, 6
 * and 7; a "restart" at 00:00, 08:00 or 16:00 of day 5 starts a fresh state there, scored beside one that
 * has run since day 0. Prints JSON: points ≥ 0.95 away from the dips in the 48 h after the restart for
 * each, and how many dips each catches (score ≥ 0.95) by time since the restart.
 * Usage: npx tsx bench/restart.ts [--step 60] [--season-weight 0.5]
 * (--season-weight: detect.ensemble.seasonWeight, or a family's; how much the time-of-day term counts)
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/detect/backend.js';
import { EnsembleDetector } from '../src/detect/ensemble.js';
import { loadForecaster } from '../src/detect/model.js';
import { mulberry32 } from '../src/lib/random.js';
import { rawFeatures, streamScores } from './lib/stream-scores.js';

const THRESHOLD = 0.95; // the daemon's detect.threshold
const DIP_POINTS = 10;
const { values } = parseArgs({ options: { step: { type: 'string', default: '60' }, 'season-weight': { type: 'string', default: '0.5' } } });
const stepS = Number(values.step);
if (!Number.isInteger(stepS) || stepS < 1 || 86_400 % stepS !== 0) {
  throw new Error(`restart: --step must be a whole number of seconds dividing a day, not ${values.step}`);
}
const seasonWeight = Number(values['season-weight']);
if (!(seasonWeight >= 0 && seasonWeight <= 10)) throw new Error(`restart: --season-weight must be within 0..10, not ${values['season-weight']}`);
const perDay = 86_400 / stepS;
const days = 8;
const n = days * perDay;
const day0Ms = 1_699_920_000_000; // a UTC midnight

await initBackend('wasm');
const det = new EnsembleDetector(await loadForecaster(new URL('../models/default', import.meta.url).pathname), { windowPoints: 240, seasonWeight });

/** A seeded daily series with a contextual dip at the daily peak on days 5, 6 and 7; returns the values and the dips' first rows. */
function series(seed: number): { v: Float64Array; dips: number[] } {
  const rand = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const amp = 10 + rand() * 40;
  const noise = 1 + rand() * 4;
  const phase = 1.2;
  const v = new Float64Array(n);
  let ar = 0;
  for (let i = 0; i < n; i++) {
    ar = 0.7 * ar + gauss() * noise;
    v[i] = 100 + amp * Math.sin((2 * Math.PI * i) / perDay - phase) + ar;
  }
  const peakRow = Math.round(((Math.PI / 2 + phase) / (2 * Math.PI)) * perDay);
  const dips = [5, 6, 7].map((d) => d * perDay + peakRow);
  for (const p of dips) for (let i = p; i < p + DIP_POINTS; i++) v[i] = 100 - 0.2 * amp + gauss() * noise;
  return { v, dips };
}

const timeOf = (i: number): number => day0Ms + i * stepS * 1000;

const falsePoints = { continuous: 0, afterRestart: 0 };
const dipsCaught: Record<string, { dips: number; continuous: number; afterRestart: number }> = {};
let runs = 0;
for (let seed = 1; seed <= 10; seed++) {
  const { v, dips } = series(seed);
  const raw = rawFeatures(det, v);
  const continuous = streamScores(det, raw, timeOf);
  for (const restartHour of [0, 8, 16]) {
    runs++;
    const r0 = 5 * perDay + (restartHour * 3600) / stepS;
    const fresh = streamScores(det, raw, timeOf, r0);
    const nearDip = (i: number): boolean => dips.some((p) => i >= p && i < p + 3 * DIP_POINTS);
    for (let i = r0; i < Math.min(n, r0 + 2 * perDay); i++) {
      if (nearDip(i)) continue;
      if (continuous[i]! >= THRESHOLD) falsePoints.continuous++;
      if (fresh[i]! >= THRESHOLD) falsePoints.afterRestart++;
    }
    for (const p of dips.filter((d) => d >= r0)) {
      const hours = ((p - r0) * stepS) / 3600;
      const e = (dipsCaught[hours < 24 ? 'under24h' : hours < 48 ? '24to48h' : 'over48h'] ??= { dips: 0, continuous: 0, afterRestart: 0 });
      e.dips++;
      if (Math.max(...continuous.subarray(p, p + DIP_POINTS)) >= THRESHOLD) e.continuous++;
      if (Math.max(...fresh.subarray(p, p + DIP_POINTS)) >= THRESHOLD) e.afterRestart++;
    }
  }
}
console.log(JSON.stringify({ stepS, seasonWeight, runs, falsePointsIn48h: falsePoints, dipsCaught }));
