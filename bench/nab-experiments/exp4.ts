/** Experiment 4: short subsequence novelty, window length, excess history. */
import { novelty, windowStd } from '../../src/detect/features.js';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
function nn(values: Float64Array, m: number, win: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 10; i < values.length; i++) {
    const w = values.subarray(Math.max(0, i - win + 1), i + 1);
    out[i] = (m === 1 ? nn1(w) : novelty(w, m)) / windowStd(w, w.length - 1);
  }
  return out;
}
function nn1(w: Float64Array): number {
  const x = w[w.length - 1]!;
  let best = Infinity;
  for (let j = 0; j < w.length - 1; j++) best = Math.min(best, Math.abs(x - w[j]!));
  return best === Infinity ? 0 : best;
}
const excess = (raw: Float64Array, h = 100): Float64Array => {
  const c = new ExcessCalibrator({ historyPoints: h });
  return raw.map((r) => c.update(r));
};
for (const win of [240, 2000, 5000]) for (const m of [1, 2, 3]) {
  const cache = new Map<string, Float64Array>();
  const get = (v: Float64Array, k: string): Float64Array => cache.get(k) ?? (cache.set(k, nn(v, m, win)), cache.get(k)!);
  for (const h of [30, 100]) run(corpus, `nn${m} win${win} excess${h}`, (v, k) => excess(get(v, k), h));
}
