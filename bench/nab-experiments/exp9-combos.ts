/** Experiment 9: context novelty (exp7) and seasonal-difference novelty added to the default raw, weight/bins sweep. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => excess(raw, h);
function ctxNovelty(v: Float64Array, bins: number, orders: number, regrow = 2): Float64Array {
  const out = new Float64Array(v.length);
  let lo = Infinity, hi = -Infinity, h = 0, origin = 0;
  const seen = new Set<number>();
  const hist: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    lo = Math.min(lo, x); hi = Math.max(hi, x);
    const range = hi - lo;
    if (h === 0 || range / h > regrow * bins) {
      if (range <= 0) continue;
      h = range / bins; origin = lo; seen.clear(); hist.length = 0;
    }
    hist.push(Math.floor((x - origin) / h));
    if (hist.length > orders + 1) hist.shift();
    let unseen = 0, tot = 0;
    let key = (hist[hist.length - 1]! * 2654435761) | 0;
    for (let k = 1; k <= orders && k < hist.length; k++) {
      key = Math.imul(key ^ (hist[hist.length - 1 - k]! + 0x9e3779b9), 0x85ebca6b) ^ k;
      tot++;
      if (!seen.has(key)) { unseen++; seen.add(key); }
    }
    out[i] = tot ? unseen / tot : 0;
  }
  return out;
}
function lagNov(v: Float64Array, lag: number): Float64Array {
  const n = new IntervalNovelty(16); const out = new Float64Array(v.length);
  for (let i = lag; i < v.length; i++) out[i] = n.update(v[i]! - v[i - lag]!);
  return out;
}
const B = (k: string) => base[k]!.v.map((x, i) => x + base[k]!.e[i]!);
run(corpus, 'default', (_v, k) => exc(B(k)));
for (const bins of [4, 6, 8, 10, 12]) for (const orders of [1, 2]) for (const w of [0.5, 1, 2]) {
  run(corpus, `ctx b${bins} o${orders} w${w}`, (v, k) => { const c = ctxNovelty(v, bins, orders); return exc(B(k).map((x, i) => x + w * c[i]!)); });
}
for (const regrow of [1.5, 4]) run(corpus, `ctx b8 o1 w1 regrow${regrow}`, (v, k) => { const c = ctxNovelty(v, 8, 1, regrow); return exc(B(k).map((x, i) => x + c[i]!)); });
for (const lag of [288, 24]) for (const w of [0.5, 1]) {
  run(corpus, `lag${lag} nov w${w}`, (v, k) => { const c = lagNov(v, lag); return exc(B(k).map((x, i) => x + w * c[i]!)); });
  run(corpus, `lag${lag} max p`, (v, k) => { const c = exc(lagNov(v, lag)); return exc(B(k)).map((x, i) => Math.max(x, c[i]!)); });
}
