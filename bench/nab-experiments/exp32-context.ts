/**
 * Experiment 32: contextual repeats. The model component's terms re-implemented in plain objects (ExpState),
 * plus a time-of-day RANGE profile: per slice of the day and earlier day, the min and max of the values (not
 * only their mean). With no knob (`base`) ExpState is ensemble-9; `gate=0,pad=0.4` is ensemble-10, the
 * shipped detector. CHECK=1 asserts both score exactly as SeriesState (bandPad −1 and BAND_PAD) and exits 1
 * when they do not. Knobs (exp-state.ts):
 *   gate=g     value and residual novelty × g when x lies within its slice's band on an earlier day
 *   pad=k      widen each band by k × half its width (max − min) / 2 on either side
 *   padsd=c    …or by c × the series' running sd
 *   nb=1       …or when x lies within a neighbouring slice's band (phase drift of a daily job)
 *   votes=v    …only when v earlier days' bands hold x; gdays=d: only the last d earlier days count
 *   hull=1     one band per slice: the hull of the earlier days' bands
 *   gv=0, gr=0 do not gate the value (resp. residual) term; gs=1 gate the seasonal term too
 *   srange=1   seasonal difference = distance from x to the nearest earlier day's band (0 inside)
 *   mid=1      seasonal difference = x minus the band's midrange instead of the mean
 *   rband=k    also gate the residual term when the residual lies within its own hour band (pad k)
 *   sw, hist   seasonWeight and calibration history
 *   SEEDS=s42,s1,... npx tsx bench/nab-experiments/exp32-context.ts "base;gate=0;gate=0,pad=0.4"
 *   DIFF=variantA|variantB (or DIFF=variant, against base): per file and seed, false rows and windows
 *   gained (+#w) or lost (−#w) at each variant's own standard threshold; FILES=0|1 scores one half.
 */
import { loadConfig } from '../../src/config/load.js';
import { initBackend } from '../../src/detect/backend.js';
import { BAND_PAD, LEARN_DELAY_POINTS, NOVELTY_CAPACITY, SEASON_POINTS, SEASON_WEIGHT, SeriesState, SeriesStateShape } from '../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../src/detect/features.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { evaluate, fileOutcome, foldsOf, loadCorpus, standardThreshold, type Loaded } from './harness.js';
import { seedRaws } from './seed-raws.js';
import { ExpState, type Knobs } from './exp-state.js';

await initBackend('wasm');
const options = ensembleOptions(loadConfig({ env: {} }).detect);
const seeds = (process.env.SEEDS ?? 's42,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11').split(',');
const all = await loadCorpus();
const half = process.env.FILES === undefined ? null : Number(process.env.FILES);
const corpus = half === null ? all : all.filter((f) => foldsOf(all.map((x) => x.key)).get(f.key) === half);
const raws = await seedRaws(corpus, seeds, options);

/** Scores of one file: SeriesState with this band widening (a number; −1 = ensemble-9), or ExpState with these knobs. */
function scoreFile(f: Loaded, raw: Float64Array, k: Knobs | number): Float64Array {
  const out = new Float64Array(f.values.length);
  if (typeof k === 'number') {
    const st = new SeriesState(new SeriesStateShape(['model'], {}, NOVELTY_CAPACITY, SEASON_WEIGHT, SEASON_POINTS, LEARN_DELAY_POINTS, 0, k));
    const res = { score: 0, component: '' };
    for (let i = 0; i < f.values.length; i++) {
      const sc = st.update(raw, i, res, f.times[i]).score;
      out[i] = i + 1 < 10 ? 0 : sc;
    }
    return out;
  }
  const st = new ExpState(k);
  for (let i = 0; i < f.values.length; i++) {
    const sc = st.update(raw[i * RAW_STRIDE]!, raw[i * RAW_STRIDE + RAW_VALUE]!, f.times[i]!);
    out[i] = i + 1 < 10 ? 0 : sc;
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
if (process.env.CHECK) {
  // ExpState must score exactly as SeriesState: with no knob as ensemble-9 (no band), with gate=0,pad=BAND_PAD as ensemble-10
  for (const [pad, knobs] of [[-1, {}], [BAND_PAD, { gate: 0, pad: BAND_PAD }]] as const) {
    let worst = 0;
    for (const f of corpus) {
      const r = raws.get(seeds[0]!)!.get(f.key)!;
      const a = scoreFile(f, r, pad), b = scoreFile(f, r, knobs);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    }
    console.log(`CHECK bandPad ${pad}: max |SeriesState − ExpState| = ${worst}`);
    if (worst > 1e-12) process.exitCode = 1;
  }
}
for (const v of (process.argv[2] ?? 'base').split(';')) {
  const k: Knobs = {};
  if (v !== 'base') for (const kv of v.split(',')) { const [key, x] = kv.split('='); k[key!] = Number(x); }
  const per = seeds.map((s) => {
    const m = new Map<string, Float64Array>();
    for (const f of corpus) m.set(f.key, scoreFile(f, raws.get(s)!.get(f.key)!, k));
    return Object.values(evaluate(corpus, m));
  });
  const cols = [0, 1, 2].map((c) => per.map((p) => p[c]!));
  console.log(`${v.padEnd(28)} mean std ${mean(cols[0]!).toFixed(2)} lowFP ${mean(cols[1]!).toFixed(2)} lowFN ${mean(cols[2]!).toFixed(2)} | std ${cols[0]!.map((x) => x.toFixed(1)).join(' ')} | lowFP ${cols[1]!.map((x) => x.toFixed(1)).join(' ')}`);
}
if (process.env.DIFF) {
  // per file, for each seed: false rows and missed windows at each variant's own standard threshold, base vs DIFF
  // DIFF=variant or DIFF=variantA|variantB (A defaults to the current detector)
  const parse = (v: string): Knobs => Object.fromEntries(v === 'base' ? [] : v.split(',').map((kv) => { const [key, x] = kv.split('='); return [key!, Number(x)]; }));
  const [ka, k] = process.env.DIFF.includes('|') ? process.env.DIFF.split('|').map(parse) as [Knobs, Knobs] : [{}, parse(process.env.DIFF)];
  const tally = new Map<string, string[]>();
  for (const s of seeds) {
    const mb = new Map<string, Float64Array>(), mv = new Map<string, Float64Array>();
    for (const f of corpus) { mb.set(f.key, scoreFile(f, raws.get(s)!.get(f.key)!, ka)); mv.set(f.key, scoreFile(f, raws.get(s)!.get(f.key)!, k)); }
    const tb = standardThreshold(corpus, mb), tv = standardThreshold(corpus, mv);
    for (const f of corpus) {
      const a = fileOutcome(f, mb.get(f.key)!, tb), b = fileOutcome(f, mv.get(f.key)!, tv);
      const ma = a.firstHits.filter((h) => h < 0).length, mbb = b.firstHits.filter((h) => h < 0).length;
      const lost = b.firstHits.flatMap((h, w) => (h < 0 && a.firstHits[w]! >= 0 ? [`-#${w}`] : h >= 0 && a.firstHits[w]! < 0 ? [`+#${w}`] : []));
      if (a.fpRows.length !== b.fpRows.length || ma !== mbb) tally.set(f.key, [...(tally.get(f.key) ?? []), `${s}:fp${a.fpRows.length}->${b.fpRows.length},miss${ma}->${mbb}${lost.join('')}`]);
    }
    console.log(`${s} thresholds ${tb.toFixed(3)} -> ${tv.toFixed(3)}`);
  }
  for (const [key, v] of tally) console.log(key.padEnd(55), v.join(' '));
}
