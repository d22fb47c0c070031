/** Experiment 10: calibrators that scale the excess by how large this series' excesses usually are. */
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => excess(raw, h);
/** excess over max of last h raws, divided by (c + typical past excess); typical = mean of positive excesses or decayed max. */
function scaled(raw: number[], h: number, c: number, mode: 'mean' | 'rms' | 'dmax', decay = 0.999): Float64Array {
  const out = new Float64Array(raw.length);
  const ring: number[] = [];
  let sum = 0, sum2 = 0, cnt = 0, dmax = 0;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    let p = 0;
    if (ring.length >= 10) {
      const ex = r - Math.max(...ring);
      const typ = mode === 'mean' ? (cnt ? sum / cnt : 0) : mode === 'rms' ? (cnt ? Math.sqrt(sum2 / cnt) : 0) : dmax;
      if (ex > 0) { p = 1 - Math.exp(-ex / (c + typ)); sum += ex; sum2 += ex * ex; cnt++; dmax = Math.max(dmax, ex); }
      dmax *= decay;
    }
    ring.push(r); if (ring.length > h) ring.shift();
    out[i] = p;
  }
  return out;
}
const B = (k: string) => base[k]!.v.map((x, i) => x + base[k]!.e[i]!);
run(corpus, 'default', (_v, k) => exc(B(k)));
for (const mode of ['mean', 'rms', 'dmax'] as const) for (const c of [0.1, 0.3, 1, 3]) run(corpus, `scaled ${mode} c${c}`, (_v, k) => scaled(B(k), 30, c, mode));
for (const d of [0.99, 0.9999]) run(corpus, `scaled dmax c0.3 decay${d}`, (_v, k) => scaled(B(k), 30, 0.3, 'dmax', d));
