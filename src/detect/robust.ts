import type { Detector, ScoreBatch } from './detector.js';

export interface RobustDetectorOptions {
  /** Points before the newest one used as the baseline. Default 120. */
  readonly baselinePoints?: number;
  /** Minimum points (baseline + newest) before scoring. Default 20. */
  readonly minPoints?: number;
  /** Robust z-score at which the probability reaches 0.5. Default 4. */
  readonly zHalf?: number;
}

/**
 * Robust z-score of the newest point against the median and MAD of the points before it,
 * mapped to 0..1 with a logistic curve so one threshold means the same on every series.
 * A MAD of zero (flat baseline) uses a small floor relative to the median so a flat line that
 * moves is still seen, without dividing by zero.
 */
export class RobustDetector implements Detector {
  readonly name = 'robust';
  readonly version = 'robust-mad-1';
  readonly minPoints: number;
  private readonly baselinePoints: number;
  private readonly zHalf: number;
  private scratch = new Float64Array(0);

  constructor(options: RobustDetectorOptions = {}) {
    this.baselinePoints = options.baselinePoints ?? 120;
    this.minPoints = options.minPoints ?? 20;
    this.zHalf = options.zHalf ?? 4;
  }

  score(windows: readonly Float64Array[]): ScoreBatch {
    const scores = new Float64Array(windows.length);
    const expected = new Float64Array(windows.length);
    for (let w = 0; w < windows.length; w++) {
      const window = windows[w]!;
      const n = window.length;
      if (n < this.minPoints) {
        scores[w] = 0;
        expected[w] = n > 0 ? window[n - 1]! : 0;
        continue;
      }
      const start = Math.max(0, n - 1 - this.baselinePoints);
      const baseline = this.copy(window, start, n - 1);
      const median = medianInPlace(baseline);
      for (let i = 0; i < baseline.length; i++) baseline[i] = Math.abs(baseline[i]! - median);
      const mad = medianInPlace(baseline);
      const scale = Math.max(1.4826 * mad, 1e-3 * Math.abs(median), 1e-9);
      const z = Math.abs(window[n - 1]! - median) / scale;
      scores[w] = 1 / (1 + Math.exp(-(z - this.zHalf)));
      expected[w] = median;
    }
    return { scores, expected };
  }

  private copy(src: Float64Array, from: number, to: number): Float64Array {
    const len = to - from;
    if (this.scratch.length < len) this.scratch = new Float64Array(len);
    const out = this.scratch.subarray(0, len);
    out.set(src.subarray(from, to));
    return out;
  }
}

/** Median by sorting a scratch copy; the caller owns `values` and accepts that it is reordered. */
export function medianInPlace(values: Float64Array): number {
  if (values.length === 0) return NaN;
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}
