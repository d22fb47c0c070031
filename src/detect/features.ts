/**
 * Raw anomaly evidence of the newest point of a window: pure functions of the window (causal by
 * construction), batched and cheap enough to run in the scoring pool. Every raw score is in units of the
 * window's standard deviation (excluding the newest point), so raw scores of different series compare.
 */

/** Component names, in the order of a RawBatch row. */
export const COMPONENTS = ['model', 'robust', 'seasonal'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export const COMPONENT_COUNT = COMPONENTS.length;

export interface FeatureOptions {
  /** Length of the subsequence compared against the window's past (novelty). Default 4. */
  readonly noveltyPoints?: number;
  /** Points before the newest one forming the robust median/MAD baseline. Default 120. */
  readonly robustPoints?: number;
  /** Season length in points for the seasonal component (0 = off). Default 288 (one day at 5 min). */
  readonly seasonPoints?: number;
}

export interface RawBatch {
  /** windows × COMPONENT_COUNT raw scores, row-major. */
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
 * Raw scores of each window's newest point. `forecasts` (one per window, from the TF.js model) may be
 * null: the model component is then the novelty alone and `expected` is the robust median.
 *   model    = sqrt(novelty × |x − forecast|) / std   (geometric mean: both must agree)
 *   robust   = |x − median| / (1.4826·MAD) of the last robustPoints, divided by 10 (a 10-MAD jump ≈ 1 std)
 *   seasonal = |x − median(x[i−p], x[i−2p], x[i−3p])| / std
 */
export function rawScores(windows: readonly Float64Array[], forecasts: Float64Array | null, options: FeatureOptions = {}): RawBatch {
  const m = options.noveltyPoints ?? 4;
  const rp = options.robustPoints ?? 120;
  const sp = options.seasonPoints ?? 288;
  const raw = new Float64Array(windows.length * COMPONENT_COUNT);
  const expected = new Float64Array(windows.length);
  const scratch = new Float64Array(rp + 1);
  const seas = new Float64Array(3);
  for (let b = 0; b < windows.length; b++) {
    const w = windows[b]!;
    const n = w.length;
    const o = b * COMPONENT_COUNT;
    if (n < 2) {
      expected[b] = n === 1 ? w[0]! : 0;
      continue;
    }
    const x = w[n - 1]!;
    const sd = windowStd(w, n - 1);
    const [med, mscale] = robustBaseline(w, rp, scratch);
    const nov = novelty(w, m);
    if (forecasts !== null) {
      const f = forecasts[b]!;
      expected[b] = f;
      raw[o] = Math.sqrt(nov * Math.abs(x - f)) / sd;
    } else {
      expected[b] = med;
      raw[o] = nov / sd;
    }
    raw[o + 1] = Math.abs(x - med) / mscale / 10;
    if (sp > 0 && n - 1 >= sp) {
      let k = 0;
      for (let c = 1; c <= 3 && n - 1 - c * sp >= 0; c++) seas[k++] = w[n - 1 - c * sp]!;
      raw[o + 2] = Math.abs(x - median(seas.subarray(0, k))) / sd;
    }
  }
  return { raw, expected };
}
