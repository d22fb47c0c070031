/**
 * Experiment 21 (ensemble-3 nearest-of-3): weight the seasonal-difference novelty by the series' seasonality
 * strength g = clamp(1 − a·var(seasonal difference)/var(value), 0, 1) (running variances; parameter-free at a = 1).
 */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
/** seasonal-difference novelty and the running variance ratio var(diff)/var(x) at each row (before the row joins). */
function seas(v: Float64Array, p: number, K: number): { nov: Float64Array; ratio: Float64Array } {
  const n = new IntervalNovelty(8); const nov = new Float64Array(v.length); const ratio = new Float64Array(v.length).fill(1);
  let nx = 0, mx = 0, m2x = 0, nd = 0, md = 0, m2d = 0;
  for (let i = 0; i < v.length; i++) {
    if (i >= p) {
      let best = v[i]! - v[i - p]!;
      for (let c = 2; c <= K && i - c * p >= 0; c++) { const d = v[i]! - v[i - c * p]!; if (Math.abs(d) < Math.abs(best)) best = d; }
      if (nd > 1 && nx > 1) ratio[i] = (m2d / nd) / (m2x / nx + 1e-300);
      nov[i] = n.update(best);
      nd++; const dd = best - md; md += dd / nd; m2d += dd * (best - md);
    }
    nx++; const dx = v[i]! - mx; mx += dx / nx; m2x += dx * (v[i]! - mx);
  }
  return { nov, ratio };
}
const SS = new Map<string, { nov: Float64Array; ratio: Float64Array }>();
for (const f of corpus) SS.set(f.key, seas(f.values, 288, 3));
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
const clamp = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
for (const w of [0.5, 1]) for (const a of [0, 0.5, 1, 2]) for (const pw of [1, 2]) {
  if (a === 0 && pw === 2) continue;
  run(corpus, `w${w} gate a${a} pow${pw}`, (_v, k) => { const s = SS.get(k)!; return exc(base[k]!.v.map((x, i) => x + base[k]!.e[i]! + w * Math.pow(clamp(1 - a * s.ratio[i]!), pw) * s.nov[i]!)); });
}
// how seasonal the files look (final ratio)
const rows = corpus.map((f) => `${f.key.split('/')[1]!.slice(0, 28)} ${SS.get(f.key)!.ratio[f.values.length - 1]!.toFixed(2)}`);
console.log(rows.join(' | '));
