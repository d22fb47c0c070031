/** Experiment 15 (on ensemble-3 raw): FP reduction — decayed long-term max in the calibrator, echo-free seasonal difference (nearest of K seasons), keep-new-max filter. */
import { loadCorpus, run } from './harness.js';
import { excess, seasNearest, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
const R3 = (k: string, sw = 0.5, s?: Float64Array) => base[k]!.v.map((x, i) => x + base[k]!.e[i]! + sw * (s ? s[i]! : base[k]!.s[i]!));
run(corpus, 'ensemble-3', (_v, k) => exc(R3(k)));
/** excess over max(recent max, gamma × long max decayed by `decay` per row). */
function excLong(raw: number[], h: number, gamma: number, decay: number): Float64Array {
  const out = new Float64Array(raw.length); const ring: number[] = []; let lm = 0;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    if (ring.length >= 10) { const ex = r - Math.max(Math.max(...ring), gamma * lm); out[i] = ex > 0 ? 1 - Math.exp(-ex) : 0; }
    ring.push(r); if (ring.length > h) ring.shift();
    lm = Math.max(lm * decay, r);
  }
  return out;
}
for (const g of [0.25, 0.5, 0.75]) for (const d of [0.99, 0.999, 0.9999]) run(corpus, `longmax g${g} d${d}`, (_v, k) => excLong(R3(k), 15, g, d));
for (const K of [2, 3]) run(corpus, `season nearest of ${K}`, (v, k) => exc(R3(k, 0.5, seasNearest(v, 288, K))));
const keepNewMax = (p: Float64Array, R: number): Float64Array => {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) { let mx = 0; for (let j = Math.max(0, i - R); j < i; j++) if (out[j]! > mx) mx = out[j]!; out[i] = p[i]! > mx ? p[i]! : 0; }
  return out;
};
for (const R of [15, 30, 100]) run(corpus, `keepNewMax ${R}`, (_v, k) => keepNewMax(exc(R3(k)), R));
