/**
 * Small fixed-size numeric state carved out of ONE ArrayBuffer, seen through TWO typed arrays.
 *
 * Why: for arrays of a few dozen elements the typed-array objects cost more than the data. V8 spends
 * ~96 bytes of heap on every typed-array view. The per-series state (series-state.ts SeriesState) first held
 * twelve arrays of their own (~5.4 KB RSS a series), then twelve views on one buffer (~3.5 KB), then
 * regions of one Float64Array and one Float32Array (~2.6 KB), then a slot of a slab shared by many series
 * (~2.2 KB), now that slot and one object, every number in the slot (~1.5 KB; 1.6 KB since ensemble-9
 * keeps a fourth profile day, 2.4 KB since ensemble-10 keeps each hour's band; bench/state-memory.ts,
 * 100 000 series). A part's kernel keeps the offsets of its regions within a slot and indexes
 * `array[slot base + offset + i]`; it is shared by every series (series-state.ts SeriesStateShape).
 * Usage: record the requests on a StateLayout, get an arena for it (`new StateArena(layout)`, or a slot of
 * a StateSlab, which shares one buffer among many states), then make the same requests in the same order;
 * `arena.complete` says every reserved element was handed out.
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

  /** Reserves n float64 elements; returns their offset from the first float64 element of a slot of this layout. */
  at64(n: number): number {
    const at = this.n64;
    this.f64(n);
    return at;
  }

  /** Reserves n float32 elements; returns their offset from the first float32 element of a slot of this layout. */
  at32(n: number): number {
    const at = this.n32;
    this.f32(n);
    return at;
  }
}

/**
 * Where one state's numbers are: its slot's first element in two shared typed arrays. Component kernels
 * (novelty.ts, day-profile.ts, calibrate.ts) hold only offsets relative to a slot and run over any slot.
 */
export interface StateSlot {
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly b64: number;
  readonly b32: number;
}

/** A part's code over any slot (novelty.ts, day-profile.ts, calibrate.ts), reserved on a StateLayout. */
export interface StateKernel {
  /** Writes the part's empty state into `slot`. */
  init(slot: StateSlot): void;
}

/**
 * One part on its own (tests, tools): its kernel over a slot of its own, or the next slot of `arena`.
 * The detector does not use these: its states run the kernels of a shared SeriesStateShape.
 */
export abstract class KernelView<K extends StateKernel> implements StateSlot {
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly b64: number;
  readonly b32: number;
  protected readonly kernel: K;

  constructor(makeKernel: (layout: StateLayout) => K, arena?: StateArena) {
    const layout = new StateLayout();
    this.kernel = makeKernel(layout);
    ({ f64: this.f64, f32: this.f32, b64: this.b64, b32: this.b32 } = takeSlot(arena ?? new StateArena(layout), layout));
    this.kernel.init(this);
  }
}

/** The slot of `layout`'s size that `arena` hands out next (all of its float64 and float32 elements). */
export function takeSlot(arena: StateArena, layout: StateLayout): StateSlot {
  return { f64: arena.f64s, f32: arena.f32s, b64: arena.f64(layout.f64Count), b32: arena.f32(layout.f32Count) };
}

/** Where an arena's regions live when it does not own its buffer: a slot of a StateSlab chunk. */
export interface ArenaPlacement {
  readonly f64s: Float64Array;
  readonly f32s: Float32Array;
  /** First element of the slot in f64s / f32s. */
  readonly at64: number;
  readonly at32: number;
}

/**
 * Hands out, in sequence, the regions a StateLayout recorded, as offsets into `f64s` / `f32s`. Either
 * over a buffer of its own (the float64 region first, 8-aligned at 0, the float32 region after it, then
 * 4-aligned by construction) or over one slot of a StateSlab's shared buffer (`placement`).
 */
export class StateArena {
  readonly f64s: Float64Array;
  readonly f32s: Float32Array;
  private next64: number;
  private next32: number;
  private readonly end64: number;
  private readonly end32: number;

  constructor(layout: StateLayout, placement?: ArenaPlacement) {
    if (placement) {
      ({ f64s: this.f64s, f32s: this.f32s } = placement);
      this.next64 = placement.at64;
      this.next32 = placement.at32;
    } else {
      const buffer = new ArrayBuffer(layout.bytes);
      this.f64s = new Float64Array(buffer, 0, layout.f64Count);
      this.f32s = new Float32Array(buffer, layout.f64Count * Float64Array.BYTES_PER_ELEMENT, layout.f32Count);
      this.next64 = 0;
      this.next32 = 0;
    }
    this.end64 = this.next64 + layout.f64Count;
    this.end32 = this.next32 + layout.f32Count;
    if (this.end64 > this.f64s.length || this.end32 > this.f32s.length) throw new Error('state arena: placement outside the shared arrays');
  }

  /** An arena holding exactly what `reserve` records: a component built on its own (tests, tools). */
  static of(reserve: (layout: StateLayout) => unknown): StateArena {
    const layout = new StateLayout();
    reserve(layout);
    return new StateArena(layout);
  }

