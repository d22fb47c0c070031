import { ChunkArena, SLOT_BYTES } from './chunk-arena.js';
import { APPENDED, type ChunkWriter, MODE_MISMATCH, MODE_XOR, appendToChunk, chunkCount, chunkNext, decodeChunk, setChunkNext, startChunk } from './chunk-codec.js';

/** A scaled chunk that ends on an unfitting value before this many samples switches its series to xor for good. */
const SHORT_CHUNK = 8;
const NO_CHUNK = -1;

/**
 * The recent window of every series as a chain of compressed chunks (chunk-codec.ts) in one arena,
 * with each series' encoder state in columns indexed by series number: no object and no typed array
 * per series. A window keeps at least `windowPoints` samples; the oldest chunk is dropped once the
 * newer ones hold enough, so up to one chunk's worth more is stored and read() returns the newest
 * `windowPoints`.
 */
export class CompressedWindows {
  private readonly arena = new ChunkArena();
  private readonly writer: ChunkWriter = { ts: 0, tsDelta: 0, value: 0, valueDelta: 0, xorLeading: -1, xorTrailing: 0 };
  private capacity = 0;
  /** The series begin() opened (its encoder state is in `writer`), or −1. */
  private open = -1;
  // Encoder state of each series' open chunk.
  private ts = new Float64Array(0);
  private tsDelta = new Float64Array(0);
  private value = new Float64Array(0);
  private valueDelta = new Float64Array(0);
  /** Gorilla's bit window + 1 (leading | trailing << 8), 0 = none. */
  private xorWindow = new Int32Array(0);
  /** 1: the series' values did not fit a scaled chunk for long, so its chunks are xor from now on. */
  private xorOnly = new Uint8Array(0);
  private firstChunk = new Int32Array(0);
  private lastChunk = new Int32Array(0);
  private stored = new Int32Array(0);
  /** readTail()'s decode buffers, grown on demand and reused. */
  private scratchValues = new Float64Array(0);
  private scratchTimestamps = new Float64Array(0);

  constructor(private readonly windowPoints: number) {}

