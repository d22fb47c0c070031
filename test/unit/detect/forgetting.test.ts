import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateConfig } from '../../../src/config/load.js';
import { EnsembleDetector } from '../../../src/detect/ensemble.js';
import { IntervalNovelty } from '../../../src/detect/novelty.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Exact reference with a horizon: the distance to the nearest earlier value whose latest occurrence is
 * within `horizonH` hours of the point / the scale of ALL earlier values (the moments do not forget).
 */
function exactWithHorizon(xs: number[], hours: number[], horizonH: number): number[] {
  return xs.map((x, i) => {
    if (i < 2) return 0;
    const prev = xs.slice(0, i);
    const mean = prev.reduce((a, b) => a + b, 0) / i;
    const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / i) * (1 + 1 / Math.sqrt(2 * i)) + 1e-9 + 1e-6 * Math.abs(mean);
    const lastSeen = new Map<number, number>();
    prev.forEach((p, j) => lastSeen.set(p, hours[j]!));
    const recent = [...lastSeen].filter(([, h]) => h >= hours[i]! - horizonH).map(([p]) => p);
    return recent.length === 0 ? 0 : Math.min(...recent.map((p) => Math.abs(x - p))) / sd;
  });
}

describe('novelty horizon (detect.ensemble.noveltyHorizonMs)', () => {
  it('is the distance to the nearest value seen within the horizon, while under capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 30 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 48 }),
        (steps, horizonH) => {
          const xs = steps.map(([x]) => x);
          const hours: number[] = [];
          steps.forEach(([, dt], i) => hours.push((i === 0 ? 0 : hours[i - 1]!) + dt)); // whole hours: exact in float32
          const n = new IntervalNovelty(128, 0, undefined, horizonH * HOUR);
          const want = exactWithHorizon(xs, hours, horizonH);
          xs.forEach((x, i) => expect(n.update(x, 0, hours[i]! * HOUR)).toBeCloseTo(want[i]!, 6));
        },
      ),
    );
  });

  it('when full, drops an interval out of the horizon before merging two that are in it', () => {
    const n = new IntervalNovelty(3, 0, undefined, 10 * HOUR);
    n.update(0, 0, 0);
    n.update(100, 0, 0); // will be out of the horizon
    n.update(10, 0, 5 * HOUR);
    n.update(0, 0, 12 * HOUR); // renews 0
    n.update(12, 0, 12 * HOUR); // a fourth interval: 100 (last seen 0 h) goes, 10 and 12 stay apart
    expect(n.update(11, 0, 12 * HOUR)).toBeGreaterThan(0); // between 10 and 12: not merged into [10, 12]
    expect(n.update(100, 0, 12 * HOUR)).toBeGreaterThan(0); // forgotten
    expect(n.update(100, 0, 13 * HOUR)).toBe(0); // and learned again
  });

  it('a visit time never goes back: an untimed visit stays unforgettable, an older point does not age an interval', () => {
    const untimed = new IntervalNovelty(16, 0, undefined, HOUR);
    for (let i = 0; i < 20; i++) untimed.update(i % 5);
    untimed.update(30);
    untimed.update(30, 0, 0); // the same level again, now with a time
    expect(untimed.update(30, 0, 10 * HOUR)).toBe(0);
    const backwards = new IntervalNovelty(16, 0, undefined, 8 * HOUR);
    for (let i = 0; i < 20; i++) backwards.update(i % 5, 0, 10 * HOUR);
    backwards.update(30, 0, 10 * HOUR);
    backwards.update(30, 0, 0); // an older point of the same level
    expect(backwards.update(30, 0, 12 * HOUR)).toBe(0);
  });

  it('without a horizon, or for points without a time, nothing is forgotten', () => {
    const plain = new IntervalNovelty(16);
    const untimed = new IntervalNovelty(16, 0, undefined, HOUR);
    for (const n of [plain, untimed]) {
      for (let i = 0; i < 50; i++) n.update(Math.sin(i));
      n.update(30);
      for (let i = 0; i < 50; i++) n.update(Math.sin(i));
      expect(n.update(30, 0, 1000 * DAY)).toBe(0);
    }
  });

  /** A daily request rate at 10-minute steps for 30 days, with the same 2-hour outage (to 5 %) on days 3, 12 and 24. */
  function outageScores(noveltyHorizonMs: number): { firstPoints: number[]; falsePoints: number } {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const perDay = 144;
    const n = 30 * perDay;
    const outages = [3, 12, 24].map((d) => d * perDay + 60);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      v[i] = 100 + 20 * Math.sin((2 * Math.PI * i) / perDay) + 3 * gauss();
      if (outages.some((s) => i >= s && i < s + 12)) v[i] = 5 + gauss();
    }
    const det = new EnsembleDetector(null, { windowPoints: 64, noveltyHorizonMs });
    const raw = det.raw(Array.from({ length: n }, (_, i) => v.subarray(Math.max(0, i - 63), i + 1))).raw;
    const state = det.createState();
    const out = { score: 0, component: '' };
    const scores = Array.from({ length: n }, (_, i) => state.update(raw, i, out, 1_700_000_000_000 + i * 600_000).score);
    const near = (i: number): boolean => outages.some((s) => i >= s && i < s + 24);
    return {
      firstPoints: outages.map((s) => Math.max(...scores.slice(s, s + 3))),
      falsePoints: scores.filter((s, i) => i >= perDay && s >= 0.95 && !near(i)).length,
    };
  }

  it('an outage that comes back after the horizon is caught again; without one only the first is', () => {
    const never = outageScores(0);
    expect(never.firstPoints[0]).toBeGreaterThanOrEqual(0.95);
    expect(never.firstPoints.slice(1).every((s) => s < 0.95)).toBe(true); // the limitation the option exists for
    const eightDays = outageScores(8 * DAY);
    expect(eightDays.firstPoints.every((s) => s >= 0.95)).toBe(true); // 9 and 12 days apart
    expect(eightDays.falsePoints).toBe(never.falsePoints);
  });

  it('config: 0 or at least an hour, with a message that says so', () => {
    expect(validateConfig({ detect: { ensemble: { noveltyHorizonMs: 691_200_000 } } }, 'x.yaml').detect.ensemble.noveltyHorizonMs).toBe(691_200_000);
    expect(() => validateConfig({ detect: { ensemble: { noveltyHorizonMs: 60_000 } } }, 'x.yaml')).toThrowError(
      /detect\.ensemble\.noveltyHorizonMs: must be 0 \(never forget\) or at least 3600000/,
    );
  });
});
