import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LEARN_DELAY_POINTS, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';
import { quiet, valueScores } from './value-scores.js';
import { mulberry32 } from '../../../src/lib/random.js';
import { DELAY_AFTER_POINTS, IntervalNovelty } from '../../../src/detect/novelty.js';

describe('ensemble-7 delayed learning (IntervalNovelty delayPoints)', () => {
  it('scores each value against the history as it was delayPoints updates earlier, once DELAY_AFTER_POINTS are known', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (xs, d) => {
        const late = new IntervalNovelty(128, d);
        // reference: learned at once while fewer than DELAY_AFTER_POINTS are known, then through a d-point queue
        const learned: number[] = [];
        const queue: number[] = [];
        for (const x of xs) {
          expect(late.update(x)).toBeCloseTo(refScore(learned, x), 6);
          if (queue.length === 0 && learned.length < DELAY_AFTER_POINTS) learned.push(x);
          else {
            queue.push(x);
            if (queue.length > d) learned.push(queue.shift()!);
          }
        }
        expect(late.count).toBe(learned.length);
      }),
    );
  });

  it('with delay 0 it is the old immediate learner', () => {
    const a = new IntervalNovelty(16, 0);
    const b = new IntervalNovelty(16);
    for (const x of quiet(50, 5, 2)) expect(a.update(x)).toBe(b.update(x));
    expect(a.bytes).toBe(b.bytes);
    expect(new IntervalNovelty(16, 4).bytes - b.bytes).toBe(32);
  });

  it('a young series is learned at once: points 10–40 of i.i.d. noise fire no more often than without the delay', () => {
    const fires = (learnDelayPoints: number): number => {
      const rand = mulberry32(1);
      let n = 0;
      for (let s = 0; s < 600; s++) {
        const st = SeriesState.build(['model'], {}, 16, 0, 288, learnDelayPoints);
        const raw = new Float64Array(RAW_STRIDE).fill(Number.NaN);
        const out = { score: 0, component: '' };
        for (let i = 0; i < 40; i++) {
          const g = Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
          raw[RAW_VALUE] = 100 + 10 * g;
          if (st.update(raw, 0, out).score >= 0.95 && i >= 9) n++;
        }
      }
      return n;
    };
    expect(fires(LEARN_DELAY_POINTS)).toBe(fires(0));
  });

  it('a slow drop (a [1m] rate at 5 s scrapes: -6.7 % of the level a point) fires; learned at once it did not', () => {
    expect(LEARN_DELAY_POINTS).toBeGreaterThan(0);
    const base = quiet(200, 70, 2);
    const ramp = Array.from({ length: 12 }, (_, i) => 70 * (1 - (0.8 * (i + 1)) / 12));
    const xs = [...base, ...ramp, ...Array<number>(10).fill(14)];
    const sc = valueScores(xs);
    expect(Math.max(...sc.slice(base.length))).toBeGreaterThanOrEqual(0.95);
    expect(Math.max(...sc.slice(0, base.length))).toBeLessThan(0.95);
    // learned at once, each step is one step from the previous value in an sd the ramp inflates
    expect(Math.max(...valueScores(xs, 0).slice(base.length))).toBeLessThan(0.9);
  });
});

/** Distance from x to the nearest of `prev` over the upper one-SE bound of the population sd of `prev` (IntervalNovelty's formula). */
function refScore(prev: number[], x: number): number {
  if (prev.length < 2) return 0;
  const mean = prev.reduce((a, b) => a + b, 0) / prev.length;
  const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / prev.length) * (1 + 1 / Math.sqrt(2 * prev.length)) + 1e-9 + 1e-6 * Math.abs(mean);
  return Math.min(...prev.map((p) => Math.abs(x - p))) / sd;
}
