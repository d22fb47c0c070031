/**
 * Experiment 26 (ensemble-4 → ensemble-5): the seasonal difference from a compact time-of-day profile
 * keyed by timestamp (src/detect/day-profile.ts) instead of the value 288 points earlier, so it fits the
 * daemon's per-series state; then low-FP variants. `npx tsx bench/nab-experiments/exp26-profile.ts`
 * (after `E3_CACHE=/tmp/e3/base3.json npx tsx bench/nab-experiments/exp6-base.ts`).
 */
import { readFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { DayProfile } from '../../src/detect/day-profile.js';
import { Nov2, type NovMode } from './exp26-nov.js';
import { loadCorpus, run, type Loaded } from './harness.js';

export const corpus: Loaded[] = await loadCorpus();
const base = JSON.parse(readFileSync(process.env.E3_CACHE ?? '/tmp/e3/base3.json', 'utf8')) as Record<string, { f: number[] }>;

/** Seasonal difference per row of a file (NaN: none). */
export type SeasonFn = (c: Loaded) => Float64Array;

export const lag288: SeasonFn = (c) => {
  const x = c.values;
  const out = new Float64Array(x.length).fill(Number.NaN);
  for (let i = 288; i < x.length; i++) {
    let sd = x[i]! - x[i - 288]!;
    for (let k = 2; k <= 3 && Math.min(1000, i + 1) - 1 - k * 288 >= 0; k++) { const d = x[i]! - x[i - k * 288]!; if (Math.abs(d) < Math.abs(sd)) sd = d; }
    out[i] = sd;
  }
  return out;
};

export const profile = (bins: number, days: number): SeasonFn => (c) => {
  const p = new DayProfile(bins, days);
  return c.values.map((x, i) => { const d = p.difference(x, c.times[i]!); p.learn(x, c.times[i]!); return d; });
};

export interface Terms { v: Float64Array; e: Float64Array; sn: Float64Array; st: Float64Array; x: Float64Array }

/** The "model" component's terms, as SeriesState computes them, for a given seasonal difference. */
export interface TermOptions { mode?: NovMode; k?: number; paired?: boolean; minDays?: number }

export function terms(c: Loaded, sdiff: Float64Array, o: TermOptions = {}): Terms {
  const x = c.values; const n = x.length; const f = base[c.key]!.f;
  const t: Terms = { x, v: new Float64Array(n), e: new Float64Array(n), sn: new Float64Array(n), st: new Float64Array(n) };
  const V = new Nov2(16, o.mode, o.k), E = new Nov2(16, o.mode, o.k), S = new Nov2(8);
  let pn = 0, pm = 0, p2 = 0; // value variance over the rows that have a seasonal difference (paired)
  let firstT = Number.NaN;
  for (let i = 0; i < n; i++) {
    const vx = o.paired ? (pn > 1 ? p2 / pn : 0) : V.variance;
    t.v[i] = V.update(x[i]!);
    const mature = o.minDays === undefined || (c.times[i]! - firstT) >= o.minDays * 86_400_000;
    t.st[i] = vx > 0 && S.n > 1 && mature ? Math.min(1, Math.max(0, 1 - S.variance / vx)) : 0;
    if (Number.isFinite(sdiff[i]!)) { if (Number.isNaN(firstT)) firstT = c.times[i]!; pn++; const d = x[i]! - pm; pm += d / pn; p2 += d * (x[i]! - pm); }
    t.sn[i] = S.update(sdiff[i]!);
    if (i > 0) t.e[i] = E.update(x[i]! - f[i]!);
  }
  return t;
}

export const exc = (raw: Float64Array, h = 15): Float64Array => { const c = new ExcessCalibrator({ historyPoints: h }); return raw.map((r) => c.update(r)); };
export const e4 = (t: Terms, i: number, w = 0.5): number => t.v[i]! + (1 - t.st[i]!) * t.e[i]! + w * t.st[i]! * t.sn[i]!;

export function score(name: string, season: SeasonFn, combine: (t: Terms, i: number) => number = e4, o: TermOptions = {}): void {
  const T = new Map(corpus.map((c) => [c.key, terms(c, season(c), o)]));
  run(corpus, name, (_v, k) => { const t = T.get(k)!; return exc(t.x.map((_x, i) => combine(t, i))); });
}

if (process.argv[1]?.endsWith('exp26-profile.ts')) {
  score('ensemble-4: lag 288, nearest of 3', lag288);
  for (const days of [1, 2, 3]) for (const bins of [24, 48, 96, 288]) score(`profile bins ${bins} days ${days}`, profile(bins, days));
}
