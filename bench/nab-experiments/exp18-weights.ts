/** Experiment 18 (ensemble-3 nearest-of-3): weights of the value / residual terms, novelty capacities, robust scale for the value novelty. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, seasNearest, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
const nov = (x: ArrayLike<number>, cap: number, from = 0) => { const n = new IntervalNovelty(cap); return Float64Array.from(x as number[], (y, i) => (i < from ? 0 : n.update(y))); };
const S = new Map<string, Float64Array>();
for (const f of corpus) S.set(f.key, seasNearest(f.values, 288, 3));
for (const wv of [0.5, 1, 1.5]) for (const we of [0.5, 1, 1.5]) run(corpus, `wv${wv} we${we}`, (_v, k) => exc(base[k]!.v.map((x, i) => wv * x + we * base[k]!.e[i]! + 0.5 * S.get(k)![i]!)));
for (const cap of [8, 32]) run(corpus, `value/resid capacity ${cap}`, (v, k) => { const vn = nov(v, cap), en = nov(v.map((x, i) => x - base[k]!.f[i]!), cap, 1); return exc(vn.map((x, i) => x + en[i]! + 0.5 * S.get(k)![i]!)); });
