/**
 * Compact time-of-day profile of one series, keyed by timestamp: for each of the last `days` days, the
 * mean value in each of `bins` equal slices of the day. It replaces "the value one, two, three seasons
 * (288 points) earlier", which needed a raw window longer than a day: the daemon keeps 240 points per
 * series (40 min at a 10 s step), and NAB's ad-exchange (hourly) and traffic (irregular) files are not
 * 5-minute series, so a point lag was never one day for them. A timestamp phase is.
 *
 * difference(x, t) = x minus the nearest (smallest |difference|) of the earlier days' means for t's
 * slice of the day; NaN when no earlier day holds that slice. The nearest of several days is used so one
 * odd earlier day does not echo into today's score.
 * State: 4·bins·days + 8·days bytes of typed arrays (24 × 3: 312 B), fixed whatever the sampling rate.
 * 24 hourly slices: exact for hourly series, and 48 or 96 slices scored the NAB subset no better
 * (bench/nab-experiments/exp26-*.ts).
 * Points must arrive in time order; a point older than the newest seen is scored but not learned.
 */
import { StateArena, type StateLayout } from './state-arena.js';

export const DAY_MS = 86_400_000;

export class DayProfile {
  /** f32[means + slot · bins + bin]: the mean of the values in that slice on that slot's day (NaN: none). */
  private readonly f32: Float32Array;
  private readonly means: number;
  /**
   * f64[dayOf + slot]: the day number (⌊t / period⌋) the slot holds, −1 when empty (float64: exact for any
   * integer day number, whatever periodMs).
   */
  private readonly f64: Float64Array;
  private readonly dayOf: number;
  private lastMs = -Infinity;
  /** Points learned so far in the current (day, slice); points arrive in time order so one counter does. */
  private runCount = 0;
  private runKey = -1;

  constructor(
    readonly bins = 24,
    readonly days = 3,
    readonly periodMs = DAY_MS,
    arena: StateArena = StateArena.of((l) => DayProfile.reserve(l, bins, days)),
  ) {
    this.f32 = arena.f32s;
    this.f64 = arena.f64s;
    this.means = arena.f32(bins * days);
    this.dayOf = arena.f64(days);
    this.f32.fill(Number.NaN, this.means, this.means + bins * days);
    this.f64.fill(-1, this.dayOf, this.dayOf + days);
  }

  /** Records on `layout` the arena space the constructor takes with these arguments (same order). */
  static reserve(layout: StateLayout, bins = 24, days = 3): StateLayout {
    return layout.f32(bins * days).f64(days);
  }

  /** Bytes of typed-array state (for memory reports). */
  get bytes(): number {
    return this.bins * this.days * Float32Array.BYTES_PER_ELEMENT + this.days * Float64Array.BYTES_PER_ELEMENT;
  }

  /** x minus the nearest earlier day's mean for the slice of the day holding `timeMs`; NaN when none. */
  difference(x: number, timeMs: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(timeMs)) return Number.NaN;
    const day = Math.floor(timeMs / this.periodMs);
    const bin = this.binOf(timeMs, day);
    let best = Number.NaN;
    for (let s = 0; s < this.days; s++) {
      const d = this.f64[this.dayOf + s]!;
      if (d < day - this.days || d >= day) continue;
      const m = this.f32[this.means + s * this.bins + bin]!;
      if (Number.isNaN(m)) continue;
      const diff = x - m;
      if (!(Math.abs(diff) >= Math.abs(best))) best = diff;
    }
    return best;
  }

  /** Add x at `timeMs` to today's mean for its slice (ignored when older than the newest point seen). */
  learn(x: number, timeMs: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(timeMs) || timeMs < this.lastMs) return;
    this.lastMs = timeMs;
    const day = Math.floor(timeMs / this.periodMs);
    const slot = ((day % this.days) + this.days) % this.days;
    if (this.f64[this.dayOf + slot] !== day) {
      this.f64[this.dayOf + slot] = day;
      this.f32.fill(Number.NaN, this.means + slot * this.bins, this.means + (slot + 1) * this.bins);
      this.runKey = -1;
    }
    const bin = this.binOf(timeMs, day);
    const key = this.means + slot * this.bins + bin;
    if (key !== this.runKey) {
      this.runKey = key;
      this.runCount = 0;
    }
    this.runCount++;
    const m = this.f32[key]!;
    this.f32[key] = this.runCount === 1 ? x : m + (x - m) / this.runCount;
  }

  private binOf(timeMs: number, day: number): number {
    const b = Math.floor(((timeMs - day * this.periodMs) / this.periodMs) * this.bins);
    return Math.min(this.bins - 1, Math.max(0, b));
  }
}
