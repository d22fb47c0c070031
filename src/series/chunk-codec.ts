import { type ChunkArena, SLOT_BYTES, readBit, readBits, writeBits } from './chunk-arena.js';

/**
 * Samples compressed into one arena slot (a chunk), in the spirit of Prometheus/Gorilla chunks:
 *  - timestamps as delta-of-delta (1 bit per sample at a steady scrape interval);
 *  - values in one of two modes, picked from the chunk's first value:
 *    · scaled: the value times 10^e is an integer n (counters, integer gauges, decimals such as 0.25
 *      or 12.5): n as delta-of-delta, 1 bit for a steady rate or a constant;
 *    · xor: any double, XOR with the previous value (Gorilla).
 * Every sample is checked to decode to exactly what was pushed (else a 64-bit escape, or a new chunk
 * when the value does not fit the scaled mode), so the store returns exactly what it was given.
 *
 * Slot layout: [0..3] next slot + 1 (0 = none), [4..5] sample count, [6..7] bits used, [8] mode
 * (0..MAX_SCALE = e, MODE_XOR), then the bit stream; the first sample is stored raw (2 × 64 bits).
 */
export const MODE_XOR = 255;
const MAX_SCALE = 9;
const HEADER_BYTES = 9;
const PAYLOAD_BITS = (SLOT_BYTES - HEADER_BYTES) * 8;
const POW10 = Array.from({ length: MAX_SCALE + 1 }, (_, e) => 10 ** e);
const MAX_SCALED = 2 ** 53;

/** The open chunk's encoder state; the store keeps one per series between pushes. */
export interface ChunkWriter {
  ts: number;
  tsDelta: number;
  /** The previous value (xor mode) or previous scaled integer n (scaled mode). */
  value: number;
  valueDelta: number;
  /** Gorilla's previous meaningful-bit window; −1 when there is none yet. */
  xorLeading: number;
  xorTrailing: number;
}

// Raw IEEE-754 words of a double, through one shared scratch buffer.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

export function chunkCount(arena: ChunkArena, slot: number): number {
  return arena.pageOf(slot).getUint16(arena.offsetOf(slot) + 4, true);
}

/** The next (newer) chunk of the same series, or −1. */
export function chunkNext(arena: ChunkArena, slot: number): number {
  return arena.pageOf(slot).getUint32(arena.offsetOf(slot), true) - 1;
}

export function setChunkNext(arena: ChunkArena, slot: number, next: number): void {
  arena.pageOf(slot).setUint32(arena.offsetOf(slot), next + 1, true);
}

function setCountAndBits(page: DataView, o: number, count: number, bits: number): void {
  page.setUint16(o + 4, count, true);
  page.setUint16(o + 6, bits, true);
}

/** The smallest decimal scale at which `v` is an exact integer, or MODE_XOR. */
function scaleOf(v: number): number {
  for (let e = 0; e <= MAX_SCALE; e++) {
    const n = Math.round(v * (POW10[e] as number));
    if (Math.abs(n) <= MAX_SCALED && Object.is(n / (POW10[e] as number), v)) return e;
  }
  return MODE_XOR;
}

function writeRaw64(page: DataView, base: number, pos: number, x: number): void {
  f64[0] = x;
  writeBits(page, base, pos, u32[HI] as number, 32);
  writeBits(page, base, pos + 32, u32[LO] as number, 32);
}

function readRaw64(page: DataView, base: number, pos: number): number {
  u32[HI] = readBits(page, base, pos, 32);
  u32[LO] = readBits(page, base, pos + 32, 32);
  return f64[0] as number;
}

/**
 * Starts chunk `slot` (freshly allocated) with its first sample; returns the value mode it picked. `xorOnly` forces the xor mode (the
 * store sets it after a scaled chunk ended early on an unfitting value, so values that alternate
 * between fitting and not do not leave a trail of one-sample chunks).
 */
