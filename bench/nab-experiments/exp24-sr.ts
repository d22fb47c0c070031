/** Experiment 24: spectral-residual (SR) saliency of the newest point over a short causal window, added to the ensemble-3 raw. */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { excess, type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
const N = Number(process.env.SR_N ?? 64);
const cosT = new Float64Array(N * N), sinT = new Float64Array(N * N);
for (let k = 0; k < N; k++) for (let t = 0; t < N; t++) { cosT[k * N + t] = Math.cos((2 * Math.PI * k * t) / N); sinT[k * N + t] = Math.sin((2 * Math.PI * k * t) / N); }
/** SR saliency of the last point of w (length N): |IDFT(exp(R + iP))| at t = N−1 over the mean saliency. */
function sr(w: Float64Array, q = 3): number {
  const re = new Float64Array(N), im = new Float64Array(N), la = new Float64Array(N);
  for (let k = 0; k < N; k++) { let a = 0, b = 0; for (let t = 0; t < N; t++) { a += w[t]! * cosT[k * N + t]!; b -= w[t]! * sinT[k * N + t]!; } re[k] = a; im[k] = b; la[k] = Math.log(Math.hypot(a, b) + 1e-9); }
  const sal = new Float64Array(N);
  const rr = new Float64Array(N), ii = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    let avg = 0, c = 0; for (let j = k - (q >> 1); j <= k + (q >> 1); j++) { const jj = (j + N) % N; avg += la[jj]!; c++; }
    const amp = Math.exp(la[k]! - avg / c); const mag = Math.hypot(re[k]!, im[k]!) + 1e-9;
    rr[k] = (amp * re[k]!) / mag; ii[k] = (amp * im[k]!) / mag;
  }
  let mean = 0;
  for (let t = 0; t < N; t++) { let a = 0, b = 0; for (let k = 0; k < N; k++) { a += rr[k]! * cosT[k * N + t]! - ii[k]! * sinT[k * N + t]!; b += rr[k]! * sinT[k * N + t]! + ii[k]! * cosT[k * N + t]!; } sal[t] = Math.hypot(a, b) / N; mean += sal[t]!; }
  mean /= N;
  return mean > 0 ? (sal[N - 1]! - mean) / mean : 0;
}
function rawOf(v: Float64Array, k: string): { r: number[]; s: Float64Array } {
  const vn = new IntervalNovelty(16), sn = new IntervalNovelty(8); const out: number[] = []; const s = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const vx = vn.variance; let r = vn.update(v[i]!);
    if (i >= 288) {
      let best = v[i]! - v[i - 288]!;
      for (let c = 2; c <= 3 && i - c * 288 >= 0; c++) { const d = v[i]! - v[i - c * 288]!; if (Math.abs(d) < Math.abs(best)) best = d; }
      const g = vx > 0 ? Math.min(1, Math.max(0, 1 - sn.variance / vx)) : 0;
      r += 0.5 * g * sn.update(best);
    }
    out.push(r + base[k]!.e[i]!);
    if (i >= N) s[i] = sr(v.subarray(i - N + 1, i + 1));
  }
  return { r: out, s };
}
const D = new Map<string, { r: number[]; s: Float64Array }>(); for (const f of corpus) D.set(f.key, rawOf(f.values, f.key));
const exc = (raw: ArrayLike<number>, h = 15): Float64Array => excess(raw, h);
run(corpus, 'ensemble-3', (_v, k) => exc(D.get(k)!.r));
run(corpus, 'SR alone', (_v, k) => exc(D.get(k)!.s));
for (const w of [0.1, 0.3, 1]) {
  run(corpus, `+ ${w}·SR`, (_v, k) => { const d = D.get(k)!; return exc(d.r.map((x, i) => x + w * Math.max(0, d.s[i]!))); });
  run(corpus, `+ ${w}·novelty(SR)`, (_v, k) => { const d = D.get(k)!; const n = new IntervalNovelty(8); return exc(d.r.map((x, i) => x + w * n.update(d.s[i]!))); });
}
run(corpus, 'max(p, p SR)', (_v, k) => { const d = D.get(k)!; const a = exc(d.r), b = exc(d.s); return a.map((x, i) => Math.max(x, b[i]!)); });
