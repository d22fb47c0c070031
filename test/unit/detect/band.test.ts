import { describe, expect, it } from 'vitest';
import { DAY_MS, DayProfile } from '../../../src/detect/day-profile.js';
import { loadConfig, validateConfig } from '../../../src/config/load.js';
import type { SeriesFamily } from '../../../src/detect/detector.js';
import { BAND_PAD, EnsembleDetector, LEARN_DELAY_POINTS, NOVELTY_CAPACITY, SEASON_POINTS, SEASON_WEIGHT, SeriesState, SeriesStateShape } from '../../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';
import { ensembleOptions } from '../../../src/detect/registry.js';
import { familyMatcher } from '../../../src/detect/stage.js';

const HOUR = 3_600_000;
const at = (day: number, hour: number, min = 0): number => day * DAY_MS + hour * HOUR + min * 60_000;

describe('time-of-day band (ensemble-10 contextual repeats)', () => {
  it('holds x when it lies within its slice\'s band on an earlier day, widened by pad × half the band\'s width', () => {
    const p = new DayProfile(24, 3);
    expect(p.withinBand(5, at(0, 3), 0)).toBe(false); // nothing learned
    p.learn(4, at(0, 3));
    p.learn(6, at(0, 3, 30)); // day 0, slice 3: band [4, 6]
    expect(p.withinBand(5, at(0, 3, 40), 0)).toBe(false); // today's band is not an earlier day's
    expect(p.withinBand(5, at(1, 3), 0)).toBe(true);
    expect(p.withinBand(4, at(1, 3), 0)).toBe(true); // the bounds are inside
    expect(p.withinBand(6.1, at(1, 3), 0)).toBe(false);
    expect(p.withinBand(6.1, at(1, 3), 0.2)).toBe(true); // margin 0.2 × (6 − 4) / 2 = 0.2
    expect(p.withinBand(3.75, at(1, 3), 0.2)).toBe(false);
    expect(p.withinBand(5, at(1, 4), 1)).toBe(false); // another slice of the day
    expect(p.withinBand(5, at(4, 3), 1)).toBe(false); // day 0 is four days back from day 4
    expect(p.withinBand(Number.NaN, at(1, 3), 1)).toBe(false);
    expect(p.withinBand(5, Number.NaN, 1)).toBe(false);
  });

  it('any of the earlier days holding x is enough, and a value seen before is always inside (bounds rounded outwards to float32)', () => {
    const p = new DayProfile(24, 3);
    p.learn(0.1, at(0, 7));
    p.learn(100, at(1, 7));
    p.learn(100.3, at(1, 7, 10));
    expect(p.withinBand(0.1, at(2, 7), 0)).toBe(true); // day 0's band
    expect(p.withinBand(100.3, at(2, 7), 0)).toBe(true); // day 1's band; 100.3 is not a float32
    expect(p.withinBand(50, at(2, 7), 0)).toBe(false); // between the two days' bands
  });
});

/**
 * A flat, slightly noisy 5-minute series (level 10) with a daily job's spike at 03:00 whose height varies
 * from day to day; `lastAtHour` moves the last day's spike to another hour.
 */
function dailyJob(heights: readonly number[], lastAtHour = 3): { raw: Float64Array; t: Float64Array; spikes: number[] } {
  const perDay = 288;
  const n = perDay * heights.length;
  const v = new Float64Array(n);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = 10 + 0.1 * Math.sin(i * 1.7) + 0.05 * Math.sin(i * 0.37);
    t[i] = at(20_000, 0) + i * 300_000;
  }
  const spikes = heights.map((h, d) => d * perDay + 12 * (d === heights.length - 1 ? lastAtHour : 3));
  spikes.forEach((i, d) => (v[i] = heights[d]!));
  // the forecaster's residual: the spike is a miss the size of the spike
  const raw = new Float64Array(n * RAW_STRIDE);
  for (let i = 0; i < n; i++) {
    raw[i * RAW_STRIDE] = v[i]! - 10;
    raw[i * RAW_STRIDE + 1] = raw[i * RAW_STRIDE + 2] = Number.NaN;
    raw[i * RAW_STRIDE + RAW_VALUE] = v[i]!;
  }
  return { raw, t, spikes };
}

/** The model component's scores with the default settings and this band widening (negative: no contextual repeats). */
function scores(raw: Float64Array, t: Float64Array, bandPad: number): Float64Array {
  const st = new SeriesState(new SeriesStateShape(['model'], {}, NOVELTY_CAPACITY, SEASON_WEIGHT, SEASON_POINTS, LEARN_DELAY_POINTS, 0, bandPad));
  const out = { score: 0, component: '' };
  return Float64Array.from(t, (time, i) => st.update(raw, i, out, time).score);
}

