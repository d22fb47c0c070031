/** Experiment 17 (ensemble-3 with nearest-of-3 seasonal difference): rest period after firing; damping by the series' rate of earlier firings. */
import { readFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
const base = JSON.parse(readFileSync('/tmp/e3/base3.json', 'utf8')) as Record<string, { f: number[]; v: number[]; e: number[]; s: number[] }>;
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => { const c = new ExcessCalibrator({ historyPoints: h }); return Float64Array.from(raw as number[], (r) => c.update(r)); };
function seasNearest(v: Float64Array, p: number, K: number, cap = 8): Float64Array {
  const n = new IntervalNovelty(cap); const out = new Float64Array(v.length);
  for (let i = p; i < v.length; i++) {
    let best = v[i]! - v[i - p]!;
    for (let c = 2; c <= K && i - c * p >= 0; c++) { const d = v[i]! - v[i - c * p]!; if (Math.abs(d) < Math.abs(best)) best = d; }
    out[i] = n.update(best);
  }
  return out;
}
const P = new Map<string, Float64Array>();
for (const f of corpus) { const s = seasNearest(f.values, 288, 3); P.set(f.key, exc(base[f.key]!.v.map((x, i) => x + base[f.key]!.e[i]! + 0.5 * s[i]!))); }
run(corpus, 'ensemble-3 nearest3', (_v, k) => P.get(k)!);
run(corpus, 'cap16 nearest3', (v, k) => { const s = seasNearest(v, 288, 3, 16); return exc(base[k]!.v.map((x, i) => x + base[k]!.e[i]! + 0.5 * s[i]!)); });
for (const q of [0.5, 0.8]) for (const R of [30, 100, 300]) run(corpus, `rest q${q} R${R}`, (_v, k) => {
  const p = P.get(k)!; const o = new Float64Array(p.length); let last = -1e9;
  for (let i = 0; i < p.length; i++) { o[i] = i - last <= R ? 0 : p[i]!; if (p[i]! >= q) last = i; }
  return o;
});
for (const q of [0.5, 0.8]) for (const a of [0.1, 0.3, 1]) run(corpus, `rate-damp q${q} a${a}`, (_v, k) => {
  const p = P.get(k)!; const o = new Float64Array(p.length); let ev = 0;
  for (let i = 0; i < p.length; i++) { const rate = (1000 * ev) / (i + 1); o[i] = Math.pow(p[i]!, 1 + a * rate); if (p[i]! >= q) ev++; }
  return o;
});