export function startChunk(arena: ChunkArena, slot: number, w: ChunkWriter, ts: number, v: number, xorOnly: boolean): number {
  const page = arena.pageOf(slot);
  const o = arena.offsetOf(slot);
  const mode = xorOnly ? MODE_XOR : scaleOf(v);
  const stored = mode === MODE_XOR ? v : Math.round(v * (POW10[mode] as number));
  page.setUint8(o + 8, mode);
  const base = o + HEADER_BYTES;
  writeRaw64(page, base, 0, ts);
  writeRaw64(page, base, 64, stored);
  setCountAndBits(page, o, 1, 128);
  w.ts = ts;
  w.tsDelta = 0;
  w.value = stored;
  w.valueDelta = 0;
  w.xorLeading = -1;
  w.xorTrailing = 0;
  return mode;
}

// Delta-of-delta buckets: [prefix bits, payload bits, smallest, largest]; the last is the 64-bit escape.
const TS_BUCKETS = [[2, 7, -63, 64], [3, 9, -255, 256], [4, 12, -2047, 2048]] as const;
const VALUE_BUCKETS = [[2, 7, -63, 64], [3, 12, -2047, 2048], [4, 20, -524287, 524288]] as const;
type Buckets = typeof TS_BUCKETS | typeof VALUE_BUCKETS;

const ZERO = -1;
const ESCAPE = 99;

/** Which code holds `dod`: ZERO (1 bit), a bucket index, or ESCAPE (64-bit raw) when `exact` is false or it is too big. */
function dodCode(dod: number, exact: boolean, buckets: Buckets): number {
  if (!exact) return ESCAPE;
  if (dod === 0) return ZERO;
  for (let b = 0; b < buckets.length; b++) {
    const bucket = buckets[b] as Buckets[number];
    if (dod >= bucket[2] && dod <= bucket[3]) return b;
  }
  return ESCAPE;
}

function dodCodeBits(code: number, buckets: Buckets): number {
  if (code === ZERO) return 1;
  if (code === ESCAPE) return 68;
  const bucket = buckets[code] as Buckets[number];
  return bucket[0] + bucket[1];
}

/** Writes `dod` under `code`; `raw` is the escape's 64-bit payload. Returns the new bit position. */
function writeDod(page: DataView, base: number, pos: number, code: number, dod: number, raw: number, buckets: Buckets): number {
  if (code === ZERO) return pos + 1; // a single 0 bit: the region is zeroed
  if (code === ESCAPE) {
    writeBits(page, base, pos, 0b1111, 4);
    writeRaw64(page, base, pos + 4, raw);
    return pos + 68;
  }
  const bucket = buckets[code] as Buckets[number];
  const prefix = bucket[0];
  const payload = bucket[1];
  writeBits(page, base, pos, (1 << prefix) - 2, prefix); // prefix − 1 ones, then a zero
  writeBits(page, base, pos + prefix, dod - bucket[2], payload);
  return pos + prefix + payload;
}

interface DodRead {
  value: number;
  pos: number;
  /** `value` is the raw 64-bit payload, not a delta-of-delta. */
  escape: boolean;
}

function readDod(page: DataView, base: number, pos: number, buckets: Buckets, out: DodRead): void {
  if (readBit(page, base, pos) === 0) {
    out.value = 0;
    out.pos = pos + 1;
    out.escape = false;
    return;
  }
  let ones = 1;
  while (ones < 4 && readBit(page, base, pos + ones) === 1) ones++;
  if (ones === 4) {
    out.value = readRaw64(page, base, pos + 4);
    out.pos = pos + 68;
    out.escape = true;
    return;
  }
  // No array destructuring here: it goes through the iterator protocol on this hot path.
  const bucket = buckets[ones - 1] as Buckets[number];
  const prefix = bucket[0];
  const payload = bucket[1];
  out.value = readBits(page, base, pos + prefix, payload) + bucket[2];
  out.pos = pos + prefix + payload;
  out.escape = false;
}

