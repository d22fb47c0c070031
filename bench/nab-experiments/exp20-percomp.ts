/** Experiment 20 (ensemble-3 nearest-of-3): excess per component (each over its own recent max) summed, vs excess of the summed raw. */
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { loadCorpus, run } from './harness.js';
import { seasNearest, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const S = new Map<string, Float64Array>();
for (const f of corpus) S.set(f.key, seasNearest(f.values, 288, 3));
function excessOf(raw: ArrayLike<number>, h = 15): Float64Array {
  const out = new Float64Array(raw.length); const ring: number[] = [];
  for (let i = 0; i < raw.length; i++) { const r = raw[i]!; if (ring.length >= 10) out[i] = Math.max(0, r - Math.max(...ring)); ring.push(r); if (ring.length > h) ring.shift(); }
  return out;
}
const p = (ex: Float64Array) => ex.map((x) => 1 - Math.exp(-x));
run(corpus, 'excess of sum', (_v, k) => { const c = new ExcessCalibrator({ historyPoints: 15 }); return Float64Array.from(base[k]!.v, (x, i) => c.update(x + base[k]!.e[i]! + 0.5 * S.get(k)![i]!)); });
for (const h of [15, 30]) run(corpus, `sum of per-component excess h${h}`, (_v, k) => { const a = excessOf(base[k]!.v, h), b = excessOf(base[k]!.e, h), c = excessOf(S.get(k)!, h); return p(a.map((x, i) => x + b[i]! + 0.5 * c[i]!)); });
run(corpus, 'min(excess of sum, sum of per-comp excess)', (_v, k) => { const a = excessOf(base[k]!.v), b = excessOf(base[k]!.e), c = excessOf(S.get(k)!); const t = excessOf(base[k]!.v.map((x, i) => x + base[k]!.e[i]! + 0.5 * S.get(k)![i]!)); return p(t.map((x, i) => Math.min(x, a[i]! + b[i]! + 0.5 * c[i]!))); });
run(corpus, 'geo mean(excess of sum, sum per-comp)', (_v, k) => { const a = excessOf(base[k]!.v), b = excessOf(base[k]!.e), c = excessOf(S.get(k)!); const t = excessOf(base[k]!.v.map((x, i) => x + base[k]!.e[i]! + 0.5 * S.get(k)![i]!)); return p(t.map((x, i) => Math.sqrt(x * (a[i]! + b[i]! + 0.5 * c[i]!)))); });
