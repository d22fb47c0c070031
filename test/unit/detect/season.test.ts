import { describe, expect, it } from 'vitest';
import { DAY_MS, DayProfile } from '../../../src/detect/day-profile.js';
import { EnsembleDetector, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';

const HOUR = 3_600_000;

describe('time-of-day profile (ensemble-5)', () => {
  it('is x minus the nearest earlier day\'s mean for the slice of the day, NaN before an earlier day holds it', () => {
    const p = new DayProfile(24, 3);
    const at = (day: number, hour: number, min = 0): number => day * DAY_MS + hour * HOUR + min * 60_000;
    expect(Number.isNaN(p.difference(5, at(0, 3)))).toBe(true);
    p.learn(4, at(0, 3));
    p.learn(6, at(0, 3, 30)); // slice 3 of day 0: mean 5
    expect(Number.isNaN(p.difference(5, at(0, 4)))).toBe(true); // same day: not an earlier day
    expect(p.difference(8, at(1, 3, 10))).toBe(3);
    p.learn(7.5, at(1, 3, 10)); // day 1 slice 3: 7.5
    expect(p.difference(8, at(2, 3))).toBe(0.5); // the nearest of the earlier days wins, not the latest
    expect(p.difference(4, at(2, 3))).toBe(-1);
  });

  it('forgets days older than `days` and ignores points older than the newest', () => {
    const p = new DayProfile(24, 2);
    p.learn(10, 0);
    p.learn(20, DAY_MS);
    expect(p.difference(11, 2 * DAY_MS)).toBe(1);
    expect(p.difference(11, 3 * DAY_MS)).toBe(-9); // day 0 is three days back: only day 1 counts
    p.learn(99, DAY_MS - 1); // out of order: not learned
    expect(p.difference(11, 2 * DAY_MS + 1)).toBe(1);
  });

  it('compares with each of the last `days` complete days all day long, not only before today\'s first point', () => {
    // ensemble-8 and before: a ring of `days` days, so learning today's first point evicted the oldest
    // earlier day and the rest of the day saw only days − 1 of them
    const p = new DayProfile(24, 3);
    const at = (day: number, hour: number): number => day * DAY_MS + hour * HOUR;
    p.learn(10, at(0, 5)); // three days back from day 3
    p.learn(30, at(1, 5));
    p.learn(40, at(2, 5));
    p.learn(25, at(3, 1)); // today's first point
    expect(p.difference(11, at(3, 5))).toBe(1); // day 0 still counts
    expect(p.difference(11, at(4, 5))).toBe(-19); // a day later it is four back: days 1–3 only
  });

  it('holds 1 208 bytes for 24 slices × 3 earlier days and today (float32 means, band minima and maxima, float64 day numbers, three float64 scalars)', () => {
    expect(new DayProfile(24, 3).bytes).toBe(1208);
  });
});

describe('seasonal-difference novelty in the model component', () => {
  /** A clean daily sine sampled every 5 minutes (timestamps given), with one contextual dip. */
  const daily = (): { v: Float64Array; t: Float64Array; peak: number } => {
    const perDay = 288;
    const v: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < perDay * 6; i++) {
      v.push(10 + 5 * Math.sin((2 * Math.PI * i) / perDay) + 0.05 * Math.sin(i * 1.7));
      t.push(1_700_000_000_000 + i * 300_000);
    }
    const peak = perDay * 5 + perDay / 4; // a dip to the usual minimum at the time of the daily maximum
    v[peak] = 5;
    return { v: Float64Array.from(v), t: Float64Array.from(t), peak };
  };

  it('scores an in-range value at the wrong time of day (a contextual anomaly) from timestamps, within a 240-point window', () => {
    const { v, t, peak } = daily();
    const score = (seasonWeight: number): number => {
      const det = new EnsembleDetector(null, { seasonWeight, computeComponents: ['model'], windowPoints: 240 });
      const wins = Array.from({ length: v.length }, (_, i) => v.subarray(Math.max(0, i - 239), i + 1));
      const raw = det.raw(wins);
      const st = det.createState();
      const out = { score: 0, component: '' };
      let at = 0;
      for (let i = 0; i <= peak; i++) at = st.update(raw.raw, i, out, t[i]).score;
      return at;
    };
    expect(score(0)).toBeLessThan(0.2);
    expect(score(0.5)).toBeGreaterThan(0.9);
  });

  it('without timestamps places points seasonPoints to the day', () => {
    const season = 24;
    const series: number[] = [];
    for (let i = 0; i < season * 12; i++) series.push(10 + 5 * Math.sin((2 * Math.PI * i) / season) + 0.05 * Math.sin(i * 1.7));
    const peak = season * 11 + season / 4;
    series[peak] = 5;
    const v = Float64Array.from(series);
    const det = new EnsembleDetector(null, { seasonPoints: season, computeComponents: ['model'] });
    const raw = det.raw(Array.from({ length: v.length }, (_, i) => v.subarray(Math.max(0, i - 200), i + 1)));
    const st = det.createState();
    const out = { score: 0, component: '' };
    for (let i = 0; i <= peak; i++) st.update(raw.raw, i, out);
    expect(out.score).toBeGreaterThan(0.9);
  });

  it('discounts the residual novelty by the seasonality strength: a forecast miss at a familiar time-of-day value is not an anomaly', () => {
    const rows = 400;
    const at = 350;
    const raw = new Float64Array(rows * RAW_STRIDE);
    for (let i = 0; i < rows; i++) {
      const o = i * RAW_STRIDE;
      raw[o] = 0.1 * Math.sin(i * 1.3); // model residual: small
      raw[o + 1] = Number.NaN;
      raw[o + 2] = Number.NaN;
      raw[o + RAW_VALUE] = 10 + 5 * Math.sin((2 * Math.PI * i) / 24) + 0.01 * Math.sin(i * 0.7);
    }
    raw[at * RAW_STRIDE] = 5; // a forecast error never seen before, at a value and time-of-day value seen before
    const score = (seasonWeight: number): number => {
      const st = SeriesState.build(['model'], {}, 16, seasonWeight, 24);
      const out = { score: 0, component: '' };
      let s = 0;
      for (let i = 0; i <= at; i++) s = st.update(raw, i, out, i * HOUR).score;
      return s;
    };
    expect(score(0)).toBeGreaterThan(0.9); // no seasonal term: strength 0, the residual counts in full
    expect(score(0.5)).toBeLessThan(0.1);
  });

  it('adds at most 1 400 bytes to the per-series state (profile with bands, seasonal summary, paired moments)', () => {
    expect(SeriesState.build(['model']).bytes - SeriesState.build(['model'], {}, 16, 0).bytes).toBeLessThanOrEqual(1400);
  });
});
