/** Experiment 1: n-gram context novelty vs NN novelty, with CAD-style rest-period suppression. */
import { novelty, windowStd } from '../../src/detect/features.js';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();

/** rest-period suppression: output s only if no internal score ≥ base in the previous `rest` rows. */
function suppress(raw: Float64Array, base: number, rest: number): Float64Array {
  const out = new Float64Array(raw.length);
  let last = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    out[i] = i - last > rest ? raw[i]! : 0;
    if (raw[i]! >= base) last = i;
  }
  return out;
}

function ngram(values: Float64Array, B: number, K: number, minCount = 1): Float64Array {
  const out = new Float64Array(values.length);
  let lo = Infinity;
  let hi = -Infinity;
  const sym: number[] = [];
  const maps = Array.from({ length: K }, () => new Map<number, number>());
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    const r = hi - lo;
    const s = r > 0 ? Math.min(B - 1, Math.floor(((x - lo) / r) * B)) : 0;
    sym.push(s);
    let key = 0;
    let nov = 0;
    let tot = 0;
    for (let k = 1; k <= K && i - k + 1 >= 0; k++) {
      key = key * B + sym[i - k + 1]! + 1;
      const m = maps[k - 1]!;
      const c = m.get(key) ?? 0;
      if (c < minCount) nov += 1;
      tot += 1;
      m.set(key, c + 1);
    }
    out[i] = i < 10 ? 0 : nov / tot;
  }
  return out;
}

function nn(values: Float64Array, win = 2000, m = 4): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 10; i < values.length; i++) {
    const w = values.subarray(Math.max(0, i - win + 1), i + 1);
    out[i] = novelty(w, m) / windowStd(w, w.length - 1);
  }
  return out;
}

const excess = (raw: Float64Array, h = 100): Float64Array => {
  const c = new ExcessCalibrator({ historyPoints: h });
  return raw.map((r) => c.update(r));
};

const nnCache = new Map<string, Float64Array>();
const nnOf = (v: Float64Array, k: string): Float64Array => {
  if (!nnCache.has(k)) nnCache.set(k, nn(v));
  return nnCache.get(k)!;
};
run(corpus, 'nn + excess100', (v, k) => excess(nnOf(v, k)));
for (const rest of [50, 100, 150, 300]) run(corpus, `nn + excess100 + suppress(0.5,${rest})`, (v, k) => suppress(excess(nnOf(v, k)), 0.5, rest));
for (const B of [8, 16]) for (const K of [1, 2, 3, 4, 6]) {
  run(corpus, `ngram B${B} K${K}`, (v) => ngram(v, B, K));
  for (const rest of [75, 150]) run(corpus, `ngram B${B} K${K} suppress(0.5,${rest})`, (v) => suppress(ngram(v, B, K), 0.5, rest));
}
