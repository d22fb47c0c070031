import { badRequest } from '../../lib/errors.js';
import type { RowWindow } from './windows.js';

/**
 * NAB v1.1 scoring (see shared/reference/nab-scoring.md and numenta/NAB nab/sweeper.py), with the
 * threshold sweep done in one pass over the rows sorted by score instead of re-scoring per threshold.
 */

export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

export interface CostProfile {
  readonly tpWeight: number;
  readonly fnWeight: number;
  readonly fpWeight: number;
}

export const NAB_PROFILES: Readonly<Record<ProfileName, CostProfile>> = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
};

export const PROFILE_NAMES: readonly ProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** One file to score: a score per row, its windows as inclusive row indices, and its row count. */
export interface NabFileInput {
  readonly scores: ArrayLike<number>;
  readonly windows: readonly RowWindow[];
  readonly rows: number;
}

export type NabCorpusFiles = ReadonlyMap<string, NabFileInput>;

export interface CorpusScore {
  /** Rows with score ≥ threshold fire. 1.1 (or Infinity if some score ≥ 1.1) means "never fire". */
  readonly threshold: number;
  /** Summed raw NAB score over the corpus at `threshold`. */
  readonly rawScore: number;
  /** 100 × (raw − null) / (perfect − null); null when the corpus has no windows. */
  readonly normalised: number | null;
  /** Windows detected (some row at or after probation fired inside them). */
  readonly tp: number;
  /** Firing rows outside every window (after probation). */
  readonly fp: number;
  /** Windows with scorable rows where nothing fired. */
  readonly fn: number;
  /** Labelled windows in the corpus. */
  readonly windows: number;
  readonly nullScore: number;
  readonly perfectScore: number;
}

const MAX_TP = scaledSigmoid(-1);

