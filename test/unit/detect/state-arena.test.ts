import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExcessCalibrator } from '../../../src/detect/calibrate.js';
import { DAY_MS, DayProfile } from '../../../src/detect/day-profile.js';
import { SeriesState } from '../../../src/detect/ensemble.js';
import { COMPONENTS } from '../../../src/detect/features.js';
import { IntervalNovelty } from '../../../src/detect/novelty.js';
import { OWN_BUFFERS, StateArena, StateLayout, StateSlab, StateSlabs } from '../../../src/detect/state-arena.js';
import { RAW_STRIDE, RAW_VALUE } from '../../../src/detect/features.js';

/** Fixed seed: the same input streams on every run. */
const RUNS = { seed: 20_240_611, numRuns: 200 };
const SENTINEL = -7;

/**
 * `make(arena)` in an arena between sentinel-filled neighbours in both regions (so the component's
 * regions start at non-zero offsets); the arena must be used exactly and the neighbours stay untouched.
 */
function inArena<T>(reserve: (layout: StateLayout) => void, make: (arena: StateArena) => T): { obj: T; intact: () => boolean } {
  const layout = new StateLayout().f64(1).f32(1);
  reserve(layout);
  layout.f64(1).f32(1);
  const arena = new StateArena(layout);
  const neighbours = [arena.f64(1), arena.f32(1)];
  const obj = make(arena);
  neighbours.push(arena.f64(1), arena.f32(1));
  const [b64, b32, a64, a32] = neighbours as [number, number, number, number];
  for (const i of [b64, a64]) arena.f64s[i] = SENTINEL;
  for (const i of [b32, a32]) arena.f32s[i] = SENTINEL;
  expect(arena.complete).toBe(true);
  return { obj, intact: () => [b64, a64].every((i) => arena.f64s[i] === SENTINEL) && [b32, a32].every((i) => arena.f32s[i] === SENTINEL) };
}

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0),
);

describe('StateArena', () => {
  it('holds a float64 region then a float32 region in one buffer, handed out in sequence', () => {
    const layout = new StateLayout().f32(1).f64(2).f64(0).f32(3).f64(1);
    expect([layout.f64Count, layout.f32Count, layout.bytes]).toEqual([3, 4, 3 * 8 + 4 * 4]);
    const arena = new StateArena(layout);
    expect(arena.f64s.buffer).toBe(arena.f32s.buffer);
    expect(arena.f32s.byteOffset).toBe(24); // right after the float64 region: no padding
    expect(arena.f64s.byteLength + arena.f32s.byteLength).toBe(layout.bytes);
    expect([arena.f32(1), arena.f64(2), arena.f64(0), arena.f32(3), arena.f64(1)]).toEqual([0, 0, 2, 1, 2]);
    expect(arena.complete).toBe(true);
    arena.f64s.fill(1.5);
    expect([...arena.f32s]).toEqual([0, 0, 0, 0]); // the regions do not overlap
  });

  it('an empty request takes no room, and complete says when everything was handed out', () => {
    const arena = new StateArena(new StateLayout().f32(1));
    expect(arena.complete).toBe(false);
    expect(arena.f64(0)).toBe(0);
    arena.f32(1);
    expect(arena.complete).toBe(true);
    expect(StateArena.of((l) => l.f64(2)).f64s.length).toBe(2);
  });

  it('throws a clear error when too small or asked for a bad count', () => {
    const arena = new StateArena(new StateLayout().f64(1).f32(1));
    arena.f64(1);
    expect(() => arena.f64(1)).toThrow(/state arena too small: 1 float64 elements at 1 need 2, the arena ends at 1/);
    expect(arena.f32(1)).toBe(0); // a failed request takes nothing
    expect(() => arena.f32(1)).toThrow(/too small/);
    expect(() => StateArena.of((l) => l.f32(1)).f32(-1)).toThrow(/non-negative integer/);
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
        expect(() => SeriesState.build(comps, { historyPoints: history }, capacity, weight, 288, delay)).not.toThrow();
      }
    }
  });
});

