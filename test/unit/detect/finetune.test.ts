import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/lib/random.js';
import { prepareInputs } from '../../../src/detect/model.js';
import { sampleTrainingWindows, trainingPairs } from '../../../src/detect/training.js';
import { splitTrainHoldout, splitWindows } from '../../../src/detect/finetune-job.js';
import { decideAdoption, sampleSeries, windowsAvailable } from '../../../src/detect/finetune.js';
import { fineTunedVersion } from '../../../src/detect/weights.js';

/** A series whose value is its point index (so a target names where it came from), offset per series. */
const ramp = (n: number, offset = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => offset + i);

describe('training-pair sampling (shared with aiopsd train)', () => {
  it('samples windows of inputPoints + 1 points ending at the target, skips short series, and repeats with a seed', () => {
    const series = [ramp(100), ramp(5, 10_000), ramp(60, 1_000_000)];
    const a = sampleTrainingWindows(series, 8, 500, mulberry32(7));
    const b = sampleTrainingWindows(series, 8, 500, mulberry32(7));
    expect(a.windows.length).toBe(500);
    expect(Array.from(a.targets)).toEqual(Array.from(b.targets));
    for (let k = 0; k < 500; k++) {
      const w = a.windows[k]!;
      expect(w.length).toBe(9);
      expect(w[8]).toBe(a.targets[k]);
      expect(a.targets[k]! < 10_000 || a.targets[k]! >= 1_000_000).toBe(true); // the 5-point series is never used
    }
    expect(sampleTrainingWindows([ramp(5)], 8, 10, mulberry32(1)).windows).toEqual([]);
  });

  it('pairs are the window normalised by its first inputPoints values, the target the same way, clipped to ±20', () => {
    const w = [Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 1000])];
    const pairs = trainingPairs(w, Float64Array.from([1000]), 8);
    const { x, centre, scale } = prepareInputs(w, 8);
    expect(Array.from(pairs.x)).toEqual(Array.from(x));
    expect(pairs.y[0]).toBe(20);
    const calm = trainingPairs(w, Float64Array.from([6]), 8);
    expect(calm.y[0]).toBeCloseTo((6 - centre[0]!) / scale[0]!, 5);
  });

  it('leaves out windows with an infinite target or no finite input (±Inf from the store), keeping the others in order', () => {
    const ok1 = Float64Array.from([1, 2, 3, 4, 5]);
    const allInf = Float64Array.from([Infinity, Infinity, -Infinity, Infinity, 5]);
    const infTarget = Float64Array.from([1, 2, 3, 4, Infinity]);
    const ok2 = Float64Array.from([5, 4, Infinity, 2, 1]);
    const pairs = trainingPairs([ok1, allInf, infTarget, ok2], Float64Array.from([5, 5, Infinity, 1]), 4);
    expect(pairs.count).toBe(2);
    expect(Array.from(pairs.y).every(Number.isFinite)).toBe(true);
    const alone = [trainingPairs([ok1], Float64Array.from([5]), 4), trainingPairs([ok2], Float64Array.from([1]), 4)];
    expect(Array.from(pairs.x)).toEqual([...alone[0]!.x, ...alone[1]!.x]);
    expect(Array.from(pairs.y)).toEqual([alone[0]!.y[0], alone[1]!.y[0]]);
  });

  it('splits the requested windows into training and holdout pairs, the same way for the same seed', () => {
    const series = [ramp(200), ramp(100, 10_000)];
    const { train, holdout } = splitTrainHoldout(series, 8, 1000, 0.25, mulberry32(3));
    expect(train.count).toBe(750);
    expect(holdout.count).toBe(250);
    const again = splitTrainHoldout(series, 8, 1000, 0.25, mulberry32(3));
    expect(Array.from(again.train.x)).toEqual(Array.from(train.x));
    expect(Array.from(again.holdout.y)).toEqual(Array.from(holdout.y));
  });

  it('holdout targets come only from the newest holdoutFraction of each series', () => {
    const series = [ramp(200), ramp(100, 10_000)]; // the value is the index (+ 10 000 in the second)
    const { train, holdout } = splitWindows(series, 8, 2000, 0.25, mulberry32(11));
    const index = (v: number): { series: number; at: number } => (v >= 10_000 ? { series: 1, at: v - 10_000 } : { series: 0, at: v });
    const cuts = [150, 75];
    for (const v of train.targets) expect(index(v).at).toBeLessThan(cuts[index(v).series]!);
    for (const v of holdout.targets) expect(index(v).at).toBeGreaterThanOrEqual(cuts[index(v).series]!);
    expect(new Set(holdout.targets).size).toBeGreaterThan(30); // both series, most of their newest points
    for (const w of holdout.windows) expect(w.length).toBe(9); // inputs may reach back into the training part
  });
});

describe('series sampling from the store', () => {
  const store = (lengths: Record<string, number>) => ({
    *all() {
      for (const [key, n] of Object.entries(lengths)) yield { key, points: n } as never;
    },
    window: (key: string) => ({ values: ramp(lengths[key]!), timestamps: ramp(lengths[key]!) }),
  });

  it('takes at most maxSeries of the series long enough, independent of arrival order, repeatable with a seed', () => {
    const a = store({ a: 100, b: 100, c: 5, d: 100, e: 100 });
    const b = store({ e: 100, d: 100, c: 5, b: 100, a: 100 });
    const one = sampleSeries(a, 3, 8, mulberry32(5));
    const two = sampleSeries(b, 3, 8, mulberry32(5));
    expect(one.length).toBe(3);
    expect(one.map((s) => s.length)).toEqual(two.map((s) => s.length));
    expect(sampleSeries(a, 10, 8, mulberry32(5)).length).toBe(4);
    expect(windowsAvailable(one, 8)).toBe(3 * 92);
  });
});

describe('adopt or keep', () => {
  it('adopts only a finite candidate that improves the holdout error by at least minImprovementRatio', () => {
    expect(decideAdoption({ currentError: 1, candidateError: 0.9, finalLoss: 0.5 }, 0.05)).toEqual({ outcome: 'adopted', reason: 'improved' });
    expect(decideAdoption({ currentError: 1, candidateError: 0.97, finalLoss: 0.5 }, 0.05)).toEqual({ outcome: 'rejected', reason: 'no_improvement' });
    expect(decideAdoption({ currentError: 1, candidateError: 1.2, finalLoss: 0.5 }, 0)).toEqual({ outcome: 'rejected', reason: 'no_improvement' });
    expect(decideAdoption({ currentError: 1, candidateError: 1, finalLoss: 0.5 }, 0)).toEqual({ outcome: 'rejected', reason: 'no_improvement' });
    expect(decideAdoption({ currentError: 0, candidateError: 0, finalLoss: 0 }, 0)).toEqual({ outcome: 'rejected', reason: 'no_improvement' });
    expect(decideAdoption({ currentError: 1, candidateError: NaN, finalLoss: 0.5 }, 0.05)).toEqual({ outcome: 'failed', reason: 'nan_loss' });
    expect(decideAdoption({ currentError: 1, candidateError: 0.1, finalLoss: NaN }, 0.05)).toEqual({ outcome: 'failed', reason: 'nan_loss' });
  });

  it('names fine-tuned weights after the shipped version and the adoption count', () => {
    expect(fineTunedVersion('mlp32-s42-e6-n60000', 1)).toBe('mlp32-s42-e6-n60000+ft1');
    expect(fineTunedVersion('mlp32-s42-e6-n60000+ft1', 2)).toBe('mlp32-s42-e6-n60000+ft2');
  });
});
