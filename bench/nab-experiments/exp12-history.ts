/** Experiment 12: calibration history length × residual weight × soft rest period (flatness check). */
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => excess(raw, h);
const B = (k: string, w = 1) => base[k]!.v.map((x, i) => x + w * base[k]!.e[i]!);
for (const h of [5, 8, 10, 12, 15, 20, 30]) for (const w of [0, 0.5, 1, 1.5]) run(corpus, `hist${h} resid w${w}`, (_v, k) => exc(B(k, w), h));
