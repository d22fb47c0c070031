/**
 * Small fixed-size typed-array state carved out of ONE ArrayBuffer.
 *
 * Why: for arrays of a few dozen elements the ArrayBuffer object and its own backing-store allocation
 * cost more than the data. The per-series state (ensemble.ts SeriesState) held twelve such arrays:
 * ~5.4 KB RSS a series, as views on one buffer ~3.5 KB (bench/state-memory.ts, 100 000 series).
 * Usage: record the requests on a StateLayout, allocate `new StateArena(layout.bytes)`, then make the same
 * requests in the same order (views are handed out in sequence and never overlap, so a different order
 * can only leave padding or overflow, which throws).
 */

/** Byte range [start, end) of n elements of `size` bytes placed at or after `offset`, aligned to `size`. */
function place(offset: number, size: number, n: number): [number, number] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`state arena: element count must be a non-negative integer, not ${n}`);
  // an empty view takes no room (and offset 0 is always aligned)
  if (n === 0) return [0, offset];
  const start = Math.ceil(offset / size) * size;
  return [start, start + n * size];
}

/** Accumulates f32 / f64 / i32 requests into the exact byte size a StateArena needs for them. */
export class StateLayout {
  private size = 0;

  get bytes(): number {
    return this.size;
  }

  f32(n: number): this {
    return this.add(Float32Array.BYTES_PER_ELEMENT, n);
  }

  f64(n: number): this {
    return this.add(Float64Array.BYTES_PER_ELEMENT, n);
  }

  i32(n: number): this {
    return this.add(Int32Array.BYTES_PER_ELEMENT, n);
  }

  private add(size: number, n: number): this {
    this.size = place(this.size, size, n)[1];
    return this;
  }
}

/** Where a state component gets its typed arrays: the heap (one buffer each) or a StateArena. */
export interface TypedArrayAllocator {
  f32(n: number): Float32Array;
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
}

/** A buffer of its own for every array: components built alone (tests, tools). */
export const HEAP_ALLOCATOR: TypedArrayAllocator = {
  f32: (n) => new Float32Array(n),
  f64: (n) => new Float64Array(n),
  i32: (n) => new Int32Array(n),
};

/** One ArrayBuffer handing out typed-array views in sequence, each aligned to its element size. */
export class StateArena implements TypedArrayAllocator {
  private readonly buffer: ArrayBuffer;
  private offset = 0;

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  /** Bytes of the arena. */
  get size(): number {
    return this.buffer.byteLength;
  }

  /** Bytes handed out so far, alignment padding included. */
  get used(): number {
    return this.offset;
  }

  f32(n: number): Float32Array {
    const start = this.take(Float32Array.BYTES_PER_ELEMENT, n);
    return new Float32Array(this.buffer, start, n);
  }

  f64(n: number): Float64Array {
    const start = this.take(Float64Array.BYTES_PER_ELEMENT, n);
    return new Float64Array(this.buffer, start, n);
  }

  i32(n: number): Int32Array {
    const start = this.take(Int32Array.BYTES_PER_ELEMENT, n);
    return new Int32Array(this.buffer, start, n);
  }

  private take(size: number, n: number): number {
    const [start, end] = place(this.offset, size, n);
    if (end > this.buffer.byteLength) {
      throw new Error(`state arena too small: ${n} × ${size} bytes at offset ${start} need ${end} bytes, the arena has ${this.buffer.byteLength}`);
    }
    this.offset = end;
    return start;
  }
}
