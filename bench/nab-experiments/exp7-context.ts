/**
 * Experiment 7: contextual novelty written from the idea of a context detector (not ported): discretise the
 * value on a causal grid, learn which (recent discretised values → next discretised value) transitions the
 * series has shown, score the share of unseen transitions over several context orders.
 */
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');

interface CtxOpts { bins: number; orders: number; regrow: number; skip?: number }
/** raw context novelty per row (0..1): share of context orders whose transition is unseen. */
function ctxNovelty(v: Float64Array, o: CtxOpts): Float64Array {
  const out = new Float64Array(v.length);
  let lo = Infinity, hi = -Infinity, h = 0, origin = 0;
  const seen = new Set<number>();
  const hist: number[] = [];
  let quiet = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) continue;
    lo = Math.min(lo, x); hi = Math.max(hi, x);
    const range = hi - lo;
    if (h === 0 || range / h > o.regrow * o.bins) {
      if (range <= 0) continue;
      h = range / o.bins; origin = lo; seen.clear(); hist.length = 0; quiet = o.skip ?? 0;
    }
    const b = Math.floor((x - origin) / h);
    hist.push(b);
    if (hist.length > o.orders + 1) hist.shift();
    let unseen = 0, tot = 0;
    let key = (b * 2654435761) | 0;
    for (let k = 1; k <= o.orders && k < hist.length; k++) {
      key = Math.imul(key ^ (hist[hist.length - 1 - k]! + 0x9e3779b9), 0x85ebca6b) ^ k;
      tot++;
      if (!seen.has(key)) { unseen++; seen.add(key); }
    }
    out[i] = quiet > 0 ? 0 : tot ? unseen / tot : 0;
    if (quiet > 0) quiet--;
  }
  return out;
}
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => excess(raw, h);
const baseP = (k: string) => exc(base[k]!.v.map((x, i) => x + base[k]!.e[i]!));
run(corpus, 'default', (_v, k) => baseP(k));
for (const bins of [8, 16, 32]) for (const orders of [1, 3, 6]) {
  const o = { bins, orders, regrow: 2 };
  run(corpus, `ctx b${bins} o${orders} alone exc30`, (v) => exc(ctxNovelty(v, o)));
  run(corpus, `ctx b${bins} o${orders} max(default)`, (v, k) => { const a = baseP(k), c = exc(ctxNovelty(v, o)); return a.map((x, i) => Math.max(x, c[i]!)); });
  run(corpus, `ctx b${bins} o${orders} raw add`, (v, k) => { const c = ctxNovelty(v, o); return exc(base[k]!.v.map((x, i) => x + base[k]!.e[i]! + c[i]!)); });
}
