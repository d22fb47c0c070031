/**
 * Compact time-of-day profile of one series, keyed by timestamp: for each of the last `days` days and each
 * of `bins` equal slices of the day, the mean of the values in that slice and the band they spanned
 * (min, max). It replaces "the value one, two, three seasons (288 points) earlier", which needed a raw
 * window longer than a day: the daemon keeps 240 points per series (40 min at a 10 s step), and NAB's
 * ad-exchange (hourly) and traffic (irregular) files are not 5-minute series, so a point lag was never one
 * day for them. A timestamp phase is.
 *
 * difference(x, t) = x minus the nearest (smallest |difference|) of the `days` earlier days' means for
 * t's slice of the day; NaN when none of them holds that slice. The nearest of several days is used so
 * one odd earlier day does not echo into today's score.
 * withinBand(x, t, pad) = whether x lies within the band of t's slice on one of the earlier days, widened
 * by `pad` × half its width on either side (ensemble-10: a value the series took at this time of day
 * lately is a contextual repeat — a daily job's spike, the nightly batch's load — not news).
 * The ring holds days + 1 days: today's, being learned, and the `days` complete ones before it. Until
 * ensemble-9 it held `days` in all, so today's first point evicted the oldest earlier day and, for the
 * rest of the day, a point was compared with two earlier days where three were meant (fixing it: NAB
 * +0.54 standard, −0.42 low FP, +1.23 low FN over 12 training seeds; models/MODEL_CARD.md, ensemble-9).
 * State: 12·bins·(days + 1) + 8·(days + 1) + 24 bytes of typed arrays (24 slices, 3 days: 1 208 B), fixed
 * whatever the sampling rate, in a slot (state-arena.ts); the code (DayProfileKernel) is shared by every
 * series. Band bounds are float32 rounded outwards, so a value seen again is always inside its band.
 * 24 hourly slices: exact for hourly series, and 48 or 96 slices scored the NAB subset no better
 * (bench/nab-experiments/exp26-*.ts).
 * Points must arrive in time order; a point older than the newest seen is scored but not learned.
 */
import { float32AtLeast, float32AtMost } from './novelty.js';
import { KernelView, StateArena, type StateLayout, type StateSlot } from './state-arena.js';

export const DAY_MS = 86_400_000;

/** The largest finite float32: a value beyond it would make its hour's mean and band infinite (a band of every value). */
const FLOAT32_MAX = 3.4028234663852886e38;

// float32 numbers of a (day, slice) cell
const MEAN = 0;
const LOW = 1;
const HIGH = 2;
const CELL = 3;

// float64 scalars after the day numbers: the newest time learned, and the current (day, slice) run
const LAST_MS = 0;
const RUN_COUNT = 1;
const RUN_KEY = 2;
const SCALARS = 3;

/** The code of a time-of-day profile over any series' slot: offsets within a slot, and its settings. */
export class DayProfileKernel {
  /** Days in the ring: the earlier days compared and today's. */
  private readonly slots: number;
  /**
   * f32[cells + CELL · (slot · bins + bin) + MEAN | LOW | HIGH]: the mean of the values in that slice on that
   * slot's day (NaN: none) and their band (min, max; valid where the mean is). One cell's three numbers
   * sit together so learning a point touches one cache line.
   */
  private readonly cells: number;
  /**
   * f64[dayOf + slot]: the day number (⌊t / period⌋) the slot holds, −1 when empty (float64: exact for any
   * integer day number, whatever periodMs).
   */
  private readonly dayOf: number;
  /**
   * f64 scalars at [s, s + SCALARS): the newest time learned; points learned so far in the current
   * (day, slice) and which one it is (points arrive in time order so one counter does).
   */
  private readonly s: number;

  constructor(
    layout: StateLayout,
    readonly bins = 24,
    /** Earlier days compared (each of the last `days` complete days). */
    readonly days = 3,
    readonly periodMs = DAY_MS,
  ) {
    this.slots = days + 1;
    this.cells = layout.at32(CELL * bins * this.slots);
    this.dayOf = layout.at64(this.slots);
    this.s = layout.at64(SCALARS);
  }

  /** Bytes of state a slot holds for this profile. */
  get bytes(): number {
    return CELL * this.bins * this.slots * Float32Array.BYTES_PER_ELEMENT + (this.slots + SCALARS) * Float64Array.BYTES_PER_ELEMENT;
  }

  /** An empty profile in `slot`. */
  init(slot: StateSlot): void {
    const c = slot.b32 + this.cells;
    slot.f32.fill(Number.NaN, c, c + CELL * this.bins * this.slots);
    slot.f64.fill(-1, slot.b64 + this.dayOf, slot.b64 + this.dayOf + this.slots);
    const s = slot.b64 + this.s;
    slot.f64[s + LAST_MS] = -Infinity;
    slot.f64[s + RUN_COUNT] = 0;
    slot.f64[s + RUN_KEY] = -1;
  }

