/** Experiment 13: seasonal-difference novelty (x_i − x_{i−season}) added to the default raw; weight × history × capacity; keep-new-max filter. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => excess(raw, h);
function lagNov(v: Float64Array, lag: number, cap = 16): Float64Array {
  const n = new IntervalNovelty(cap); const out = new Float64Array(v.length);
  for (let i = lag; i < v.length; i++) out[i] = n.update(v[i]! - v[i - lag]!);
  return out;
}
const B = (k: string, w = 1) => base[k]!.v.map((x, i) => x + w * base[k]!.e[i]!);
for (const season of [288, 144, 576]) for (const w of [0.25, 0.5, 0.75, 1]) for (const h of [15, 30]) {
  run(corpus, `season${season} w${w} hist${h}`, (v, k) => { const s = lagNov(v, season, 8); return exc(B(k).map((x, i) => x + w * s[i]!), h); });
}
for (const w of [0.5]) for (const h of [15, 20]) run(corpus, `season288 w${w} hist${h} no model`, (v, k) => { const s = lagNov(v, 288, 8); return exc(B(k, 0).map((x, i) => x + w * s[i]!), h); });
// finer sensitivity around the chosen point (season 288, w 0.5, history 15, capacity 8)
for (const h of [10, 15, 20]) for (const w of [0.4, 0.5, 0.6]) for (const cap of [8, 16])
  run(corpus, `fine season288 w${w} hist${h} cap${cap}`, (v, k) => { const s = lagNov(v, 288, cap); return exc(B(k).map((x, i) => x + w * s[i]!), h); });
for (const rw of [0.5, 1.5]) run(corpus, `fine season288 w0.5 hist15 resid w${rw}`, (v, k) => { const s = lagNov(v, 288, 8); return exc(B(k, rw).map((x, i) => x + 0.5 * s[i]!), 15); });