/** appendToChunk's answer. */
export const APPENDED = 0;
/** The chunk has no room for the sample: start a new one. */
export const CHUNK_FULL = 1;
/** The value cannot be held exactly in the chunk's scaled mode: start a new one. */
export const MODE_MISMATCH = 2;

// Gorilla XOR of two doubles as 32-bit words, planned before writing (so a full chunk is left untouched).
const xorPlan = { hi: 0, lo: 0, lead: 0, trail: 0, reuse: false, bits: 0 };

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function planXor(w: ChunkWriter, v: number): number {
  f64[0] = w.value;
  const ph = u32[HI] as number;
  const pl = u32[LO] as number;
  f64[0] = v;
  const hi = ((u32[HI] as number) ^ ph) >>> 0;
  const lo = ((u32[LO] as number) ^ pl) >>> 0;
  xorPlan.hi = hi;
  xorPlan.lo = lo;
  if (hi === 0 && lo === 0) return (xorPlan.bits = 1);
  xorPlan.lead = Math.min(31, hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo));
  xorPlan.trail = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
  xorPlan.reuse = w.xorLeading >= 0 && xorPlan.lead >= w.xorLeading && xorPlan.trail >= w.xorTrailing;
  if (xorPlan.reuse) {
    xorPlan.lead = w.xorLeading;
    xorPlan.trail = w.xorTrailing;
    return (xorPlan.bits = 2 + 64 - xorPlan.lead - xorPlan.trail);
  }
  return (xorPlan.bits = 2 + 5 + 6 + 64 - xorPlan.lead - xorPlan.trail);
}

function writeXor(page: DataView, base: number, pos: number, w: ChunkWriter, v: number): number {
  w.value = v;
  if (xorPlan.bits === 1) return pos + 1;
  const { hi, lo, lead, trail } = xorPlan;
  const len = 64 - lead - trail;
  if (xorPlan.reuse) {
    writeBits(page, base, pos, 0b10, 2);
    pos += 2;
  } else {
    writeBits(page, base, pos, (0b11 << 11) | (lead << 6) | (len & 63), 13); // '11', 5 bits lead, 6 bits length (64 as 0)
    pos += 13;
    w.xorLeading = lead;
    w.xorTrailing = trail;
  }
  // The meaningful bits: (hi, lo) shifted right by `trail`.
  const sl = trail === 0 ? lo : trail < 32 ? ((lo >>> trail) | (hi << (32 - trail))) >>> 0 : hi >>> (trail - 32);
  const sh = trail === 0 ? hi : trail < 32 ? hi >>> trail : 0;
  if (len > 32) {
    writeBits(page, base, pos, sh, len - 32);
    writeBits(page, base, pos + len - 32, sl, 32);
  } else {
    writeBits(page, base, pos, sl, len);
  }
  return pos + len;
}