/** A full garbage collection from inside vitest (which does not pass --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('StateSlab', () => {
  it('hands out disjoint zeroed slots of one shared buffer, a chunk at a time', () => {
    const layout = new StateLayout().f64(3).f32(2);
    const slab = new StateSlab(layout, 2);
    const owners = [{}, {}, {}];
    const arenas = owners.map((o) => slab.acquire(o));
    expect(slab.live).toBe(3);
    expect(arenas[0]!.f64s).toBe(arenas[1]!.f64s); // slots 0 and 1 share chunk 0
    expect(arenas[2]!.f64s).not.toBe(arenas[0]!.f64s); // slot 2 opened chunk 1
    const regions = arenas.map((a) => [a.f64(3), a.f32(2)]);
    expect(regions).toEqual([[0, 0], [3, 2], [0, 0]]);
    expect(arenas.every((a) => a.complete)).toBe(true);
    expect(() => arenas[0]!.f64(1)).toThrow(/the arena ends at 3/); // a slot cannot reach into the next one
    expect(() => new StateSlab(layout, 0)).toThrow(/positive integer/);
  });

  it('reclaims the slot of a state that was garbage-collected, and zeroes it for the next one', async () => {
    const layout = new StateLayout().f64(4).f32(4);
    const slab = new StateSlab(layout, 4);
    const keep = {};
    const kept = slab.acquire(keep);
    const chunkArray = kept.f64s;
    (() => {
      for (let i = 0; i < 3; i++) {
        const a = slab.acquire({});
        a.f64s.fill(7, a.f64(4), (i + 2) * 4);
        a.f32s.fill(7, a.f32(4), (i + 2) * 4);
      }
    })();
    expect(slab.live).toBe(4);
    for (let round = 0; round < 50 && slab.live > 1; round++) {
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(slab.live, 'the three dropped owners were collected and their slots reclaimed').toBe(1);
    const again = slab.acquire({});
    expect(again.f64s).toBe(chunkArray); // reused, no new chunk
    const at64 = again.f64(4);
    const at32 = again.f32(4);
    expect([...again.f64s.subarray(at64, at64 + 4), ...again.f32s.subarray(at32, at32 + 4)]).toEqual(new Array(8).fill(0));
    expect(keep).toBeDefined();
  });

  it('SeriesStates in slots of a shared slab score exactly as states with buffers of their own', () => {
    const stream = fc.array(fc.record({ residual: value, x: value, dtMs: fc.integer({ min: 0, max: 7_200_000 }) }), { maxLength: 150 });
    fc.assert(
      fc.property(fc.array(stream, { minLength: 2, maxLength: 6 }), fc.constantFrom<readonly ('model' | 'robust' | 'seasonal')[]>(['model'], ['model', 'robust'], [...COMPONENTS]), (streams, comps) => {
        const slabs = new StateSlabs(2); // tiny chunks: neighbours in one buffer and across chunks
        const shared = streams.map(() => SeriesState.build(comps, {}, 16, 0.5, 288, 4, slabs));
        const alone = streams.map(() => SeriesState.build(comps, {}, 16, 0.5, 288, 4, OWN_BUFFERS));
        const raw = new Float64Array(RAW_STRIDE);
        const out = { score: 0, component: '' };
        const t = streams.map(() => 1_700_000_000_000);
        // interleaved, so a state that wrote into its neighbour's slot would change the neighbour's scores
        for (let step = 0; step < 150; step++) {
          streams.forEach((s, k) => {
            const p = s[step];
            if (!p) return;
            raw.fill(p.residual);
            raw[RAW_VALUE] = p.x;
            t[k] = t[k]! + p.dtMs;
            expect(shared[k]!.update(raw, 0, out, t[k]).score).toBe(alone[k]!.update(raw, 0, out, t[k]).score);
          });
        }
        expect(slabs.live).toBe(streams.length);
      }),
      { seed: RUNS.seed, numRuns: 100 },
    );
  });
});
