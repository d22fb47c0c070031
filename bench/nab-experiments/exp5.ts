/** Experiment 5: value novelty over all history (exact and interval-summary), diff novelty, model-residual novelty. */
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { initBackend } from '../../src/detect/backend.js';
import { loadForecaster } from '../../src/detect/model.js';
import { defaultModelDir } from '../../src/detect/registry.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
await initBackend('auto');
const fc = await loadForecaster(defaultModelDir());
const fcCache = new Map<string, Float64Array>();
const forecasts = (v: Float64Array, k: string): Float64Array => {
  if (!fcCache.has(k)) {
    const ws: Float64Array[] = [];
    for (let i = 0; i < v.length; i++) ws.push(v.subarray(Math.max(0, i - 64), i + 1));
    fcCache.set(k, fc.forecast(ws));
  }
  return fcCache.get(k)!;
};

/** distance of x_i to the nearest earlier value (exact, all history) / std of earlier values. */
function valNov(v: ArrayLike<number>, start = 1): Float64Array {
  const out = new Float64Array(v.length);
  let n = 0, mean = 0, m2 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (i >= start && n > 1) {
      let best = Infinity;
      for (let j = start - 1 > 0 ? start - 1 : 0; j < i; j++) best = Math.min(best, Math.abs(x - v[j]!));
      const sd = Math.sqrt(m2 / n) + 1e-9 + 1e-6 * Math.abs(mean);
      out[i] = i < 10 ? 0 : best / sd;
    }
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return out;
}
/** Interval summary version: at most C covered intervals, merging the smallest gap. */
function valNovIntervals(v: ArrayLike<number>, C: number): Float64Array {
  const out = new Float64Array(v.length);
  const a: number[] = [], b: number[] = [];
  let n = 0, mean = 0, m2 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    // position
    let k = 0;
    while (k < a.length && a[k]! <= x) k++; // a[k-1] <= x < a[k]
    let dist = Infinity;
    if (k > 0) dist = Math.min(dist, Math.max(0, x - b[k - 1]!));
    if (k < a.length) dist = Math.min(dist, a[k]! - x);
    if (n > 1 && i >= 10) out[i] = dist / (Math.sqrt(m2 / n) + 1e-9 + 1e-6 * Math.abs(mean));
    if (dist > 0) {
      a.splice(k, 0, x);
      b.splice(k, 0, x);
      if (a.length > C) {
        let g = 0, best = Infinity;
        for (let j = 0; j + 1 < a.length; j++) if (a[j + 1]! - b[j]! < best) { best = a[j + 1]! - b[j]!; g = j; }
        b[g] = b[g + 1]!;
        a.splice(g + 1, 1);
        b.splice(g + 1, 1);
      }
    }
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return out;
}
const excess = (raw: Float64Array, h = 30): Float64Array => {
  const c = new ExcessCalibrator({ historyPoints: h });
  return raw.map((r) => c.update(r));
};
const diff = (v: Float64Array): Float64Array => v.map((x, i) => (i === 0 ? 0 : x - v[i - 1]!));
const resid = (v: Float64Array, k: string): Float64Array => { const f = forecasts(v, k); return v.map((x, i) => x - f[i]!); };
const maxOf = (...xs: Float64Array[]): Float64Array => xs[0]!.map((_, i) => Math.max(...xs.map((x) => x[i]!)));
const cache = new Map<string, Float64Array>();
const c = (name: string, k: string, f: () => Float64Array): Float64Array => cache.get(name + k) ?? (cache.set(name + k, f()), cache.get(name + k)!);
const V = (v: Float64Array, k: string) => c('v', k, () => valNov(v));
const D = (v: Float64Array, k: string) => c('d', k, () => valNov(diff(v), 2));
const E = (v: Float64Array, k: string) => c('e', k, () => valNov(resid(v, k), 2));
for (const h of [10, 30, 100]) run(corpus, `value-novelty exact excess${h}`, (v, k) => excess(V(v, k), h));
for (const C of [16, 32, 64]) run(corpus, `value-novelty intervals${C} excess30`, (v) => excess(valNovIntervals(v, C)));
run(corpus, 'diff-novelty excess30', (v, k) => excess(D(v, k)));
run(corpus, 'resid-novelty excess30', (v, k) => excess(E(v, k)));
run(corpus, 'max(value, diff) excess30', (v, k) => maxOf(excess(V(v, k)), excess(D(v, k))));
run(corpus, 'max(value, resid) excess30', (v, k) => maxOf(excess(V(v, k)), excess(E(v, k))));
run(corpus, 'value+resid raw excess30', (v, k) => excess(V(v, k).map((x, i) => x + E(v, k)[i]!)));
run(corpus, 'value*(1+resid) raw excess30', (v, k) => excess(V(v, k).map((x, i) => x * (1 + E(v, k)[i]!))));
run(corpus, 'sqrt(value*resid) excess30', (v, k) => excess(V(v, k).map((x, i) => Math.sqrt(x * E(v, k)[i]!))));

// Post-processing variants of value + residual novelty (interval summaries of 32).
const Vi = (v: Float64Array, k: string) => c('vi', k, () => valNovIntervals(v, 32));
const Ei = (v: Float64Array, k: string) => c('ei', k, () => valNovIntervals(resid(v, k), 32));
const keepNewMax = (p: Float64Array, R: number): Float64Array => {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    let mx = 0;
    for (let j = Math.max(0, i - R); j < i; j++) if (out[j]! > mx) mx = out[j]!;
    out[i] = p[i]! > mx ? p[i]! : 0;
  }
  return out;
};
const sum = (v: Float64Array, k: string, w = 1) => Vi(v, k).map((x, i) => x + w * Ei(v, k)[i]!);
for (const h of [10, 30, 60]) run(corpus, `value+resid excess${h}`, (v, k) => excess(sum(v, k), h));
for (const w of [0.5, 2]) run(corpus, `value+${w}resid excess30`, (v, k) => excess(sum(v, k, w), 30));
for (const R of [30, 100, 300]) run(corpus, `value+resid excess30 keepNewMax${R}`, (v, k) => keepNewMax(excess(sum(v, k), 30), R));