  /** x minus the nearest earlier day's mean for the slice of the day holding `timeMs`; NaN when none. */
  difference(slot: StateSlot, x: number, timeMs: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(timeMs)) return Number.NaN;
    const day = Math.floor(timeMs / this.periodMs);
    const bin = this.binOf(timeMs, day);
    let best = Number.NaN;
    for (let s = 0; s < this.slots; s++) {
      const c = this.earlierCell(slot, s, day, bin);
      if (c < 0) continue;
      const diff = x - slot.f32[c + MEAN]!;
      if (!(Math.abs(diff) >= Math.abs(best))) best = diff;
    }
    return best;
  }

  /**
   * Whether x lies within [min − pad·w, max + pad·w] (w = (max − min) / 2) of the slice of the day holding
   * `timeMs` on one of the earlier days; false when none of them holds that slice.
   */
  withinBand(slot: StateSlot, x: number, timeMs: number, pad: number): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(timeMs)) return false;
    const day = Math.floor(timeMs / this.periodMs);
    const bin = this.binOf(timeMs, day);
    const f = slot.f32;
    for (let s = 0; s < this.slots; s++) {
      const c = this.earlierCell(slot, s, day, bin);
      if (c < 0) continue;
      const lo = f[c + LOW]!;
      const hi = f[c + HIGH]!;
      const margin = (pad * (hi - lo)) / 2;
      if (x >= lo - margin && x <= hi + margin) return true;
    }
    return false;
  }

  /**
   * Add x at `timeMs` to today's mean and band for its slice (ignored when older than the newest point
   * seen, or non-finite or beyond the float32 range).
   */
  learn(slot: StateSlot, x: number, timeMs: number): void {
    const f64 = slot.f64;
    const s = slot.b64 + this.s;
    if (!(Math.abs(x) <= FLOAT32_MAX) || !Number.isFinite(timeMs) || timeMs < f64[s + LAST_MS]!) return;
    f64[s + LAST_MS] = timeMs;
    const day = Math.floor(timeMs / this.periodMs);
    const daySlot = ((day % this.slots) + this.slots) % this.slots;
    const cells = slot.b32 + this.cells;
    if (f64[slot.b64 + this.dayOf + daySlot] !== day) {
      f64[slot.b64 + this.dayOf + daySlot] = day;
      slot.f32.fill(Number.NaN, cells + CELL * daySlot * this.bins, cells + CELL * (daySlot + 1) * this.bins);
      f64[s + RUN_KEY] = -1;
    }
    const key = daySlot * this.bins + this.binOf(timeMs, day);
    if (key !== f64[s + RUN_KEY]) {
      f64[s + RUN_KEY] = key;
      f64[s + RUN_COUNT] = 0;
    }
    const runCount = f64[s + RUN_COUNT]! + 1;
    f64[s + RUN_COUNT] = runCount;
    const f = slot.f32;
    const c = cells + CELL * key;
    const m = f[c + MEAN]!;
    f[c + MEAN] = runCount === 1 ? x : m + (x - m) / runCount;
    // rounded outwards (a value seen again is inside its band), and only when x widens the band: most points do not
    if (runCount === 1 || x < f[c + LOW]!) f[c + LOW] = float32AtMost(x);
    if (runCount === 1 || x > f[c + HIGH]!) f[c + HIGH] = float32AtLeast(x);
  }

  /**
   * f32 index of slice `bin`'s cell on ring slot s when s holds one of the `days` days before `day` and
   * that slice has values on it; −1 otherwise.
   */
  private earlierCell(slot: StateSlot, s: number, day: number, bin: number): number {
    const d = slot.f64[slot.b64 + this.dayOf + s]!;
    if (d < day - this.days || d >= day) return -1;
    const c = slot.b32 + this.cells + CELL * (s * this.bins + bin);
    return Number.isNaN(slot.f32[c + MEAN]!) ? -1 : c;
  }

  private binOf(timeMs: number, day: number): number {
    const b = Math.floor(((timeMs - day * this.periodMs) / this.periodMs) * this.bins);
    return Math.min(this.bins - 1, Math.max(0, b));
  }
}

/** One profile on its own (tests, tools): a kernel over a slot of its own or of `arena`. */
export class DayProfile extends KernelView<DayProfileKernel> {
  constructor(bins = 24, days = 3, periodMs = DAY_MS, arena?: StateArena) {
    super((layout) => new DayProfileKernel(layout, bins, days, periodMs), arena);
  }

  /** Records on `layout` the arena space the constructor takes with these arguments. */
  static reserve(layout: StateLayout, bins = 24, days = 3): StateLayout {
    new DayProfileKernel(layout, bins, days);
    return layout;
  }

  /** Bytes of typed-array state (for memory reports). */
  get bytes(): number {
    return this.kernel.bytes;
  }

  difference(x: number, timeMs: number): number {
    return this.kernel.difference(this, x, timeMs);
  }

  learn(x: number, timeMs: number): void {
    this.kernel.learn(this, x, timeMs);
  }

  withinBand(x: number, timeMs: number, pad: number): boolean {
    return this.kernel.withinBand(this, x, timeMs, pad);
  }
}
