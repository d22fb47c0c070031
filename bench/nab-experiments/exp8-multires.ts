/** Experiment 8: multi-resolution novelty (novelty of rolling means / downsampled series) added to the default raw. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type BaseCache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<BaseCache>('/tmp/e3/base.json');
const exc = (raw: ArrayLike<number>, h = 30, tau = 1): Float64Array => excess(raw, h, tau);
/** novelty of the rolling mean of the last m values (EMA if ema). */
function smoothNov(v: Float64Array, m: number, ema = false): Float64Array {
  const nov = new IntervalNovelty(16);
  const out = new Float64Array(v.length);
  let s = 0, e = v[0]!;
  const a = 2 / (m + 1);
  for (let i = 0; i < v.length; i++) {
    s += v[i]!; if (i >= m) s -= v[i - m]!;
    e += a * (v[i]! - e);
    const x = ema ? e : i >= m - 1 ? s / m : NaN;
    out[i] = Number.isFinite(x) ? nov.update(x) : 0;
  }
  return out;
}
const B = (k: string) => base[k]!.v.map((x, i) => x + base[k]!.e[i]!);
run(corpus, 'default', (_v, k) => exc(B(k)));
for (const m of [4, 16, 64]) for (const ema of [false, true]) {
  run(corpus, `+ smooth${m}${ema ? 'ema' : ''} raw add`, (v, k) => { const s = smoothNov(v, m, ema); return exc(B(k).map((x, i) => x + s[i]!)); });
  run(corpus, `max(p, p smooth${m}${ema ? 'ema' : ''})`, (v, k) => { const s = exc(smoothNov(v, m, ema)); return exc(B(k)).map((x, i) => Math.max(x, s[i]!)); });
}
for (const tau of [0.5, 2]) run(corpus, `default tau ${tau}`, (_v, k) => exc(B(k), 30, tau));
