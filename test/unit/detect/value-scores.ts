import { LEARN_DELAY_POINTS, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';

/**
 * Scores of `xs` fed one by one to a model-only series state without a forecaster (no residual term)
 * and without timestamps (no seasonal term): the value novelty alone, calibrated.
 */
export function valueScores(xs: readonly number[], learnDelayPoints = LEARN_DELAY_POINTS): number[] {
  const s = SeriesState.build(['model'], {}, 16, 0, 288, learnDelayPoints);
  const raw = new Float64Array(RAW_STRIDE).fill(Number.NaN);
  const out = { score: 0, component: '' };
  return xs.map((x) => {
    raw[RAW_VALUE] = x;
    return s.update(raw, 0, out).score;
  });
}

/** n points of a quiet series: level + amp · sin(1.3 i). */
export const quiet = (n: number, level: number, amp: number): number[] => Array.from({ length: n }, (_, i) => level + amp * Math.sin(i * 1.3));
