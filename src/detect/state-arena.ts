/**
 * Small fixed-size numeric state carved out of ONE ArrayBuffer, seen through TWO typed arrays.
 *
 * Why: for arrays of a few dozen elements the typed-array objects cost more than the data. V8 spends
 * ~96 bytes of heap on every typed-array view. The per-series state (ensemble.ts SeriesState) first held
 * twelve arrays of their own (~5.4 KB RSS a series), then twelve views on one buffer (~3.5 KB), now
 * regions of one Float64Array and one Float32Array (~2.6 KB; bench/state-memory.ts, 100 000 series). A component keeps the shared array and
 * the offset of its region, and indexes `array[offset + i]`.
 * Usage: record the requests on a StateLayout, build `new StateArena(layout)`, then make the same
 * requests in the same order; `arena.complete` says every reserved element was handed out.
 */

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`state arena: element count must be a non-negative integer, not ${n}`);
}

/** Counts the float64 and float32 elements a StateArena must hold. */
export class StateLayout {
  private n64 = 0;
  private n32 = 0;

  get f64Count(): number {
    return this.n64;
  }

  get f32Count(): number {
    return this.n32;
  }

  /** Bytes of the arena's buffer. */
  get bytes(): number {
    return this.n64 * Float64Array.BYTES_PER_ELEMENT + this.n32 * Float32Array.BYTES_PER_ELEMENT;
  }

  f64(n: number): this {
    checkCount(n);
    this.n64 += n;
    return this;
  }

  f32(n: number): this {
    checkCount(n);
    this.n32 += n;
    return this;
  }
}

/**
 * One ArrayBuffer: the float64 region first (8-aligned at 0), the float32 region after it (then 4-aligned
 * by construction, no padding). Hands out regions in sequence as offsets into `f64s` / `f32s`.
 */
export class StateArena {
  readonly f64s: Float64Array;
  readonly f32s: Float32Array;
  private next64 = 0;
  private next32 = 0;

  constructor(layout: StateLayout) {
    const buffer = new ArrayBuffer(layout.bytes);
    this.f64s = new Float64Array(buffer, 0, layout.f64Count);
    this.f32s = new Float32Array(buffer, layout.f64Count * Float64Array.BYTES_PER_ELEMENT, layout.f32Count);
  }

  /** An arena holding exactly what `reserve` records: a component built on its own (tests, tools). */
  static of(reserve: (layout: StateLayout) => unknown): StateArena {
    const layout = new StateLayout();
    reserve(layout);
    return new StateArena(layout);
  }

  /** Bytes of the buffer. */
  get size(): number {
    return this.f64s.byteLength + this.f32s.byteLength;
  }

  /** True once every reserved element has been handed out. */
  get complete(): boolean {
    return this.next64 === this.f64s.length && this.next32 === this.f32s.length;
  }

  /** Offset in `f64s` of the next n float64 elements. */
  f64(n: number): number {
    const at = this.take(n, this.next64, this.f64s.length, 'float64');
    this.next64 += n;
    return at;
  }

  /** Offset in `f32s` of the next n float32 elements. */
  f32(n: number): number {
    const at = this.take(n, this.next32, this.f32s.length, 'float32');
    this.next32 += n;
    return at;
  }

  private take(n: number, next: number, length: number, kind: string): number {
    checkCount(n);
    if (next + n > length) {
      throw new Error(`state arena too small: ${n} ${kind} elements at ${next} need ${next + n}, the arena has ${length}`);
    }
    return next;
  }
}
