import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Calibrator, ExcessCalibrator, gaussianTail, logLikelihood } from '../../../src/detect/calibrate.js';

describe('calibration', () => {
  it('gaussianTail matches known values', () => {
    expect(gaussianTail(0)).toBeCloseTo(0.5, 6);
    expect(gaussianTail(1.959964)).toBeCloseTo(0.025, 5);
    expect(gaussianTail(-1.959964)).toBeCloseTo(0.975, 5);
    expect(logLikelihood(1e-5)).toBeCloseTo(0.5, 3);
  });

  it('ExcessCalibrator and Calibrator give probabilities in 0..1 for any raw scores', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e308)), { maxLength: 400 }), (raws) => {
        const a = new ExcessCalibrator({ historyPoints: 20, minHistory: 3 });
        const b = new Calibrator({ historyPoints: 50, learningPoints: 5, shortPoints: 3 });
        for (const r of raws) {
          const p = a.update(r);
          const q = b.update(r);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(q).toBeGreaterThanOrEqual(0);
          expect(q).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('ExcessCalibrator fires on a new maximum and not on a repeat of it', () => {
    const c = new ExcessCalibrator({ historyPoints: 50, minHistory: 5 });
    for (let i = 0; i < 30; i++) expect(c.update(0.5 + 0.01 * Math.sin(i))).toBeLessThan(0.05);
    const first = c.update(6);
    expect(first).toBeGreaterThan(0.99);
    expect(c.update(6)).toBe(0); // the same level again is no longer new
  });
});
