import { describe, expect, it } from 'vitest';
import { EnsembleDetector, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_SEASON_DIFF, RAW_STRIDE, rawScores } from '../../../src/detect/features.js';

describe('seasonal difference (ensemble-3)', () => {
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

  it('adds at most 176 bytes to the per-series state', () => {
    expect(new SeriesState(['model']).bytes - new SeriesState(['model'], {}, 16, 0).bytes).toBeLessThanOrEqual(176);
  });
});
