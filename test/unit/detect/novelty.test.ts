import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EnsembleDetector, SeriesState } from '../../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';
import { IntervalNovelty } from '../../../src/detect/novelty.js';

/** Exact reference: distance to the nearest earlier value / (population std of the n earlier values · (1 + 1/√(2n))). */
function exact(xs: number[]): number[] {
  return xs.map((x, i) => {
    if (i < 2) return 0;
    const prev = xs.slice(0, i);
    const mean = prev.reduce((a, b) => a + b, 0) / i;
    const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / i) * (1 + 1 / Math.sqrt(2 * i)) + 1e-9 + 1e-6 * Math.abs(mean);
    return Math.min(...prev.map((p) => Math.abs(x - p))) / sd;
  });
}

describe('IntervalNovelty', () => {
  it('is the exact nearest-earlier-value distance while under capacity', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 30 }), (xs) => {
        const n = new IntervalNovelty(64);
        const got = xs.map((x) => n.update(x));
        const want = exact(xs);
        got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
      }),
    );
  });

  it('never overstates novelty after merging, and scores repeats 0', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 200 }), (xs) => {
        const n = new IntervalNovelty(4);
        const want = exact(xs);
        xs.forEach((x, i) => expect(n.update(x)).toBeLessThanOrEqual(want[i]! * (1 + 1e-9) + 1e-12));
        for (const x of xs) expect(n.update(x)).toBe(0);
      }),
    );
  });

  it('a new level scores high, a return to a known level scores 0', () => {
    const n = new IntervalNovelty(16);
    for (let i = 0; i < 200; i++) n.update(10 + Math.sin(i / 5));
    expect(n.update(20)).toBeGreaterThan(5);
    expect(n.update(10.5)).toBe(0);
  });
});

describe('per-series state memory', () => {
  it('the default model-only state holds all its numbers in at most 1,936 bytes of typed arrays', () => {
    const s = SeriesState.build(['model']);
    expect(s.bytes).toBeLessThanOrEqual(1936);
  });

  it('states the detector creates share one shape per component set, and score as states built alone', () => {
    const det = new EnsembleDetector(null, { components: ['model'] });
    const a = det.createState();
    const b = det.createState({ components: ['model'] });
    const c = det.createState({ components: ['model', 'robust'] });
    const shapeOf = (s: SeriesState): unknown => (s as unknown as { shape: unknown }).shape;
    expect(shapeOf(a)).toBe(shapeOf(b));
    expect(shapeOf(c)).not.toBe(shapeOf(a));
    const alone = SeriesState.build(['model']);
    const raw = new Float64Array(64 * RAW_STRIDE);
    for (let i = 0; i < 64; i++) raw[i * RAW_STRIDE + RAW_VALUE] = 10 + Math.sin(i) + (i === 60 ? 9 : 0);
    const out = { score: 0, component: '' };
    const scores: number[] = [];
    for (let i = 0; i < 64; i++) {
      const shared = a.update(raw, i, out, i * 60_000).score;
      expect(shared).toBe(alone.update(raw, i, out, i * 60_000).score);
      scores.push(shared);
    }
    expect(Math.max(...scores)).toBeGreaterThan(0.9); // the jump at row 60 scores: the comparison is not of zeros
  });
});
