import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeriesStore } from '../../../src/series/store.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

const store = (windowPoints: number) => new SeriesStore({ windowPoints, maxSeries: 10, staleAfterMs: 1e15 }, new ManualClock(0), createTestMetrics());

describe('series store compact windows', () => {
  it('returns exactly the pushed values and timestamps, whatever they are (property)', () => {
    const step = fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 4e9 }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }));
    const value = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true }), fc.constantFrom(0.5, -0, 0.1, 1e40, Infinity, -Infinity));
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 40 }), fc.oneof(fc.integer({ min: 0, max: 2e12 }), fc.double({ min: 0, max: 2e12, noNaN: true })), fc.array(fc.tuple(step, value), { minLength: 1, maxLength: 120 }), (windowPoints, t0, points) => {
        const s = store(windowPoints);
        const pushed: Array<[number, number]> = [];
        let t = t0;
        for (const [dt, v] of points) {
          t += dt;
          s.append([{ labels: { __name__: 'm' }, timestampMs: t, value: v }]);
          pushed.push([t, v]);
        }
        const w = s.window('m{}');
        const expected = pushed.slice(-windowPoints);
        expect([...w.timestamps]).toEqual(expected.map((p) => p[0]));
        expect([...w.values]).toEqual(expected.map((p) => p[1]));
      }),
      { numRuns: 300 },
    );
  });

  it('windowTail writes exactly the newest k points of window(), at the offset asked (property)', () => {
    const value = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true }));
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 40 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 60_000 }), value), { minLength: 1, maxLength: 150 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 5 }), (windowPoints, points, k, at) => {
        const s = store(windowPoints);
        let t = 1.7e12;
        for (const [dt, v] of points) s.append([{ labels: { __name__: 'm' }, timestampMs: (t += dt), value: v }]);
        const w = s.window('m{}');
        const ts = new Float64Array(at + 60).fill(7);
        const vs = new Float64Array(at + 60).fill(7);
        const n = s.windowTail('m{}', k, ts, vs, at);
        expect(n).toBe(Math.min(k, w.values.length));
        expect([...ts.subarray(at, at + n)]).toEqual([...w.timestamps.subarray(w.values.length - n)]);
        expect([...vs.subarray(at, at + n)]).toEqual([...w.values.subarray(w.values.length - n)]);
        expect([...ts.subarray(0, at)]).toEqual(Array<number>(at).fill(7)); // nothing before `at` touched
      }),
      { numRuns: 300 },
    );
  });

  it('counts the points appended since takeDirty() last returned a series', () => {
    const s = store(16);
    for (let i = 1; i <= 5; i++) s.append([{ labels: { __name__: 'm' }, timestampMs: i, value: i }]);
    s.append([{ labels: { __name__: 'm' }, timestampMs: 5, value: 9 }]); // a duplicate is not new
    expect(s.takeDirty().map((v) => v.newPoints)).toEqual([5]);
    for (let i = 6; i <= 8; i++) s.append([{ labels: { __name__: 'm' }, timestampMs: i, value: i }]);
    expect(s.get('m{}')!.newPoints).toBe(3);
    expect(s.takeDirty().map((v) => v.newPoints)).toEqual([3]);
    expect(s.get('m{}')!.newPoints).toBe(0);
  });

  it('keeps integer gauges at regular timestamps in under 2 bytes a point', () => {
    const s = store(240);
    for (let i = 0; i < 500; i++) s.append([{ labels: { __name__: 'm' }, timestampMs: 1.7e12 + i * 15_000, value: i % 13 }]);
    expect(s.window('m{}').timestamps[239]).toBe(1.7e12 + 499 * 15_000);
    expect(s.windowStats().chunkBytes / 240).toBeLessThan(2);
  });

  it('frees the chunks of swept series and reuses their numbers without mixing data', () => {
    const clock = new ManualClock(0);
    const s = new SeriesStore({ windowPoints: 16, maxSeries: 10, staleAfterMs: 1000 }, clock, createTestMetrics());
    for (let i = 0; i < 50; i++) s.append([{ labels: { __name__: 'old' }, timestampMs: i, value: i / 3 }]);
    clock.advance(5000);
    expect(s.sweep()).toBe(1);
    expect(s.windowStats().chunks).toBe(0);
    s.append([{ labels: { __name__: 'new' }, timestampMs: 7, value: 42 }]);
    expect([...s.window('new{}').values]).toEqual([42]);
    expect(s.get('new{}')?.points).toBe(1);
    expect(s.get('old{}')).toBeUndefined();
  });
});