  /** Makes room for series numbers below `n`. */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, this.capacity * 2, 1024);
    this.ts = grown(this.ts, new Float64Array(cap));
    this.tsDelta = grown(this.tsDelta, new Float64Array(cap));
    this.value = grown(this.value, new Float64Array(cap));
    this.valueDelta = grown(this.valueDelta, new Float64Array(cap));
    this.xorWindow = grown(this.xorWindow, new Int32Array(cap));
    this.xorOnly = grown(this.xorOnly, new Uint8Array(cap));
    this.firstChunk = grown(this.firstChunk, new Int32Array(cap).fill(NO_CHUNK));
    this.lastChunk = grown(this.lastChunk, new Int32Array(cap).fill(NO_CHUNK));
    this.stored = grown(this.stored, new Int32Array(cap));
    this.capacity = cap;
  }

  /** Samples read() would return for series `i`. */
  points(i: number): number {
    return Math.min(this.stored[i] as number, this.windowPoints);
  }

  /** Opens series `i` for a run of append()s: its encoder state is loaded once, not per sample. */
  begin(i: number): void {
    this.load(i);
    this.open = i;
  }

  /** Appends a sample to the series opened by begin(). */
  append(timestampMs: number, value: number): void {
    const i = this.open;
    const w = this.writer;
    const last = this.lastChunk[i] as number;
    const result = last === NO_CHUNK ? -1 : appendToChunk(this.arena, last, w, timestampMs, value);
    if (result !== APPENDED) {
      if (result === MODE_MISMATCH && chunkCount(this.arena, last) < SHORT_CHUNK) this.xorOnly[i] = 1;
      const slot = this.arena.alloc();
      // A series that once started a chunk in xor mode stays there: values that are not short decimals
      // seldom become so, and trying ten scales at every chunk start costs more than it saves.
      if (startChunk(this.arena, slot, w, timestampMs, value, this.xorOnly[i] === 1) === MODE_XOR) this.xorOnly[i] = 1;
      if (last === NO_CHUNK) this.firstChunk[i] = slot;
      else setChunkNext(this.arena, last, slot);
      this.lastChunk[i] = slot;
    }
    const stored = (this.stored[i] as number) + 1;
    this.stored[i] = stored;
    if (stored > this.windowPoints) this.trim(i);
  }

  /** Saves the encoder state of the series opened by begin(). */
  end(): void {
    this.save(this.open, this.writer);
    this.open = -1;
  }

  /** Drops the oldest chunks while the newer ones still hold a full window. */
  private trim(i: number): void {
    let first = this.firstChunk[i] as number;
    const last = this.lastChunk[i] as number;
    while (first !== last) {
      const n = chunkCount(this.arena, first);
      if ((this.stored[i] as number) - n < this.windowPoints) break;
      const next = chunkNext(this.arena, first);
      this.arena.release(first);
      this.stored[i] = (this.stored[i] as number) - n;
      first = next;
    }
    this.firstChunk[i] = first;
  }

  /** The newest points(i) samples, oldest first. */
  read(i: number): { values: Float64Array; timestamps: Float64Array } {
    const n = this.points(i);
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    this.readTail(i, n, timestamps, values, 0);
    return { values, timestamps };
  }

  /**
   * Writes the newest min(points(i), maxPoints) samples of series `i`, oldest first, into
   * `timestamps` / `values` at `at`; returns how many. Chunks older than those are skipped, not decoded,
   * and nothing is allocated per call (the detection cycle reads tens of thousands of series into one
   * buffer: read()'s two arrays per series were most of its main-thread time).
   */
  readTail(i: number, maxPoints: number, timestamps: Float64Array, values: Float64Array, at: number): number {
    const want = Math.min(this.points(i), Math.max(0, maxPoints));
    let skip = (this.stored[i] as number) - want;
    let slot = this.firstChunk[i] as number;
    for (let n = 0; slot !== NO_CHUNK && (n = chunkCount(this.arena, slot)) <= skip; slot = chunkNext(this.arena, slot)) skip -= n;
    const need = skip + want;
    if (this.scratchValues.length < need) {
      this.scratchValues = new Float64Array(Math.max(need, 2 * this.scratchValues.length));
      this.scratchTimestamps = new Float64Array(this.scratchValues.length);
    }
    let k = 0;
    for (; slot !== NO_CHUNK; slot = chunkNext(this.arena, slot)) k += decodeChunk(this.arena, slot, this.scratchTimestamps, this.scratchValues, k);
    timestamps.set(this.scratchTimestamps.subarray(skip, need), at);
    values.set(this.scratchValues.subarray(skip, need), at);
    return want;
  }

  /** Frees series `i`'s chunks; the number may be reused. */
  clear(i: number): void {
    for (let slot = this.firstChunk[i] as number; slot !== NO_CHUNK; ) {
      const next = chunkNext(this.arena, slot);
      this.arena.release(slot);
      slot = next;
    }
    this.firstChunk[i] = NO_CHUNK;
    this.lastChunk[i] = NO_CHUNK;
    this.stored[i] = 0;
    this.xorWindow[i] = 0;
    this.xorOnly[i] = 0;
  }

  /** Memory held by the chunks: slots in use and the arena's reserved bytes. */
  stats(): { chunks: number; chunkBytes: number; reservedBytes: number; columnBytes: number } {
    const chunks = this.arena.slotsInUse;
    return { chunks, chunkBytes: chunks * SLOT_BYTES, reservedBytes: this.arena.reservedBytes, columnBytes: this.capacity * (4 * 8 + 4 * 4 + 1) };
  }

  private load(i: number): ChunkWriter {
    const w = this.writer;
    w.ts = this.ts[i] as number;
    w.tsDelta = this.tsDelta[i] as number;
    w.value = this.value[i] as number;
    w.valueDelta = this.valueDelta[i] as number;
    const win = (this.xorWindow[i] as number) - 1;
    w.xorLeading = win < 0 ? -1 : win & 0xff;
    w.xorTrailing = win < 0 ? 0 : win >>> 8;
    return w;
  }

  private save(i: number, w: ChunkWriter): void {
    this.ts[i] = w.ts;
    this.tsDelta[i] = w.tsDelta;
    this.value[i] = w.value;
    this.valueDelta[i] = w.valueDelta;
    this.xorWindow[i] = w.xorLeading < 0 ? 0 : (w.xorLeading | (w.xorTrailing << 8)) + 1;
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}
