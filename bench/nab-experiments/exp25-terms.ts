/**
 * Experiment 25 (ensemble-3 → ensemble-4): the per-term raw novelties of the "model" component per file
 * (value novelty v, residual novelty e, seasonal-difference novelty sn, seasonality strength st, and the
 * distances and scales behind them), so combination / gating / calibration variants score in a fraction of
 * a second each. Replicates SeriesState exactly (the ensemble-3 row equals the bench's 75.43 / 68.65 /
 * 79.98). Needs the forecasts cached by exp6-base.ts (E3_CACHE=/tmp/e3/base3.json by default).
 */
import { readFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { Nov } from './exp25-nov.js';
import { loadCorpus, type Loaded } from './harness.js';

export interface Rows {
  x: Float64Array; // values
  v: Float64Array; // value novelty
  e: Float64Array; // residual novelty
  sn: Float64Array; // seasonal-difference novelty
  st: Float64Array; // strength, 0 until the seasonal summary holds two differences
  vd: Float64Array; vsd: Float64Array; // value: distance, scale
  ed: Float64Array; esd: Float64Array; // residual: distance, scale
  sdd: Float64Array; ssd: Float64Array; // seasonal difference: distance, scale
}
export const corpus: Loaded[] = await loadCorpus();
const base = JSON.parse(readFileSync(process.env.E3_CACHE ?? '/tmp/e3/base3.json', 'utf8')) as Record<string, { f: number[] }>;
export const R = new Map<string, Rows>();
for (const c of corpus) {
  const x = c.values;
  const n = x.length;
  const f = base[c.key]!.f;
  const mk = (): Float64Array => new Float64Array(n);
  const r: Rows = { x, v: mk(), e: mk(), sn: mk(), st: mk(), vd: mk(), vsd: mk(), ed: mk(), esd: mk(), sdd: mk(), ssd: mk() };
  const V = new Nov(16), E = new Nov(16), S = new Nov(8);
  const sp = 288;
  for (let i = 0; i < n; i++) {
    let sd = Number.NaN; // nearest of 3 seasons within the 1000-point window
    if (Math.min(1000, i + 1) - 1 >= sp) {
      sd = x[i]! - x[i - sp]!;
      for (let k = 2; k <= 3 && Math.min(1000, i + 1) - 1 - k * sp >= 0; k++) { const d = x[i]! - x[i - k * sp]!; if (Math.abs(d) < Math.abs(sd)) sd = d; }
    }
    const vx = V.variance;
    r.v[i] = V.update(x[i]!); r.vd[i] = V.dist; r.vsd[i] = V.scale;
    r.st[i] = vx > 0 && S.n > 1 ? Math.min(1, Math.max(0, 1 - S.variance / vx)) : 0;
    r.sn[i] = S.update(sd); r.sdd[i] = S.dist; r.ssd[i] = S.scale;
    if (i > 0) { r.e[i] = E.update(x[i]! - f[i]!); r.ed[i] = E.dist; r.esd[i] = E.scale; }
  }
  R.set(c.key, r);
}
/** ExcessCalibrator over a raw-score series. */
export const exc = (raw: Float64Array, h = 15): Float64Array => { const c = new ExcessCalibrator({ historyPoints: h }); return raw.map((x) => c.update(x)); };
/** Raw excess (before 1 − exp(−·)) over the last h raws, as ExcessCalibrator computes it. */
export const excRaw = (raw: Float64Array, h = 15): Float64Array => {
  const out = new Float64Array(raw.length); const ring: number[] = [];
  for (let i = 0; i < raw.length; i++) { const r = raw[i]! > 0 ? raw[i]! : 0; if (ring.length >= 10) { let m = 0; for (const q of ring) if (q > m) m = q; out[i] = Math.max(0, r - m); } ring.push(r); if (ring.length > h) ring.shift(); }
  return out;
};
