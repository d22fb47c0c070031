/** Experiment 17 (ensemble-3 with nearest-of-3 seasonal difference): rest period after firing; damping by the series' rate of earlier firings. */
import { loadCorpus, run } from './harness.js';
import { excess, seasNearest, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
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
