/**
 * Experiment 27: variants of the ensemble's per-series state, scored with several forecaster seeds
 * (exp28-seeds.ts writes them to /tmp/e28/<variant>), so a variant is judged by its mean over seeds and
 * not by how it suits one set of weights. Raw features are computed once per seed and file; a variant
 * replays only SeriesState.
 *   SEEDS=s42,s1,... npx tsx bench/nab-experiments/exp27-state.ts "base;delay=8;sw=0.75;hist=20"
 * Keys: delay (learn delay points), sw (seasonWeight), hist (calibration history), cap (novelty capacity), tau,
 * horizon (novelty horizon, hours; 0 = never forget),
 * nearest=1 (the residual is the smaller of x − forecast and x − previous value).
 * SEEDS may also name non-learned forecasters: last (previous value), mean, median (of the 32 before);
 * `<variant>@cv` scores each file with /tmp/e28/<variant>-cv<fold>, a model that never saw it (exp30-cv.ts);
 * `<variant>@cat` with /tmp/e28/<variant>-cat<k>, a model that never saw the file's category (exp30-cv.ts FOLDS=category);
 * `<variant>@cvft` the same before the file's probation end and its fine-tuned copy after (exp31-finetune.ts).
 * FILES=0|1: score one half of the files only (harness.ts foldsOf), to see whether a setting chosen on the
 * whole subset wins on both halves.
 * WIN=1: per window, which seeds detect it (x) at their own standard threshold; per file, false rows by seed.
 * First: VARIANTS=s42,s1,s2,s3,s4,s5,s6,s7 npx tsx bench/nab-experiments/exp28-seeds.ts (about 1 min).
 */
import { loadConfig } from '../../src/config/load.js';
import { initBackend } from '../../src/detect/backend.js';
import { LEARN_DELAY_POINTS, NOVELTY_CAPACITY, SEASON_POINTS, SEASON_WEIGHT, SeriesState, SeriesStateShape } from '../../src/detect/ensemble.js';
import { RAW_STRIDE } from '../../src/detect/features.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { diagnose, evaluate, fileOutcome, foldsOf, loadCorpus, standardThreshold } from './harness.js';
import { seedRaws } from './seed-raws.js';

await initBackend('wasm');
const options = ensembleOptions(loadConfig({ env: {} }).detect);
const seeds = (process.env.SEEDS ?? 's42,s1,s2,s3,s4,s5,s6,s7').split(',');
/** FILES=0 / FILES=1: score only that half of the files (foldsOf), to check a setting chosen on one half on the other. */
const corpus = ((all) => (process.env.FILES === undefined ? all : all.filter((f) => foldsOf(all.map((x) => x.key)).get(f.key) === Number(process.env.FILES))))(await loadCorpus());
const raws = await seedRaws(corpus, seeds, options);

type Knobs = Record<string, number>;
function scoreAll(seed: string, k: Knobs): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  for (const f of corpus) {
    const shape = new SeriesStateShape(['model'], { historyPoints: k.hist ?? 15, tau: k.tau ?? 1 }, k.cap ?? NOVELTY_CAPACITY, k.sw ?? SEASON_WEIGHT, SEASON_POINTS, k.delay ?? LEARN_DELAY_POINTS, (k.horizon ?? 0) * 3_600_000);
    const st = new SeriesState(shape);
    let raw = raws.get(seed)!.get(f.key)!;
    if (k.nearest) {
      // residual = the smaller-magnitude of (x − model forecast) and (x − previous value)
      raw = raw.slice();
      for (let i = 1; i < f.values.length; i++) {
        const r = raw[i * RAW_STRIDE]!, p = f.values[i]! - f.values[i - 1]!;
        if (Number.isFinite(r) && Math.abs(p) * k.nearest < Math.abs(r)) raw[i * RAW_STRIDE] = p * k.nearest;
      }
    }
    const out = new Float64Array(f.values.length);
    const res = { score: 0, component: '' };
    for (let i = 0; i < f.values.length; i++) {
      const sc = st.update(raw, i, res, f.times[i]).score;
      out[i] = i + 1 < 10 || Number.isNaN(sc) ? 0 : sc;
    }
    m.set(f.key, out);
  }
  return m;
}
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const v of (process.argv[2] ?? 'base').split(';')) {
  const k: Knobs = {};
  if (v !== 'base') for (const kv of v.split(',')) { const [key, x] = kv.split('='); k[key!] = Number(x); }
  const per = seeds.map((s) => { const m = scoreAll(s, k); if (process.env.DIAG && s === seeds[0]) diagnose(corpus, m); return Object.values(evaluate(corpus, m)); });
  const cols = [0, 1, 2].map((c) => per.map((p) => p[c]!));
  console.log(`${v.padEnd(28)} mean std ${mean(cols[0]!).toFixed(2)} lowFP ${mean(cols[1]!).toFixed(2)} lowFN ${mean(cols[2]!).toFixed(2)} | std by seed ${fmt(cols[0]!)} | lowFP ${fmt(cols[1]!)}`);
}
if (process.env.WIN) {
  const hits = new Map<string, string>();
  const fps = new Map<string, number[]>();
  for (const s of seeds) {
    const m = scoreAll(s, {});
    const t = standardThreshold(corpus, m);
    for (const f of corpus) {
      const { firstHits, fpRows } = fileOutcome(f, m.get(f.key)!, t);
      f.windows.forEach(([L, R], w) => {
        const key = `${f.key}#${w}[${L}-${R}]`;
        hits.set(key, (hits.get(key) ?? '') + (firstHits[w]! >= 0 ? 'x' : '.'));
      });
      fps.set(f.key, [...(fps.get(f.key) ?? []), fpRows.length]);
    }
  }
  for (const [k, h] of hits) if (h.includes('.')) console.log('WIN', h, k);
  for (const [k, v] of fps) if (v.some((x) => x > 0)) console.log('FP ', v.join(' ').padEnd(28), k);
}