  /** True once every reserved element has been handed out. */
  get complete(): boolean {
    return this.next64 === this.end64 && this.next32 === this.end32;
  }

  /** Offset in `f64s` of the next n float64 elements. */
  f64(n: number): number {
    const at = this.take(n, this.next64, this.end64, 'float64');
    this.next64 += n;
    return at;
  }

  /** Offset in `f32s` of the next n float32 elements. */
  f32(n: number): number {
    const at = this.take(n, this.next32, this.end32, 'float32');
    this.next32 += n;
    return at;
  }

  private take(n: number, next: number, end: number, kind: string): number {
    checkCount(n);
    if (next + n > end) throw new Error(`state arena too small: ${n} ${kind} elements at ${next} need ${next + n}, the arena ends at ${end}`);
    return next;
  }
}

/** Where a per-series state gets its arena: a buffer of its own, or a slot of a shared slab. */
export interface StateArenaSource {
  /** An arena for `layout`, kept for as long as `owner` is reachable. */
  arena(layout: StateLayout, owner: object): StateArena;
}

/** A buffer of its own for every state (states built alone: tests, tools, the window-only score()). */
export const OWN_BUFFERS: StateArenaSource = { arena: (layout) => new StateArena(layout) };

/** Default states per StateSlab chunk. */
export const SLAB_CHUNK_STATES = 1024;

/**
 * Fixed-size slots for many states of one layout, in chunks of `statesPerChunk` (one ArrayBuffer and two
 * typed arrays a chunk). Why: an ArrayBuffer and two views cost ~0.45 KB of heap a series, more than half
 * of the state's own data. A slot goes back to the free list when the object it was acquired for is
 * garbage-collected (FinalizationRegistry), so no caller has to release it and none can release it while
 * it is still in use. Chunks are kept once made: memory stays at the peak number of slots. Reclaiming
 * waits for the GC, so under fast churn the peak exceeds the live states (replacing 50 000 states at a
 * time, 20 times in a row: 245 chunks for at most 100 000 live states, stable after the 12th round); the
 * daemon's series come and go far slower. If a runtime never ran finalizers, every state ever created
 * would keep its slot, as if states were never freed.
 */
export class StateSlab {
  private readonly chunks: Array<{ f64s: Float64Array; f32s: Float32Array }> = [];
  private readonly free: number[] = [];
  private readonly registry = new FinalizationRegistry<number>((slot) => this.free.push(slot));

  constructor(
    readonly layout: StateLayout,
    readonly statesPerChunk = SLAB_CHUNK_STATES,
  ) {
    if (!Number.isInteger(statesPerChunk) || statesPerChunk < 1) throw new Error(`state slab: statesPerChunk must be a positive integer, not ${statesPerChunk}`);
  }

  /** Slots handed out and not yet reclaimed. */
  get live(): number {
    return this.chunks.length * this.statesPerChunk - this.free.length;
  }

  /** An arena over a free slot (zeroed), reclaimed once `owner` is garbage-collected. */
  acquire(owner: object): StateArena {
    if (this.free.length === 0) this.grow();
    const slot = this.free.pop()!;
    const { f64s, f32s } = this.chunks[Math.floor(slot / this.statesPerChunk)]!;
    const i = slot % this.statesPerChunk;
    const n64 = this.layout.f64Count;
    const n32 = this.layout.f32Count;
    f64s.fill(0, i * n64, (i + 1) * n64);
    f32s.fill(0, i * n32, (i + 1) * n32);
    this.registry.register(owner, slot);
    return new StateArena(this.layout, { f64s, f32s, at64: i * n64, at32: i * n32 });
  }

  private grow(): void {
    const per = this.statesPerChunk;
    const n64 = this.layout.f64Count * per;
    const buffer = new ArrayBuffer(this.layout.bytes * per);
    this.chunks.push({ f64s: new Float64Array(buffer, 0, n64), f32s: new Float32Array(buffer, n64 * Float64Array.BYTES_PER_ELEMENT, this.layout.f32Count * per) });
    // popped from the end: the chunk's slot 0 goes first
    const first = (this.chunks.length - 1) * per;
    for (let i = per - 1; i >= 0; i--) this.free.push(first + i);
  }
}

/** One StateSlab per distinct layout size: what a detector gives the states it creates. */
export class StateSlabs implements StateArenaSource {
  private readonly slabs = new Map<string, StateSlab>();

  constructor(private readonly statesPerChunk = SLAB_CHUNK_STATES) {}

  /** Live states over all slabs. */
  get live(): number {
    let n = 0;
    for (const s of this.slabs.values()) n += s.live;
    return n;
  }

  arena(layout: StateLayout, owner: object): StateArena {
    const key = `${layout.f64Count}/${layout.f32Count}`;
    let slab = this.slabs.get(key);
    if (!slab) this.slabs.set(key, (slab = new StateSlab(layout, this.statesPerChunk)));
    return slab.acquire(owner);
  }
}
