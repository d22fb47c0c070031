/** Experiment 18 (ensemble-3 nearest-of-3): weights of the value / residual terms, novelty capacities, robust scale for the value novelty. */
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
const nov = (x: ArrayLike<number>, cap: number, from = 0) => { const n = new IntervalNovelty(cap); return Float64Array.from(x as number[], (y, i) => (i < from ? 0 : n.update(y))); };
const S = new Map<string, Float64Array>();
for (const f of corpus) S.set(f.key, seasNearest(f.values, 288, 3));
for (const wv of [0.5, 1, 1.5]) for (const we of [0.5, 1, 1.5]) run(corpus, `wv${wv} we${we}`, (_v, k) => exc(base[k]!.v.map((x, i) => wv * x + we * base[k]!.e[i]! + 0.5 * S.get(k)![i]!)));
for (const cap of [8, 32]) run(corpus, `value/resid capacity ${cap}`, (v, k) => { const vn = nov(v, cap), en = nov(v.map((x, i) => x - base[k]!.f[i]!), cap, 1); return exc(vn.map((x, i) => x + en[i]! + 0.5 * S.get(k)![i]!)); });
