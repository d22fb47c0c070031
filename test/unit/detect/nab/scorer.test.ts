import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NAB_PROFILES,
  PROFILE_NAMES,
  probationaryLength,
  rowWeights,
  scaledSigmoid,
  scoreAllProfiles,
  scoreAtThreshold,
  scoreCorpus,
  type NabFileInput,
} from '../../../../src/detect/nab/scorer.js';
import type { RowWindow } from '../../../../src/detect/nab/windows.js';
import { nabDatasetDir } from './helpers.js';

function one(rows: number, windows: RowWindow[], set: Record<number, number> = {}): Map<string, NabFileInput> {
  const scores = new Float64Array(rows);
  for (const [i, s] of Object.entries(set)) scores[Number(i)] = s;
  return new Map([['cat/f.csv', { scores, windows, rows }]]);
}

describe('scaledSigmoid', () => {
  it('matches NAB at the documented points', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(2.999)).toBeCloseTo(-0.9999994, 6);
    expect(scaledSigmoid(2.999)).toBeGreaterThan(-1);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(scaledSigmoid(1e9)).toBe(-1);
  });
  it('is decreasing and within [-1, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (x, d) => {
        const a = scaledSigmoid(x);
        expect(a).toBeGreaterThanOrEqual(-1);
        expect(a).toBeLessThanOrEqual(1);
        expect(scaledSigmoid(x + d)).toBeLessThanOrEqual(a);
      }),
    );
  });
});

describe('profiles', () => {
  it('equal the dataset profiles.json', () => {
    const dir = nabDatasetDir();
    if (dir === null) return;
    const json = JSON.parse(readFileSync(join(dir, 'profiles.json'), 'utf8')) as Record<
      string,
      { CostMatrix: { tpWeight: number; fnWeight: number; fpWeight: number } }
    >;
    for (const name of PROFILE_NAMES) {
      const { tpWeight, fnWeight, fpWeight } = json[name]!.CostMatrix;
      expect(NAB_PROFILES[name]).toEqual({ tpWeight, fnWeight, fpWeight });
    }
  });
});

describe('probationary period', () => {
  it('is min(floor(0.15 N), 750)', () => {
    expect(probationaryLength(0)).toBe(0);
    expect(probationaryLength(6)).toBe(0);
    expect(probationaryLength(7)).toBe(1);
    expect(probationaryLength(100)).toBe(15);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(4999)).toBe(749);
    expect(probationaryLength(5000)).toBe(750);
    expect(probationaryLength(22695)).toBe(750);
  });
  it('ignores firing rows inside it, in or out of windows', () => {
    // N=100 → P=15. A false positive at row 3 and a detection at row 12 of window [10, 20] are ignored.
    const files = one(100, [[10, 20]], { 3: 1, 12: 1 });
    expect(scoreAtThreshold(files, 1, 'standard')).toEqual({ rawScore: -1, tp: 0, fp: 0, fn: 1 });
    // Row 16 is the first scorable row of the window: weight σ(−(20−16+1)/11)/σ(−1).
    const later = one(100, [[10, 20]], { 3: 1, 12: 1, 16: 1 });
    const r = scoreCorpus({ files: later, profile: 'standard' });
    expect(r.rawScore).toBeCloseTo(scaledSigmoid(-5 / 11) / scaledSigmoid(-1), 12);
    expect(r).toMatchObject({ threshold: 1, tp: 1, fp: 0, fn: 0 });
  });
  it('a window entirely inside it is not scored (as NAB)', () => {
    const r = scoreCorpus({ files: one(100, [[2, 5]]), profile: 'standard' });
    expect(r.rawScore).toBe(0);
    expect(r.fn).toBe(0);
  });
});

describe('window scoring', () => {
  it('a window with no detection costs −fn under each profile', () => {
    const files = one(200, [[100, 119]]);
    const all = scoreAllProfiles({ files });
    expect(all.standard).toMatchObject({ threshold: 1.1, rawScore: -1, tp: 0, fn: 1, fp: 0, normalised: 0 });
    expect(all.reward_low_FP_rate.rawScore).toBe(-1);
    expect(all.reward_low_FN_rate.rawScore).toBe(-2);
    expect(all.reward_low_FN_rate.normalised).toBe(0);
  });
  it('the earliest detection counts: tp at the first row, less later, later detections add nothing', () => {
    const at = (i: number): number => scoreAtThreshold(one(200, [[100, 119]], { [i]: 1 }), 1, 'standard').rawScore;
    expect(at(100)).toBeCloseTo(1, 12);
    expect(at(110)).toBeCloseTo(scaledSigmoid(-10 / 20) / scaledSigmoid(-1), 12);
    expect(at(119)).toBeCloseTo(scaledSigmoid(-1 / 20) / scaledSigmoid(-1), 12);
    expect(at(110)).toBeGreaterThan(at(119));
    const both = scoreAtThreshold(one(200, [[100, 119]], { 105: 1, 110: 1, 118: 1 }), 1, 'standard');
    expect(both.rawScore).toBeCloseTo(scaledSigmoid(-15 / 20) / scaledSigmoid(-1), 12);
    expect(both.tp).toBe(1);
  });
  it('normalises with null = −fn × windows and perfect = tp × windows', () => {
    const r = scoreCorpus({ files: one(200, [[100, 119], [150, 159]], { 100: 1 }), profile: 'reward_low_FN_rate' });
    expect(r).toMatchObject({ windows: 2, nullScore: -4, perfectScore: 2, tp: 1, fn: 1 });
    expect(r.rawScore).toBeCloseTo(-1, 12);
    expect(r.normalised).toBeCloseTo((100 * (-1 + 4)) / 6, 9);
  });
});

