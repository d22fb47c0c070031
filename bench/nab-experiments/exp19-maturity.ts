/**
 * Experiment 19 (ensemble-3 nearest-of-3): surprise grows with history. Under exchangeability the n-th value
 * is outside the range of the earlier ones with probability ~2/n, so a novelty after a long history is more
 * surprising than the same novelty early on: weight the excess by f(n) (n = rows seen).
 */
import { loadCorpus, run } from './harness.js';
import { seasNearest, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const RAW = new Map<string, number[]>();
for (const f of corpus) { const s = seasNearest(f.values, 288, 3); RAW.set(f.key, base[f.key]!.v.map((x, i) => x + base[f.key]!.e[i]! + 0.5 * s[i]!)); }
/** excess calibration with the excess (mode 'ex') or the raw (mode 'raw') weighted by f(n). */
function cal(raw: number[], f: (n: number) => number, mode: 'ex' | 'raw', h = 15): Float64Array {
  const out = new Float64Array(raw.length); const ring: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = mode === 'raw' ? raw[i]! * f(i + 1) : raw[i]!;
    if (ring.length >= 10) { const ex = r - Math.max(...ring); out[i] = ex > 0 ? 1 - Math.exp(-(mode === 'ex' ? ex * f(i + 1) : ex)) : 0; }
    ring.push(r); if (ring.length > h) ring.shift();
  }
  return out;
}
const fs: Array<[string, (n: number) => number]> = [
  ['1', () => 1], ['log n', (n) => Math.log(n)], ['sqrt n', (n) => Math.sqrt(n)], ['log(1+n/100)', (n) => Math.log(1 + n / 100)], ['log(1+n/1000)', (n) => Math.log(1 + n / 1000)], ['n^0.25', (n) => Math.pow(n, 0.25)],
];
for (const mode of ['ex', 'raw'] as const) for (const [name, f] of fs) run(corpus, `${mode} × ${name}`, (_v, k) => cal(RAW.get(k)!, f, mode));
