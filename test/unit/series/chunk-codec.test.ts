import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkArena, SLOT_BYTES } from '../../../src/series/chunk-arena.js';
import { APPENDED, MODE_MISMATCH, type ChunkWriter, appendToChunk, chunkCount, decodeChunk, startChunk } from '../../../src/series/chunk-codec.js';

const writer = (): ChunkWriter => ({ ts: 0, tsDelta: 0, value: 0, valueDelta: 0, xorLeading: -1, xorTrailing: 0 });

/** Encodes the samples into as many chunks as they need and decodes them all back. */
function roundTrip(samples: ReadonlyArray<readonly [number, number]>): { ts: number[]; values: number[]; chunks: number } {
  const arena = new ChunkArena();
  const w = writer();
  const slots: number[] = [];
  let mismatch = false;
  for (const [t, v] of samples) {
    const open = slots.at(-1);
    const r = open === undefined ? -1 : appendToChunk(arena, open, w, t, v);
    if (r === APPENDED) continue;
    mismatch = r === MODE_MISMATCH && chunkCount(arena, open!) < 8;
    const slot = arena.alloc();
    startChunk(arena, slot, w, t, v, mismatch);
    slots.push(slot);
  }
  const total = slots.reduce((s, slot) => s + chunkCount(arena, slot), 0);
  const ts = new Float64Array(total);
  const values = new Float64Array(total);
  let at = 0;
  for (const slot of slots) at += decodeChunk(arena, slot, ts, values, at);
  return { ts: [...ts], values: [...values], chunks: slots.length };
}

describe('chunk codec', () => {
  it('decodes exactly the samples it was given, any doubles at any times (property)', () => {
    const value = fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(0, -0, 0.1, 0.25, 1e-9, 1e40, 2 ** 53, -(2 ** 53) - 2, Infinity, -Infinity), fc.integer({ min: 0, max: 1e6 }).map((n) => n / 1000));
    const time = fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.double({ noNaN: true, min: -1e15, max: 1e15 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(time, value), { minLength: 1, maxLength: 300 }), (samples) => {
        const out = roundTrip(samples);
        expect(out.ts.length).toBe(samples.length);
        samples.forEach(([t, v], i) => {
          expect(Object.is(out.ts[i], t), `ts ${i}: ${out.ts[i]} vs ${t}`).toBe(true);
          expect(Object.is(out.values[i], v), `value ${i}: ${out.values[i]} vs ${v}`).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the sign of a zero timestamp (found by the property above)', () => {
    const out = roundTrip([[0, 0], [-0, 0], [0, 0]]);
    expect(out.ts.map((t) => Object.is(t, -0))).toEqual([false, true, false]);
  });

  it('holds a steady counter at a steady interval in about 2 bits a sample', () => {
    const samples = Array.from({ length: 400 }, (_, i) => [1.7e12 + i * 15_000, 1000 + i * 40] as const);
    const out = roundTrip(samples);
    expect(out.values).toEqual(samples.map((s) => s[1]));
    expect((out.chunks * SLOT_BYTES) / samples.length).toBeLessThan(1); // bytes a sample, slot slack included
  });

  it('holds decimal gauges (two decimals) scaled, not as raw doubles', () => {
    const samples = Array.from({ length: 240 }, (_, i) => [1.7e12 + i * 15_000, Math.round(50 + 20 * Math.sin(i / 10)) / 100] as const);
    const out = roundTrip(samples);
    expect(out.values).toEqual(samples.map((s) => s[1]));
    expect((out.chunks * SLOT_BYTES) / samples.length).toBeLessThan(2.5); // raw doubles would take ≈ 8
  });
});
