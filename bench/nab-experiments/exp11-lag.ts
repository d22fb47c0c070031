/** Experiment 11: novelty of the change over L rows (x_i − x_{i−L}), calibrated on its own and combined with the default by max; L and capacity sweep. */
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
const B = (k: string) => base[k]!.v.map((x, i) => x + base[k]!.e[i]!);
const V = (k: string) => base[k]!.v;
run(corpus, 'default', (_v, k) => exc(B(k)));
for (const lag of [4, 8, 12, 16, 24, 32, 48, 96]) {
  run(corpus, `lag${lag} max p`, (v, k) => { const c = exc(lagNov(v, lag)); return exc(B(k)).map((x, i) => Math.max(x, c[i]!)); });
  run(corpus, `lag${lag} mean p`, (v, k) => { const c = exc(lagNov(v, lag)); return exc(B(k)).map((x, i) => (x + c[i]!) / 2); });
}
for (const cap of [4, 8]) run(corpus, `lag24 cap${cap} max p`, (v, k) => { const c = exc(lagNov(v, 24, cap)); return exc(B(k)).map((x, i) => Math.max(x, c[i]!)); });
run(corpus, `lag24 max p, no model`, (v, k) => { const c = exc(lagNov(v, 24)); return exc(V(k)).map((x, i) => Math.max(x, c[i]!)); });
run(corpus, `lag24+lag288 w.5 max p`, (v, k) => { const c = exc(lagNov(v, 24)); const s = lagNov(v, 288); return exc(B(k).map((x, i) => x + 0.5 * s[i]!)).map((x, i) => Math.max(x, c[i]!)); });
