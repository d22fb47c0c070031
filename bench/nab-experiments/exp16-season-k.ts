/** Experiment 16: seasonal difference against K earlier seasons (nearest or median), weight sweep, with/without the model. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
function seasK(v: Float64Array, p: number, K: number, mode: 'nearest' | 'median', cap = 8): Float64Array {
  const n = new IntervalNovelty(cap); const out = new Float64Array(v.length); const d: number[] = [];
  for (let i = p; i < v.length; i++) {
    d.length = 0;
    for (let c = 1; c <= K && i - c * p >= 0; c++) d.push(v[i]! - v[i - c * p]!);
    let x: number;
    if (mode === 'nearest') x = d.reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
    else { d.sort((a, b) => a - b); x = d.length % 2 ? d[d.length >> 1]! : (d[d.length / 2 - 1]! + d[d.length / 2]!) / 2; }
    out[i] = n.update(x);
  }
  return out;
}
const cache = new Map<string, Float64Array>();
const S = (v: Float64Array, k: string, p: number, K: number, mode: 'nearest' | 'median') => {
  const key = `${k}|${p}|${K}|${mode}`; if (!cache.has(key)) cache.set(key, seasK(v, p, K, mode)); return cache.get(key)!;
};
const R = (k: string, s: Float64Array, w: number, em = 1) => base[k]!.v.map((x, i) => x + em * base[k]!.e[i]! + w * s[i]!);
for (const mode of ['nearest', 'median'] as const) for (const K of [2, 3]) for (const w of [0.3, 0.5, 0.7, 1]) for (const h of [15])
  run(corpus, `${mode}${K} w${w} h${h}`, (v, k) => exc(R(k, S(v, k, 288, K, mode), w), h));
for (const h of [10, 20, 30]) run(corpus, `nearest3 w0.5 h${h}`, (v, k) => exc(R(k, S(v, k, 288, 3, 'nearest'), 0.5), h));
for (const p of [144, 576]) run(corpus, `nearest3 p${p} w0.5 (K·p capped by the series)`, (v, k) => exc(R(k, S(v, k, p, p === 576 ? 1 : 3, 'nearest'), 0.5)));
run(corpus, `nearest3 w0.5 NO MODEL`, (v, k) => exc(R(k, S(v, k, 288, 3, 'nearest'), 0.5, 0)));
