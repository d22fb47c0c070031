/**
 * Shared pieces of the NAB experiments: the forecast caches written by exp6-base.ts / exp14-cache3.ts,
 * the excess calibration, and the nearest-of-K seasonal difference (as in src/detect/features.ts).
 */
import { readFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { IntervalNovelty } from '../../src/detect/novelty.js';

/** Per file: forecast f, value novelty v, residual novelty e (and seasonal novelty s in base3). */
export type BaseCache = Record<string, { f: number[]; v: number[]; e: number[] }>;
export type Base3Cache = Record<string, { f: number[]; v: number[]; e: number[]; s: number[] }>;

export function loadCache<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** ExcessCalibrator over a whole series of raw scores. */
export function excess(raw: ArrayLike<number>, historyPoints: number, tau = 1): Float64Array {
  const c = new ExcessCalibrator({ historyPoints, tau });
  return Float64Array.from(raw as number[], (r) => c.update(r));
}

/** Novelty of x minus the closest of the values 1..K seasons of length p back. */
export function seasNearest(v: Float64Array, p: number, K: number, cap = 8): Float64Array {
  const n = new IntervalNovelty(cap);
  const out = new Float64Array(v.length);
  for (let i = p; i < v.length; i++) {
    let best = v[i]! - v[i - p]!;
    for (let c = 2; c <= K && i - c * p >= 0; c++) {
      const d = v[i]! - v[i - c * p]!;
      if (Math.abs(d) < Math.abs(best)) best = d;
    }
    out[i] = n.update(best);
  }
  return out;
}
