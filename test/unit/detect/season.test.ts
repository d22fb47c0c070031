import { describe, expect, it } from 'vitest';
import { EnsembleDetector, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_SEASON_DIFF, RAW_STRIDE, RAW_VALUE, rawScores } from '../../../src/detect/features.js';

describe('seasonal difference (ensemble-3/4)', () => {
  it('is x minus the nearest of the last seasonCount seasons held by the window, NaN before one season', () => {
    const w = Float64Array.from([5, 100, 0, 9, 7, 1, 10]); // season 2: candidates x[-2]=7, x[-4]=0, x[-6]=5
    const r = rawScores([w, w.subarray(0, 2)], null, { seasonPoints: 2, seasonCount: 3 });
    expect(r.raw[RAW_SEASON_DIFF]).toBe(10 - 7);
    expect(Number.isNaN(r.raw[RAW_STRIDE + RAW_SEASON_DIFF]!)).toBe(true);
    const one = rawScores([w], null, { seasonPoints: 2, seasonCount: 1 });
    expect(one.raw[RAW_SEASON_DIFF]).toBe(10 - 7);
    const two = rawScores([Float64Array.from([9.5, 0, 3, 0, 10])], null, { seasonPoints: 2, seasonCount: 3 });
    expect(two.raw[RAW_SEASON_DIFF]).toBe(10 - 9.5); // the nearest season wins, not the latest
  });

  it('scores an in-range value at the wrong phase of a seasonal series (a contextual anomaly)', () => {
    const season = 24;
    const series: number[] = [];
    for (let i = 0; i < season * 12; i++) series.push(10 + 5 * Math.sin((2 * Math.PI * i) / season) + 0.05 * Math.sin(i * 1.7));
    // a dip to the series' usual minimum at the phase of its maximum
    const peak = season * 11 + season / 4;
    series[peak] = 5;
    const v = Float64Array.from(series);
    const score = (seasonWeight: number): number => {
      const det = new EnsembleDetector(null, { seasonPoints: season, seasonWeight, computeComponents: ['model'] });
      const wins = Array.from({ length: v.length }, (_, i) => v.subarray(Math.max(0, i - 200), i + 1));
      const raw = det.raw(wins);
      const st = det.createState();
      const out = { score: 0, component: '' };
      let at = 0;
      for (let i = 0; i < wins.length; i++) {
        st.update(raw.raw, i, out);
        if (i === peak) at = out.score;
      }
      return at;
    };
    expect(score(0)).toBeLessThan(0.2);
    expect(score(0.5)).toBeGreaterThan(0.9);
  });

  it('discounts the residual novelty by the seasonality strength (ensemble-4): a forecast miss at a familiar seasonal point is not an anomaly', () => {
    const rows = 400;
    const at = 350;
    const raw = new Float64Array(rows * RAW_STRIDE);
    for (let i = 0; i < rows; i++) {
      const o = i * RAW_STRIDE;
      raw[o] = 0.1 * Math.sin(i * 1.3); // model residual: small
      raw[o + 1] = Number.NaN;
      raw[o + 2] = Number.NaN;
      raw[o + RAW_VALUE] = 10 + 5 * Math.sin((2 * Math.PI * i) / 24);
      raw[o + RAW_SEASON_DIFF] = 0.01 * Math.sin(i * 0.7); // one season earlier explains almost everything
    }
    raw[at * RAW_STRIDE] = 5; // a forecast error never seen before, at a value and seasonal difference seen before
    const score = (seasonWeight: number): number => {
      const st = new SeriesState(['model'], {}, 16, seasonWeight);
      const out = { score: 0, component: '' };
      let s = 0;
      for (let i = 0; i <= at; i++) s = st.update(raw, i, out).score;
      return s;
    };
    expect(score(0)).toBeGreaterThan(0.9); // no seasonal term: strength 0, the residual counts in full
    expect(score(0.5)).toBeLessThan(0.1);
  });

  it('adds at most 176 bytes to the per-series state', () => {
    expect(new SeriesState(['model']).bytes - new SeriesState(['model'], {}, 16, 0).bytes).toBeLessThanOrEqual(176);
  });
});
