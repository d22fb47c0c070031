import type { EnsembleDetector } from '../../src/detect/ensemble.js';
import { RAW_STRIDE } from '../../src/detect/features.js';

const CHUNK = 4096;

/** Raw features of every point of `v`, each over the window of `windowPoints` ending at it, computed in chunks as the scoring pool would. */
export function rawFeatures(det: EnsembleDetector, v: Float64Array, windowPoints = 240): Float64Array {
  const out = new Float64Array(v.length * RAW_STRIDE);
  for (let s = 0; s < v.length; s += CHUNK) {
    const windows: Float64Array[] = [];
    for (let i = s; i < Math.min(v.length, s + CHUNK); i++) windows.push(v.subarray(Math.max(0, i - windowPoints + 1), i + 1));
    out.set(det.raw(windows).raw.subarray(0, windows.length * RAW_STRIDE), s * RAW_STRIDE);
  }
  return out;
}

/** Scores of rows [from, rows) of `raw` fed to a fresh state of `det` (a family's, if given); row i taken at timeOf(i). Rows before `from` score 0. */
export function streamScores(det: EnsembleDetector, raw: Float64Array, timeOf: (i: number) => number, from = 0, family?: Parameters<EnsembleDetector['createState']>[0]): Float64Array {
  const rows = raw.length / RAW_STRIDE;
  const state = det.createState(family);
  const out = { score: 0, component: '' };
  const scores = new Float64Array(rows);
  for (let i = from; i < rows; i++) scores[i] = state.update(raw, i, out, timeOf(i)).score;
  return scores;
}