describe('contextual repeats in the model component', () => {
  const heights = [15, 15.5, 14.8, 15.9, 15.2, 16.2];

  it('a daily job\'s spike of a height not seen before fires on its first day, then is a repeat of its hour', () => {
    const { raw, t, spikes } = dailyJob(heights);
    const before = scores(raw, t, -1); // ensemble-9: no contextual repeats
    const now = scores(raw, t, BAND_PAD);
    expect(now[spikes[0]!]).toBeGreaterThan(0.9); // the first one is news
    // the days a new record height comes (days 4 and 6) ensemble-9 fired again; now they are the hour's usual
    for (const d of [3, 5]) {
      expect(before[spikes[d]!]).toBeGreaterThan(0.5);
      expect(now[spikes[d]!]).toBeLessThan(0.1);
    }
  });

  it('the same spike at another hour is still news, and so is one far above its hour\'s band', () => {
    const moved = dailyJob(heights.slice(0, 4), 15);
    expect(scores(moved.raw, moved.t, BAND_PAD)[moved.spikes[3]!]).toBeGreaterThan(0.5);
    const tall = dailyJob([...heights.slice(0, 3), 25]);
    expect(scores(tall.raw, tall.t, BAND_PAD)[tall.spikes[3]!]).toBeGreaterThan(0.9);
  });
});

describe('detect.ensemble.contextualRepeats and its family override', () => {
  const heights = [15, 15.5, 14.8, 15.9];
  const scoreLast = (det: EnsembleDetector, family?: SeriesFamily): number => {
    const { raw, t, spikes } = dailyJob(heights);
    const st = det.createState(family);
    const out = { score: 0, component: '' };
    let s = 0;
    for (let i = 0; i <= spikes[3]!; i++) s = st.update(raw, i, out, t[i]).score;
    return s;
  };

  it('is on by default, off with false (env or file), and a family can turn it off for its series only', () => {
    const on = validateConfig({}, 'x.yaml');
    expect(on.detect.ensemble.contextualRepeats).toBe(true);
    const off = loadConfig({ env: { AIOPSD_DETECT_ENSEMBLE_CONTEXTUAL_REPEATS: 'false' } });
    expect(off.detect.ensemble.contextualRepeats).toBe(false);
    const withFamily = validateConfig({ detect: { families: [{ match: 'latency', components: ['model'], contextualRepeats: false }] } }, 'x.yaml');
    expect(familyMatcher(withFamily.detect.families)('svc:latency_p99')).toEqual({ components: ['model'], contextualRepeats: false });

    const det = new EnsembleDetector(null, ensembleOptions(on.detect));
    expect(scoreLast(det)).toBeLessThan(0.1); // the hour's usual spike
    expect(scoreLast(det, { contextualRepeats: false })).toBeGreaterThan(0.5);
    expect(scoreLast(new EnsembleDetector(null, ensembleOptions(off.detect)))).toBeGreaterThan(0.5);
    expect(() => validateConfig({ detect: { ensemble: { contextualRepeats: 'yes' } } }, 'x.yaml')).toThrowError(/detect\.ensemble\.contextualRepeats/);
  });
});

