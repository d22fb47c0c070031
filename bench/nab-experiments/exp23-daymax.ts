/** Experiment 23 (ensemble-3 final raw): excess over max(recent 15 raws, γ × max raw of the last D rows). */
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { loadCorpus, run } from './harness.js';
import { type Base3Cache, loadCache } from './cached.js';

const corpus = await loadCorpus();
const base = loadCache<Base3Cache>('/tmp/e3/base3.json');
function rawOf(v: Float64Array, k: string): number[] {
  const vn = new IntervalNovelty(16), sn = new IntervalNovelty(8); const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const vx = vn.variance; let r = vn.update(v[i]!);
    if (i >= 288) {
      let best = v[i]! - v[i - 288]!;
      for (let c = 2; c <= 3 && i - c * 288 >= 0; c++) { const d = v[i]! - v[i - c * 288]!; if (Math.abs(d) < Math.abs(best)) best = d; }
      const g = vx > 0 ? Math.min(1, Math.max(0, 1 - sn.variance / vx)) : 0;
      r += 0.5 * g * sn.update(best);
    }
    out.push(r + base[k]!.e[i]!);
  }
  return out;
}
const RAW = new Map<string, number[]>(); for (const f of corpus) RAW.set(f.key, rawOf(f.values, f.key));
function cal(raw: number[], D: number, g: number, h = 15): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    if (i < 10) continue;
    let m = 0; for (let j = Math.max(0, i - h); j < i; j++) m = Math.max(m, raw[j]!);
    let M = 0; for (let j = Math.max(0, i - D); j < i - h; j++) M = Math.max(M, raw[j]!);
    const ex = raw[i]! - Math.max(m, g * M); out[i] = ex > 0 ? 1 - Math.exp(-ex) : 0;
  }
  return out;
}
run(corpus, 'ensemble-3 (gate)', (_v, k) => cal(RAW.get(k)!, 0, 0));
for (const D of [100, 288, 1000]) for (const g of [0.25, 0.5, 0.75, 1]) run(corpus, `D${D} g${g}`, (_v, k) => cal(RAW.get(k)!, D, g));
