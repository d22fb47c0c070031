/** Experiment 3: calibration / post-processing variants on NN novelty (multi-scale). */
import { novelty, windowStd } from '../../src/detect/features.js';
import { Calibrator, ExcessCalibrator } from '../../src/detect/calibrate.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
const cache = new Map<string, Float64Array>();
function nn(values: Float64Array, key: string, m: number, win = 2000): Float64Array {
  const ck = `${key}|${m}|${win}`;
  const hit = cache.get(ck);
  if (hit) return hit;
  const out = new Float64Array(values.length);
  for (let i = 10; i < values.length; i++) {
    const w = values.subarray(Math.max(0, i - win + 1), i + 1);
    out[i] = novelty(w, m) / windowStd(w, w.length - 1);
  }
  cache.set(ck, out);
  return out;
}
const excess = (raw: Float64Array, h = 100, tau = 1): Float64Array => {
  const c = new ExcessCalibrator({ historyPoints: h, tau });
  return raw.map((r) => c.update(r));
};
/** threshold-agnostic suppression: keep p only when it exceeds every kept output of the last R rows. */
const keepNewMax = (p: Float64Array, R: number): Float64Array => {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    let mx = 0;
    for (let j = Math.max(0, i - R); j < i; j++) if (out[j]! > mx) mx = out[j]!;
    out[i] = p[i]! > mx ? p[i]! : 0;
  }
  return out;
};
const htm = (raw: Float64Array, short = 1, hist = 2000): Float64Array => {
  const c = new Calibrator({ shortPoints: short, historyPoints: hist, learningPoints: 100 });
  return raw.map((r) => c.update(r));
};
const max2 = (a: Float64Array, b: Float64Array): Float64Array => a.map((x, i) => Math.max(x, b[i]!));

run(corpus, 'nn4 excess100', (v, k) => excess(nn(v, k, 4)));
for (const h of [200, 400, 1000]) run(corpus, `nn4 excess${h}`, (v, k) => excess(nn(v, k, 4), h));
for (const R of [50, 150, 400]) run(corpus, `nn4 excess100 keepNewMax${R}`, (v, k) => keepNewMax(excess(nn(v, k, 4)), R));
for (const m of [2, 8, 16]) run(corpus, `nn${m} excess100`, (v, k) => excess(nn(v, k, m)));
run(corpus, 'max(nn4,nn8) excess100', (v, k) => max2(excess(nn(v, k, 4)), excess(nn(v, k, 8))));
run(corpus, 'max(nn2,nn4,nn8) excess100', (v, k) => max2(excess(nn(v, k, 2)), max2(excess(nn(v, k, 4)), excess(nn(v, k, 8)))));
for (const s of [1, 4]) run(corpus, `nn4 htm short${s}`, (v, k) => htm(nn(v, k, 4), s));
for (const s of [1, 4]) for (const R of [150]) run(corpus, `nn4 htm short${s} keepNewMax${R}`, (v, k) => keepNewMax(htm(nn(v, k, 4), s), R));