/** Appends one sample to the open chunk `slot`; see APPENDED, CHUNK_FULL, MODE_MISMATCH. */
export function appendToChunk(arena: ChunkArena, slot: number, w: ChunkWriter, ts: number, v: number): number {
  const page = arena.pageOf(slot);
  const o = arena.offsetOf(slot);
  const count = page.getUint16(o + 4, true);
  const bits = page.getUint16(o + 6, true);
  const mode = page.getUint8(o + 8);
  const dod = ts - w.ts - w.tsDelta;
  const tsCode = dodCode(dod, Number.isInteger(dod) && Object.is(w.ts + (w.tsDelta + dod), ts), TS_BUCKETS);
  let need = dodCodeBits(tsCode, TS_BUCKETS);
  let n = 0;
  let valueDod = 0;
  let valueCode = ZERO;
  if (mode === MODE_XOR) {
    need += planXor(w, v);
  } else {
    const scale = POW10[mode] as number;
    n = Math.round(v * scale);
    if (!(Math.abs(n) <= MAX_SCALED && Object.is(n / scale, v))) return MODE_MISMATCH;
    valueDod = n - w.value - w.valueDelta;
    valueCode = dodCode(valueDod, Number.isInteger(valueDod) && Object.is((w.value + (w.valueDelta + valueDod)) / scale, v), VALUE_BUCKETS);
    need += dodCodeBits(valueCode, VALUE_BUCKETS);
  }
  if (bits + need > PAYLOAD_BITS || count === 0xffff) return CHUNK_FULL;

  const base = o + HEADER_BYTES;
  let pos = writeDod(page, base, bits, tsCode, dod, ts, TS_BUCKETS);
  w.tsDelta = tsCode === ESCAPE ? ts - w.ts : w.tsDelta + dod;
  w.ts = ts;
  if (mode === MODE_XOR) {
    pos = writeXor(page, base, pos, w, v);
  } else {
    pos = writeDod(page, base, pos, valueCode, valueDod, n, VALUE_BUCKETS);
    w.valueDelta = valueCode === ESCAPE ? n - w.value : w.valueDelta + valueDod;
    w.value = n;
  }
  setCountAndBits(page, o, count + 1, pos);
  return APPENDED;
}

const dodRead: DodRead = { value: 0, pos: 0, escape: false };

/** Decodes every sample of chunk `slot` into the arrays from index `at`; returns how many. */
export function decodeChunk(arena: ChunkArena, slot: number, timestamps: Float64Array, values: Float64Array, at: number): number {
  const page = arena.pageOf(slot);
  const o = arena.offsetOf(slot);
  const count = page.getUint16(o + 4, true);
  const mode = page.getUint8(o + 8);
  const base = o + HEADER_BYTES;
  const xor = mode === MODE_XOR;
  const scale = xor ? 1 : (POW10[mode] as number);
  let ts = readRaw64(page, base, 0);
  let stored = readRaw64(page, base, 64);
  timestamps[at] = ts;
  values[at] = xor ? stored : stored / scale;
  let pos = 128;
  let tsDelta = 0;
  let valueDelta = 0;
  let lead = 0;
  let trail = 0;
  for (let i = 1; i < count; i++) {
    readDod(page, base, pos, TS_BUCKETS, dodRead);
    pos = dodRead.pos;
    if (dodRead.escape) {
      tsDelta = dodRead.value - ts;
      ts = dodRead.value;
    } else {
      tsDelta += dodRead.value;
      ts += tsDelta;
    }
    timestamps[at + i] = ts;
    if (xor) {
      if (readBit(page, base, pos++) === 1) {
        if (readBit(page, base, pos++) === 1) {
          lead = readBits(page, base, pos, 5);
          trail = 64 - lead - (readBits(page, base, pos + 5, 6) || 64);
          pos += 11;
        }
        const len = 64 - lead - trail;
        const sh = len > 32 ? readBits(page, base, pos, len - 32) : 0;
        const sl = len > 32 ? readBits(page, base, pos + len - 32, 32) : readBits(page, base, pos, len);
        pos += len;
        f64[0] = stored;
        u32[HI] = ((u32[HI] as number) ^ (trail === 0 ? sh : trail < 32 ? (sh << trail) | (sl >>> (32 - trail)) : sl << (trail - 32))) >>> 0;
        u32[LO] = ((u32[LO] as number) ^ (trail === 0 ? sl : trail < 32 ? sl << trail : 0)) >>> 0;
        stored = f64[0] as number;
      }
      values[at + i] = stored;
    } else {
      readDod(page, base, pos, VALUE_BUCKETS, dodRead);
      pos = dodRead.pos;
      if (dodRead.escape) {
        valueDelta = dodRead.value - stored;
        stored = dodRead.value;
      } else {
        valueDelta += dodRead.value;
        stored += valueDelta;
      }
      values[at + i] = stored / scale;
    }
  }
  return count;
}