/** NAB's scaled sigmoid: 2/(1+e^(5x)) − 1, and −1 from x ≥ 3 on (as sweeper.py does). */
export function scaledSigmoid(x: number): number {
  if (x >= 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Rows at the start of a file that are ignored: min(floor(0.15 × N), 750). */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * Unit weight of each row if it fires (before multiplying by the profile's tp or fp weight) and the
 * index of the window containing it (−1 outside windows). In a window [L, R] of width W:
 * σ(−(R − i + 1)/W)/σ(−1); after a window [L', R'] of width W': σ((i − R')/(W' − 1)); before any window: −1.
 */
export function rowWeights(rows: number, windows: readonly RowWindow[]): { unit: Float64Array; window: Int32Array } {
  const unit = new Float64Array(rows);
  const window = new Int32Array(rows).fill(-1);
  let prevR = -1;
  let prevW = 0;
  let next = 0;
  for (let i = 0; i < rows; ) {
    const w = windows[next];
    if (w !== undefined && i === w[0]) {
      const [L, R] = w;
      const width = R - L + 1;
      for (; i <= R; i++) {
        unit[i] = scaledSigmoid(-(R - i + 1) / width) / MAX_TP;
        window[i] = next;
      }
      prevR = R;
      prevW = width;
      next++;
      continue;
    }
    // Width-1 previous window: NAB divides by zero; the limit is "far past the window" (−1).
    unit[i] = prevR < 0 ? -1 : prevW === 1 ? -1 : scaledSigmoid((i - prevR) / (prevW - 1));
    i++;
  }
  return { unit, window };
}

function validateFile(key: string, f: NabFileInput): void {
  if (!Number.isInteger(f.rows) || f.rows < 0 || f.scores.length !== f.rows) {
    throw badRequest('bad_scores', `${key}: ${f.scores.length} scores for ${f.rows} rows`, { file: key });
  }
  let prevR = -1;
  for (const [L, R] of f.windows) {
    if (!Number.isInteger(L) || !Number.isInteger(R) || L <= prevR || R < L || R >= f.rows) {
      throw badRequest('bad_windows', `${key}: window [${L}, ${R}] is out of order or out of range`, { file: key });
    }
    prevR = R;
  }
}

function resolveProfile(p: ProfileName | CostProfile): CostProfile {
  return typeof p === 'string' ? NAB_PROFILES[p] : p;
}

interface Prepared {
  readonly score: Float64Array;
  readonly unit: Float64Array;
  readonly win: Int32Array;
  /** Indices of non-NaN rows, by score descending. */
  readonly order: Uint32Array;
  readonly windows: number;
  readonly scorableWindows: number;
  readonly maxScore: number;
}

/** Flatten the scorable (post-probation) rows of every file into parallel arrays. */
function prepare(files: NabCorpusFiles): Prepared {
  let total = 0;
  let windows = 0;
  for (const [key, f] of files) {
    validateFile(key, f);
    total += f.rows - probationaryLength(f.rows);
    windows += f.windows.length;
  }
  const score = new Float64Array(total);
  const unit = new Float64Array(total);
  const win = new Int32Array(total);
  const seen = new Uint8Array(windows);
  let at = 0;
  let winBase = 0;
  let maxScore = -Infinity;
  for (const f of files.values()) {
    const w = rowWeights(f.rows, f.windows);
    for (let i = probationaryLength(f.rows); i < f.rows; i++, at++) {
      const s = Number(f.scores[i]);
      score[at] = s;
      if (s > maxScore) maxScore = s;
      unit[at] = w.unit[i]!;
      const local = w.window[i]!;
      win[at] = local < 0 ? -1 : winBase + local;
      if (local >= 0) seen[winBase + local] = 1;
    }
    winBase += f.windows.length;
  }
  const idx: number[] = [];
  for (let i = 0; i < total; i++) if (!Number.isNaN(score[i]!)) idx.push(i);
  idx.sort((a, b) => score[b]! - score[a]!);
  return {
    score, unit, win, order: Uint32Array.from(idx), windows, maxScore,
    scorableWindows: seen.reduce((n, v) => n + v, 0),
  };
}

function finish(profile: CostProfile, windows: number, t: number, raw: number, tp: number, fp: number, fn: number): CorpusScore {
  const nullScore = 0 - profile.fnWeight * windows;
  const perfectScore = profile.tpWeight * windows;
  const normalised = perfectScore === nullScore ? null : (100 * (raw - nullScore)) / (perfectScore - nullScore);
  return { threshold: t, rawScore: raw, normalised, tp, fp, fn, windows, nullScore, perfectScore };
}

/**
 * Sweep every distinct score (rows sorted descending) once, tracking per window the best (= earliest)
 * firing weight and the summed false-positive weights, and keep for each profile the threshold with the
 * highest raw score (ties: the higher threshold, i.e. the first seen). O(rows log rows) overall.
 */
function sweep(p: Prepared, profiles: readonly CostProfile[]): CorpusScore[] {
  const best = new Float64Array(p.windows).fill(Number.NaN);
  let sumTp = 0;
  let detected = 0;
  let sumFp = 0;
  let fpRows = 0;
  const never = p.maxScore < 1.1 ? 1.1 : Infinity;
  const results = profiles.map((pr) => ({
    t: never, raw: 0 - pr.fnWeight * p.scorableWindows, tp: 0, fp: 0, fn: p.scorableWindows,
  }));
  const { order, score, unit, win } = p;
  let k = 0;
  while (k < order.length) {
    const t = score[order[k]!]!;
    for (; k < order.length && score[order[k]!] === t; k++) {
      const r = order[k]!;
      const w = win[r]!;
      const u = unit[r]!;
      if (w < 0) {
        sumFp += u;
        fpRows++;
      } else {
        const b = best[w]!;
        if (Number.isNaN(b)) {
          best[w] = u;
          sumTp += u;
          detected++;
        } else if (u > b) {
          best[w] = u;
          sumTp += u - b;
        }
      }
    }
    for (let j = 0; j < profiles.length; j++) {
      const pr = profiles[j]!;
      const raw = pr.tpWeight * sumTp + pr.fpWeight * sumFp - pr.fnWeight * (p.scorableWindows - detected);
      const cur = results[j]!;
      if (raw > cur.raw) {
        cur.t = t;
        cur.raw = raw;
        cur.tp = detected;
        cur.fp = fpRows;
        cur.fn = p.scorableWindows - detected;
      }
    }
  }
  return results.map((r, j) => finish(profiles[j]!, p.windows, r.t, r.raw, r.tp, r.fp, r.fn));
}

/** Best NAB score of a corpus under one profile (threshold chosen over the whole corpus). */
export function scoreCorpus(input: { files: NabCorpusFiles; profile: ProfileName | CostProfile }): CorpusScore {
  return sweep(prepare(input.files), [resolveProfile(input.profile)])[0]!;
}

/** The three NAB profiles in one sweep, each with its own optimal threshold. */
export function scoreAllProfiles(input: { files: NabCorpusFiles }): Record<ProfileName, CorpusScore> {
  const results = sweep(prepare(input.files), PROFILE_NAMES.map((n) => NAB_PROFILES[n]));
  return Object.fromEntries(PROFILE_NAMES.map((n, i) => [n, results[i]!])) as Record<ProfileName, CorpusScore>;
}

/**
 * Raw score of a corpus at a fixed threshold, straight from the definition (earliest firing row per
 * window, every firing row outside windows). O(rows); the reference the sweep is tested against.
 */
export function scoreAtThreshold(
  files: NabCorpusFiles,
  threshold: number,
  profile: ProfileName | CostProfile,
): { rawScore: number; tp: number; fp: number; fn: number } {
  const pr = resolveProfile(profile);
  let rawScore = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [key, f] of files) {
    validateFile(key, f);
    const { unit, window } = rowWeights(f.rows, f.windows);
    const start = probationaryLength(f.rows);
    const earliest = new Float64Array(f.windows.length).fill(Number.NaN);
    const scorable = new Uint8Array(f.windows.length);
    for (let i = start; i < f.rows; i++) {
      const w = window[i]!;
      if (w >= 0) scorable[w] = 1;
      if (!(Number(f.scores[i]) >= threshold)) continue;
      if (w < 0) {
        rawScore += pr.fpWeight * unit[i]!;
        fp++;
      } else if (Number.isNaN(earliest[w]!)) {
        earliest[w] = unit[i]!;
      }
    }
    for (let w = 0; w < f.windows.length; w++) {
      if (scorable[w] === 0) continue;
      if (Number.isNaN(earliest[w]!)) {
        rawScore -= pr.fnWeight;
        fn++;
      } else {
        rawScore += pr.tpWeight * earliest[w]!;
        tp++;
      }
    }
  }
  return { rawScore, tp, fp, fn };
}
