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
