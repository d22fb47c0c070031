/**
 * Raw anomaly evidence of the newest point of a window: pure functions of the window (causal by
 * construction), batched and cheap enough to run in the scoring pool. The model component's raw score is
 * the plain forecast residual x − forecast (SeriesState puts it in the series' own units of spread), the
 * robust one a MAD z-score / 10, the seasonal one in units of the window's standard deviation (excluding
 * the newest point); see rawScores.
 */

/** Component names, in the order of a RawBatch row. */
export const COMPONENTS = ['model', 'robust', 'seasonal'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export const COMPONENT_COUNT = COMPONENTS.length;
/**
 * Numbers per window in a RawBatch row: one per component, then the newest value. (The model component's
 * seasonal difference is per-series state since ensemble-5, day-profile.ts: it needs no window.)
 */
export const RAW_STRIDE = COMPONENT_COUNT + 1;
/** Offset of the newest value in a RawBatch row. */
export const RAW_VALUE = COMPONENT_COUNT;

/** Default robustPoints and seasonPoints (FeatureOptions). */
export const ROBUST_POINTS = 120;
export const SEASON_LAG_POINTS = 288;

export interface FeatureOptions {
  /** Ignored since ensemble-2 (the novelty is streaming, see novelty.ts); kept so old configs load. */
  readonly noveltyPoints?: number;
  /**
   * Components whose raw features are computed (default all). The model residual and the newest value
   * are always produced; robust and seasonal cost a sort per window, so leave them out when no series
   * uses them.
   */
  readonly computeComponents?: readonly ComponentName[];
  /** Points before the newest one forming the robust median/MAD baseline. Default 120. */
  readonly robustPoints?: number;
  /**
   * Season length in points for the "seasonal" component (0 = off); for the model component's
   * time-of-day profile, the points per day assumed when points come without timestamps (0 = profile
   * off). Default 288 (one day at 5 min).
   */
  readonly seasonPoints?: number;
}

export interface RawBatch {
  /** windows × RAW_STRIDE numbers, row-major: the components' raw features, the newest value. */
  readonly raw: Float64Array;
  /** Expected value of each window's newest point (the forecast, or the robust median without a model). */
  readonly expected: Float64Array;
}

/** Standard deviation of w[0..end), floored relative to the mean so flat series still have a scale. */
export function windowStd(w: Float64Array, end: number): number {
  let s = 0;
  let s2 = 0;
  for (let j = 0; j < end; j++) {
    const v = w[j]!;
    s += v;
    s2 += v * v;
  }
  const c = Math.max(1, end);
  const mean = s / c;
  return Math.sqrt(Math.max(0, s2 / c - mean * mean)) + 1e-9 + 1e-6 * Math.abs(mean);
}

/**
 * Novelty: RMS distance between the last m points and the nearest earlier, non-overlapping subsequence
 * of the window (a discord / nearest-neighbour score). Unseen shapes score high, repeats of earlier
 * behaviour score low whatever their size.
 */
export function novelty(w: Float64Array, m: number): number {
  const i = w.length - 1;
  if (i < 2 * m) return 0;
  let best = Infinity;
  for (let e = m - 1; e <= i - m; e++) {
    let d = 0;
    for (let k = 0; k < m; k++) {
      const t = w[i - k]! - w[e - k]!;
      d += t * t;
      if (d >= best) break;
    }
    if (d < best) best = d;
  }
  return best === Infinity ? 0 : Math.sqrt(best / m);
}

function median(a: Float64Array): number {
  a.sort();
  const m = a.length >> 1;
  return a.length % 2 === 1 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** Robust location/scale of the `points` values before the newest: [median, 1.4826·MAD floored]. */
export function robustBaseline(w: Float64Array, points: number, scratch: Float64Array): [number, number] {
  const end = w.length - 1;
  const start = Math.max(0, end - points);
  const b = scratch.subarray(0, end - start);
  b.set(w.subarray(start, end));
  const med = median(b);
  for (let j = 0; j < b.length; j++) b[j] = Math.abs(b[j]! - med);
  const mad = median(b);
  return [med, Math.max(1.4826 * mad, 1e-3 * Math.abs(med), 1e-9)];
}

/**
 * Raw features of each window's newest point x (pure, per window; the per-series online part is in
 * series-state.ts). `forecasts` (one per window, from the TF.js model) may be null.
 *   model    = x − forecast (signed residual; NaN without a model). The series state turns it into the
 *              residual novelty (novelty.ts) added to the value novelty of x.
 *   robust   = |x − median| / (1.4826·MAD) of the last robustPoints, divided by 10 (a 10-MAD jump ≈ 1 std)
 *   seasonal = |x − median(x[i−p], x[i−2p], x[i−3p])| / std
 *   value    = x (the series state also turns it into the time-of-day seasonal difference)
 */
export function rawScores(windows: readonly Float64Array[], forecasts: Float64Array | null, options: FeatureOptions = {}): RawBatch {
  const rp = options.robustPoints ?? ROBUST_POINTS;
  const sp = options.seasonPoints ?? SEASON_LAG_POINTS;
  const compute = options.computeComponents ?? COMPONENTS;
  const doRobust = compute.includes('robust') || forecasts === null;
  const doSeasonal = compute.includes('seasonal') && sp > 0;
  const raw = new Float64Array(windows.length * RAW_STRIDE);
  const expected = new Float64Array(windows.length);
  const scratch = new Float64Array(rp + 1);
  const seas = new Float64Array(3);
  for (let b = 0; b < windows.length; b++) {
    const w = windows[b]!;
    const n = w.length;
    const o = b * RAW_STRIDE;
    raw[o] = Number.NaN;
    if (n === 0) continue;
    const x = w[n - 1]!;
    raw[o + RAW_VALUE] = x;
    if (n < 2) {
      expected[b] = x;
      continue;
    }
    if (doRobust) {
      const [med, mscale] = robustBaseline(w, rp, scratch);
      raw[o + 1] = Math.abs(x - med) / mscale / 10;
      expected[b] = med;
    }
    if (forecasts !== null) {
      const f = forecasts[b]!;
      if (Number.isFinite(f) || !doRobust) expected[b] = f; // no forecast (no finite input): the robust median stays the expectation
      raw[o] = x - f;
    }
    if (doSeasonal && n - 1 >= sp) {
      let k = 0;
      for (let c = 1; c <= 3 && n - 1 - c * sp >= 0; c++) seas[k++] = w[n - 1 - c * sp]!;
      raw[o + 2] = Math.abs(x - median(seas.subarray(0, k))) / windowStd(w, n - 1);
    }
  }
  return { raw, expected };
}