describe('false positives', () => {
  const fp = NAB_PROFILES.standard.fpWeight;
  it('cost −fp each before any window, ten rows cost ten times', () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [30 + k, 1]));
    const r = scoreAtThreshold(one(200, [[100, 119]], ten), 1, 'standard');
    expect(r.rawScore).toBeCloseTo(-1 - 10 * fp, 12);
    expect(r.fp).toBe(10);
  });
  it('after a window are weighted relative to it: σ((i − R′)/(W′ − 1))', () => {
    // Window [100, 109], W′ = 10; the window is detected at its first row.
    const at = (i: number): number =>
      scoreAtThreshold(one(300, [[100, 109]], { 100: 1, [i]: 1 }), 1, 'standard').rawScore - 1;
    expect(at(110)).toBeCloseTo(fp * scaledSigmoid(1 / 9), 12);
    expect(at(110)).toBeGreaterThan(-0.3 * fp);
    expect(at(118)).toBeCloseTo(fp * scaledSigmoid(9 / 9), 12);
    expect(at(130)).toBeCloseTo(fp * scaledSigmoid(21 / 9), 12);
    expect(at(136)).toBeCloseTo(-fp, 12);
    expect(at(250)).toBeCloseTo(-fp, 12);
  });
  it('use the most recent window', () => {
    const { unit } = rowWeights(300, [[100, 109], [200, 204]]);
    expect(unit[150]).toBeCloseTo(scaledSigmoid(41 / 9), 12);
    expect(unit[205]).toBeCloseTo(scaledSigmoid(1 / 4), 12);
    expect(unit[50]).toBe(-1);
  });
});

describe('threshold sweep', () => {
  it('keeps the higher threshold on ties', () => {
    // Rows 100 (0.9) and 101 (0.8) are both in the window: at 0.8 the score is the same as at 0.9.
    const r = scoreCorpus({ files: one(200, [[100, 119]], { 100: 0.9, 101: 0.8 }), profile: 'standard' });
    expect(r.threshold).toBe(0.9);
    expect(r.rawScore).toBeCloseTo(1, 12);
    // No windows: nothing beats never firing (1.1).
    expect(scoreCorpus({ files: one(50, [], { 20: 0.5 }), profile: 'standard' }).threshold).toBe(1.1);
  });
  it('equals the best of re-scoring at every candidate threshold (property)', () => {
    const levels = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
    const fileArb = fc
      .record({
        rows: fc.integer({ min: 1, max: 80 }),
        cuts: fc.uniqueArray(fc.integer({ min: 0, max: 79 }), { maxLength: 6 }),
        raw: fc.array(fc.oneof(fc.constantFrom(...levels), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 80,
          maxLength: 80,
        }),
      })
      .map(({ rows, cuts, raw }): NabFileInput => {
        const c = cuts.filter((x) => x < rows).sort((a, b) => a - b);
        const windows: RowWindow[] = [];
        for (let k = 0; k + 1 < c.length; k += 2) windows.push([c[k]!, c[k + 1]!]);
        return { rows, windows, scores: Float64Array.from(raw.slice(0, rows)) };
      });
    fc.assert(
      fc.property(fc.array(fileArb, { minLength: 1, maxLength: 4 }), (list) => {
        const files = new Map(list.map((f, i) => [`c/${i}.csv`, f] as const));
        const candidates = new Set<number>([1.1]);
        for (const f of files.values()) {
          for (let i = probationaryLength(f.rows); i < f.rows; i++) candidates.add(f.scores[i]!);
        }
        const sorted = [...candidates].sort((a, b) => b - a);
        const all = scoreAllProfiles({ files });
        for (const profile of PROFILE_NAMES) {
          const ref = sorted.map((t) => ({ t, ...scoreAtThreshold(files, t, profile) }));
          const bestRaw = Math.max(...ref.map((r) => r.rawScore));
          const got = all[profile];
          expect(got.rawScore).toBeCloseTo(bestRaw, 9);
          const chosen = ref.find((r) => r.t === got.threshold)!;
          expect(chosen).toBeDefined();
          expect(chosen.rawScore).toBeCloseTo(bestRaw, 9);
          expect({ tp: got.tp, fp: got.fp, fn: got.fn }).toEqual({ tp: chosen.tp, fp: chosen.fp, fn: chosen.fn });
          for (const r of ref) if (r.t > got.threshold) expect(r.rawScore).toBeLessThan(bestRaw - 1e-12);
        }
      }),
      { numRuns: 200 },
    );
  });
  it('never fires for NaN scores', () => {
    const files = one(100, [[50, 59]], { 50: Number.NaN, 51: 0.7 });
    const r = scoreCorpus({ files, profile: 'standard' });
    expect(r.threshold).toBe(0.7);
  });
});

describe('input validation', () => {
  it('rejects score/row count mismatches and bad windows', () => {
    const bad = new Map([['c/x.csv', { scores: [0, 0], windows: [], rows: 3 }]]);
    expect(() => scoreCorpus({ files: bad, profile: 'standard' })).toThrow(/2 scores for 3 rows/);
    const overlap = new Map([['c/x.csv', { scores: new Array(10).fill(0), windows: [[2, 5], [5, 6]] as RowWindow[], rows: 10 }]]);
    expect(() => scoreCorpus({ files: overlap, profile: 'standard' })).toThrow(expect.objectContaining({ code: 'bad_windows' }));
    const range = new Map([['c/x.csv', { scores: new Array(10).fill(0), windows: [[2, 10]] as RowWindow[], rows: 10 }]]);
    expect(() => scoreCorpus({ files: range, profile: 'standard' })).toThrow(expect.objectContaining({ code: 'bad_windows' }));
  });
});
