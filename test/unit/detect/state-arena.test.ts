import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExcessCalibrator } from '../../../src/detect/calibrate.js';
import { DAY_MS, DayProfile } from '../../../src/detect/day-profile.js';
import { SeriesState } from '../../../src/detect/ensemble.js';
import { COMPONENTS } from '../../../src/detect/features.js';
import { IntervalNovelty } from '../../../src/detect/novelty.js';
import { StateArena, StateLayout } from '../../../src/detect/state-arena.js';

/** Fixed seed: the same input streams on every run. */
const RUNS = { seed: 20_240_611, numRuns: 200 };
const SENTINEL = -7;

/**
 * `make(arena)` in an arena between two sentinel-filled float32 neighbours (so the component starts at
 * an offset that is not 8-aligned); the arena must be used exactly and the neighbours stay untouched.
 */
function inArena<T>(reserve: (layout: StateLayout) => void, make: (arena: StateArena) => T): { obj: T; intact: () => boolean } {
  const layout = new StateLayout().f32(1);
  reserve(layout);
  layout.f32(1);
  const arena = new StateArena(layout.bytes);
  const before = arena.f32(1).fill(SENTINEL);
  const obj = make(arena);
  const after = arena.f32(1).fill(SENTINEL);
  expect(arena.used).toBe(arena.size);
  return { obj, intact: () => before[0] === SENTINEL && after[0] === SENTINEL };
}

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0),
);

describe('StateArena', () => {
  it('aligns each view to its element size and hands out disjoint views', () => {
    const layout = new StateLayout().f32(1).f64(2).i32(3).f64(0).f32(1).f64(1);
    expect(layout.bytes).toBe(4 + 4 + 16 + 12 + 4 + 8); // 4 bytes of padding before the first f64
    const arena = new StateArena(layout.bytes);
    const views = [arena.f32(1), arena.f64(2), arena.i32(3), arena.f64(0), arena.f32(1), arena.f64(1)];
    expect(views.map((v) => v.byteOffset)).toEqual([0, 8, 24, 0, 36, 40]);
    expect(arena.used).toBe(arena.size);
    views.forEach((v, i) => v.fill(i + 1));
    views.forEach((v, i) => expect([...v].every((x) => x === i + 1)).toBe(true));
  });

  it('an empty view takes no room', () => {
    const arena = new StateArena(4);
    arena.f32(1);
    expect(arena.f64(0).length).toBe(0);
    expect(arena.used).toBe(4);
    expect(new StateLayout().f32(1).f64(0).bytes).toBe(4);
  });

  it('throws a clear error when too small or asked for a bad count', () => {
    const arena = new StateArena(12);
    arena.f32(1);
    expect(() => arena.f64(1)).toThrow(/state arena too small: 1 × 8 bytes at offset 8 need 16 bytes, the arena has 12/);
    expect(arena.used).toBe(4); // a failed request takes nothing
    expect(arena.i32(2).length).toBe(2);
    expect(() => arena.f32(1)).toThrow(/too small/);
    expect(() => new StateArena(64).f32(-1)).toThrow(/non-negative integer/);
    expect(() => new StateLayout().f64(1.5)).toThrow(/non-negative integer/);
  });
});

describe('components on an arena score exactly as standalone ones', () => {
  it('IntervalNovelty', () => {
    const args = fc.record({ capacity: fc.integer({ min: 1, max: 12 }), delay: fc.integer({ min: 0, max: 6 }), floor: fc.double({ min: 0, max: 10, noNaN: true }) });
    fc.assert(
      fc.property(args, fc.array(value, { maxLength: 300 }), ({ capacity, delay, floor }, xs) => {
        const plain = new IntervalNovelty(capacity, delay);
        const { obj: backed, intact } = inArena((l) => IntervalNovelty.reserve(l, capacity, delay), (a) => new IntervalNovelty(capacity, delay, a));
        for (const x of xs) expect(backed.update(x, floor)).toBe(plain.update(x, floor));
        expect([backed.count, backed.average, backed.variance, backed.bytes]).toEqual([plain.count, plain.average, plain.variance, plain.bytes]);
        expect(intact()).toBe(true);
      }),
      RUNS,
    );
  });

  it('DayProfile', () => {
    const step = fc.record({ x: value, dt: fc.integer({ min: -3_600_000, max: 6 * 3_600_000 }) });
    // a start near the epoch reads the initial NaN means (an empty slot's day, −1, is then recent)
    const args = fc.record({ bins: fc.integer({ min: 1, max: 24 }), days: fc.integer({ min: 1, max: 4 }), start: fc.constantFrom(0, DAY_MS, 1_700_000_000_000) });
    fc.assert(
      fc.property(args, fc.array(step, { maxLength: 300 }), ({ bins, days, start }, steps) => {
        const plain = new DayProfile(bins, days);
        const { obj: backed, intact } = inArena((l) => DayProfile.reserve(l, bins, days), (a) => new DayProfile(bins, days, DAY_MS, a));
        let t = start;
        for (const { x, dt } of steps) {
          t += dt;
          expect(backed.difference(x, t)).toBe(plain.difference(x, t));
          backed.learn(x, t);
          plain.learn(x, t);
        }
        expect(backed.bytes).toBe(plain.bytes);
        expect(intact()).toBe(true);
      }),
      RUNS,
    );
  });

  it('ExcessCalibrator', () => {
    const args = fc.record({ historyPoints: fc.integer({ min: 1, max: 40 }), minHistory: fc.integer({ min: 0, max: 12 }), tau: fc.double({ min: 0.1, max: 3, noNaN: true }) });
    fc.assert(
      fc.property(args, fc.array(value, { maxLength: 300 }), (options, raws) => {
        const plain = new ExcessCalibrator(options);
        const { obj: backed, intact } = inArena((l) => ExcessCalibrator.reserve(l, options), (a) => new ExcessCalibrator(options, a));
        for (const r of raws) expect(backed.update(r)).toBe(plain.update(r));
        expect(backed.bytes).toBe(plain.bytes);
        expect(intact()).toBe(true);
      }),
      RUNS,
    );
  });

  it('SeriesState sizes its arena exactly for any components and settings (it throws otherwise)', () => {
    const subsets = [[], ['model'], ['robust'], ['seasonal'], ['model', 'robust'], [...COMPONENTS]] as const;
    for (const comps of subsets) {
      for (const [capacity, weight, delay, history] of [[16, 0.5, 4, undefined], [1, 0, 0, 1], [7, 1, 3, 31]] as const) {
        expect(() => new SeriesState(comps, { historyPoints: history }, capacity, weight, 288, delay)).not.toThrow();
      }
    }
  });
});