describe('contextual repeats change the score, never what is learned', () => {
  const shapeOf = (s: SeriesState): SeriesStateShape => (s as unknown as { shape: SeriesStateShape }).shape;
  /** The model component's raw score of one more point (SeriesState's private modelRaw). */
  const rawOf = (s: SeriesState, residual: number, x: number, t: number): number =>
    (s as unknown as { modelRaw(r: number, x: number, t: number): number }).modelRaw(residual, x, t);
  const state = (bandPad: number): SeriesState => new SeriesState(new SeriesStateShape(['model'], {}, NOVELTY_CAPACITY, SEASON_WEIGHT, SEASON_POINTS, LEARN_DELAY_POINTS, 0, bandPad));

  it('every summary holds the same counts and variances at every point with and without contextual repeats', () => {
    const { raw, t } = dailyJob([15, 15.5, 14.8, 15.9, 15.2, 16.2]);
    const a = state(BAND_PAD);
    const b = state(-1);
    const out = { score: 0, component: '' };
    let differ = 0;
    for (let i = 0; i < t.length; i++) {
      if (a.update(raw, i, out, t[i]).score !== b.update(raw, i, out, t[i]).score) differ++;
      for (const k of [shapeOf(a).values!, shapeOf(a).residuals!, shapeOf(a).seasonDiffs!]) {
        expect(k.count(a)).toBe(k.count(b));
        expect(k.variance(a)).toBe(k.variance(b));
      }
    }
    expect(differ).toBeGreaterThan(0);
  });

  it('off (bandPad < 0) gates nothing, not even an exact repeat of a one-point hour; on, a one-point hour\'s band is its value', () => {
    // hourly points: 10 all day but 50 at 03:00, whose forecast miss is 40; then day 1 at 03:00: 50 again, missed by 80
    const feed = (s: SeriesState): void => {
      const raw = new Float64Array(RAW_STRIDE);
      const out = { score: 0, component: '' };
      for (let h = 0; h < 24 + 3; h++) {
        raw[0] = h % 24 === 3 ? 40 : 0.1 * Math.sin(h);
        raw[RAW_VALUE] = h % 24 === 3 ? 50 : 10 + 0.1 * Math.sin(h * 1.3);
        s.update(raw, 0, out, at(20_000, h));
      }
    };
    const on = state(BAND_PAD);
    const off = state(-1);
    feed(on);
    feed(off);
    expect(rawOf(on, 80, 50, at(20_001, 3))).toBe(0); // inside yesterday's 03:00 band, at yesterday's mean
    expect(rawOf(off, 80, 50, at(20_001, 3))).toBeGreaterThan(0.5); // the new forecast miss counts
    // a one-point band has no width to widen: only the value itself is a repeat
    expect(shapeOf(on).profile!.withinBand(on, 50, at(20_001, 3), BAND_PAD)).toBe(true);
    expect(shapeOf(on).profile!.withinBand(on, 49.9, at(20_001, 3), BAND_PAD)).toBe(false);
  });

  it('the seasonal term of a repeat still counts: a value inside an hour\'s band but far from its mean has a raw score', () => {
    const st = state(BAND_PAD);
    const raw = new Float64Array(RAW_STRIDE).fill(Number.NaN);
    const out = { score: 0, component: '' };
    const f = (d: number, i: number): number => 100 + 50 * Math.sin((2 * Math.PI * i) / 288) + Math.sin(i * 1.3 + d);
    for (let d = 0; d < 4; d++) {
      for (let i = 0; i < 288; i++) {
        raw[RAW_VALUE] = d === 3 && i === 40 ? 180 : f(d, i); // one tall value in hour 3 of day 3
        st.update(raw, 0, out, at(20_000 + d, 0) + i * 300_000);
      }
    }
    // day 4, 03:25: 175 is inside day 3's 03:00 band but far from every day's 03:00 mean
    expect(shapeOf(st).profile!.withinBand(st, 175, at(20_004, 3, 25), BAND_PAD)).toBe(true);
    expect(rawOf(st, Number.NaN, 175, at(20_004, 3, 25))).toBeGreaterThan(0);
  });

  it('a detector built without options has contextual repeats on', () => {
    expect(shapeOf(new EnsembleDetector(null, {}).createState()).bandPad).toBe(BAND_PAD);
    expect(shapeOf(new EnsembleDetector(null, { contextualRepeats: false }).createState()).bandPad).toBeLessThan(0);
  });
});

describe('the band across the ring and at the float32 limits', () => {
  it('a day that takes an evicted day\'s slot of the ring does not keep its band or mean', () => {
    const p = new DayProfile(24, 3);
    p.learn(5, at(0, 10));
    p.learn(1, at(4, 2)); // day 4 takes day 0's slot
    expect(p.withinBand(5, at(5, 10), BAND_PAD)).toBe(false);
    expect(Number.isNaN(p.difference(5, at(5, 10)))).toBe(true);
  });

  it('a value beyond the float32 range is not learned: it would make its hour\'s band hold every value', () => {
    const p = new DayProfile(24, 3);
    p.learn(1e39, at(0, 3));
    expect(p.withinBand(0, at(1, 3), BAND_PAD)).toBe(false);
    expect(Number.isNaN(p.difference(0, at(1, 3)))).toBe(true);
    p.learn(-1e39, at(0, 4));
    p.learn(3e38, at(0, 4, 10)); // the largest float32s are learned
    expect(p.withinBand(3e38, at(1, 4), 0)).toBe(true);
    expect(p.withinBand(0, at(1, 4), 0)).toBe(false);
  });
});
