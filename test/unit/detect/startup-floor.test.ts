import { describe, expect, it } from 'vitest';
import { FLOOR_POINTS, LEVEL_FLOOR, STARTUP_MAX_POINTS } from '../../../src/detect/ensemble.js';
import { IntervalNovelty } from '../../../src/detect/novelty.js';
import { quiet, valueScores } from './value-scores.js';

describe('ensemble-6 start-up', () => {
  it('a ramp at the start is not learned: a later drop to a level the ramp passed through fires', () => {
    const ramp = [10, 20, 30, 40, 50, 60, 70];
    const xs = [...ramp, ...quiet(60, 70, 0.7), 40];
    const sc = valueScores(xs);
    expect(sc[sc.length - 1]).toBeGreaterThan(0.9);
    // the start-up itself raises nothing
    expect(Math.max(...sc.slice(0, ramp.length + 10))).toBeLessThan(0.9);
  });

  it('a series that trends from its first point is learned after STARTUP_MAX_POINTS', () => {
    const xs = Array.from({ length: STARTUP_MAX_POINTS + 40 }, (_, i) => i);
    const sc = valueScores([...xs, 50]); // a return into the learned part of the trend: not novel
    expect(sc[sc.length - 1]).toBe(0);
  });
});

describe('ensemble-6 level-relative scale floor', () => {
  it('IntervalNovelty scores in units of max(sd, floor)', () => {
    const n = new IntervalNovelty(16);
    for (const x of quiet(40, 100, 0.9)) n.update(x);
    const a = new IntervalNovelty(16);
    for (const x of quiet(40, 100, 0.9)) a.update(x);
    expect(n.update(106, 5)).toBeLessThan(a.update(106) / 4);
  });

  it('a +6 % step of a series flattened to ~0.6 % sd does not fire; a +30 % step does', () => {
    expect(LEVEL_FLOOR).toBeGreaterThan(0.06 / 3); // the step is < 3 floors at FLOOR_POINTS of history
    const base = quiet(FLOOR_POINTS + 10, 100, 0.9);
    expect(valueScores([...base, 106]).at(-1)).toBeLessThan(0.9);
    expect(valueScores([...base, 130]).at(-1)).toBeGreaterThan(0.99);
  });
});
