/**
 * Streaming "has this series ever been here before?" novelty, with compact fixed-size state.
 *
 * The set of values a series has taken is summarised by at most `capacity` covered intervals (sorted,
 * disjoint). A new value's novelty is its distance to the nearest covered interval (0 inside one), in
 * units of the standard deviation of all earlier values (running, Welford; its upper one-standard-error
 * bound, sd · (1 + 1/√(2n)), since ensemble-8). The value then joins the
 * summary; when there are more than `capacity` intervals the two separated by the smallest gap are
 * merged (the gap counts as seen from then on, so the summary only ever under-states novelty, and only
 * for values falling in the smallest gaps). With a large capacity this is exactly the nearest-neighbour
 * distance of the value to the whole history; capacity 16 scores the NAB subset within 0.2 points of
 * the exact form (bench/nab-experiments/exp5.ts).
 *
 * It is the value-level analogue of a contextual detector's "share of unseen contexts": repeats of
 * earlier behaviour score 0 whatever their size, new levels score by how far they are from anything seen.
 * Interval bounds are kept as float32 rounded outwards (a repeat of a seen value still scores 0; a new
 * value's distance is under-stated by at most one float32 step, up to 2⁻²³ ≈ 1.2e-7 relative): it
 * halves the state so the per-series state has room for the day profile (day-profile.ts).
 * With a horizon (opt-in, `detect.ensemble.noveltyHorizonMs`), "before" means "within the horizon": each
 * interval also keeps when it was last visited, and intervals not visited within the horizon no longer
 * count (models/MODEL_CARD.md, "Forgetting"). Without one a series never forgets: the second and third
 * outage of the same depth score as repeats.
 * State: 8·capacity + 8·delayPoints + 56 bytes (+ 4·capacity + 4 with a horizon), all in a slot of typed
 * arrays (state-arena.ts): the code (IntervalNoveltyKernel) is shared by every series, so a series pays no
 * object for it.
 */
import { KernelView, StateArena, type StateLayout, type StateSlot } from './state-arena.js';

/**
 * With delayPoints > 0, values are still learned at once until this many are known: a young series has
 * too few values to spare any (learned 4 late from the first point, points 10–19 of a noisy series fired
 * ~8× as often as learned at once; 16 and 32 both restore that and leave NAB and the latency replay
 * unchanged).
 */
export const DELAY_AFTER_POINTS = 32;

/** Running count, mean and sum of squared deviations (Welford), kept as three float64 elements. */
export const MOMENTS = 3;

/** Adds x to the moments at f[at] (count), f[at + 1] (mean), f[at + 2] (sum of squared deviations). */
export function addMoment(f: Float64Array, at: number, x: number): void {
  const n = f[at]! + 1;
  const d = x - f[at + 1]!;
  const mean = f[at + 1]! + d / n;
  f[at] = n;
  f[at + 1] = mean;
  f[at + 2] = f[at + 2]! + d * (x - mean);
}

/** Population variance of the moments at f[at] (0 before two values). */
export function momentVariance(f: Float64Array, at: number): number {
  const n = f[at]!;
  return n > 1 ? f[at + 2]! / n : 0;
}

// float64 scalars of one summary, after its moments: interval count, then the pending ring's fill and position
const SIZE = MOMENTS;
const PENDING_COUNT = MOMENTS + 1;
const PENDING_POS = MOMENTS + 2;
const SCALARS = MOMENTS + 3;

/** Number of the `size` intervals (lower bounds at f[lo…]) starting at or below x. */
function intervalsAtOrBelow(f: Float32Array, lo: number, size: number, x: number): number {
  let k = 0;
  let end = size;
  while (k < end) {
    const mid = (k + end) >> 1;
    if (f[lo + mid]! <= x) k = mid + 1;
    else end = mid;
  }
  return k;
}

/** Index g of the smallest gap between intervals g and g + 1 of `size` (≥ 2); the first on ties. */
function smallestGap(f: Float32Array, lo: number, hi: number, size: number): number {
  let g = 0;
  let best = Infinity;
  for (let j = 0; j + 1 < size; j++) {
    const gap = f[lo + j + 1]! - f[hi + j]!;
    if (gap < best) {
      best = gap;
      g = j;
    }
  }
  return g;
}

/** Distance from x to the nearest of the `size` intervals (k = intervalsAtOrBelow(x)); Infinity when none. */
function distance(f: Float32Array, lo: number, hi: number, size: number, x: number, k: number): number {
  let dist = Infinity;
  if (k > 0) dist = Math.max(0, x - f[hi + k - 1]!);
  if (k < size) dist = Math.min(dist, f[lo + k]! - x);
  return dist;
}

/**
 * The code of one interval summary over any series' slot: offsets of its regions within a slot of the
 * layout it was reserved on, and its settings. Holds no per-series data.
 */
export class IntervalNoveltyKernel {
  /** f32: interval lower bounds at [lo, lo + capacity], upper bounds at [hi, …]. */
  private readonly lo: number;
  private readonly hi: number;
  /**
   * f32: when each interval was last visited, hours since the epoch (float32: 2-minute steps today, fine
   * for a horizon of hours or more); −1 without a horizon (not reserved).
   */
  private readonly seen: number;
  private readonly horizonHours: number;
  /** f64: the moments and scalars at [s, s + SCALARS), the pending ring at [pending, pending + delayPoints). */
  private readonly s: number;
  private readonly pending: number;

  /**
   * `delayPoints`: a value joins the summary and the running mean/sd this many updates after it was
   * scored (0 = at once), once DELAY_AFTER_POINTS values are known. Why (ensemble-7): a drift or a ramp is then measured against where the series
   * was before it began, in the spread it had then; learned at once, each step is only one step away from
   * the previous value, in a standard deviation the ramp itself has already inflated (a traffic drop that
   * took twelve 5 s points to show in a [1m] rate scored lower at every point and was missed).
   * `horizonMs` > 0: an interval not visited within this long before a point no longer counts for it (and
   * is the first dropped when the summary is full); 0 = never forget.
   */
  constructor(
    layout: StateLayout,
    readonly capacity = 16,
    readonly delayPoints = 0,
    readonly horizonMs = 0,
  ) {
    this.lo = layout.at32(capacity + 1);
    this.hi = layout.at32(capacity + 1);
    this.seen = horizonMs > 0 ? layout.at32(capacity + 1) : -1;
    this.horizonHours = horizonMs / HOUR_MS;
    this.s = layout.at64(SCALARS);
    this.pending = layout.at64(delayPoints);
  }

  /** Bytes of state a slot holds for this summary. */
  get bytes(): number {
    const f32Arrays = this.seen >= 0 ? 3 : 2;
    return f32Arrays * (this.capacity + 1) * Float32Array.BYTES_PER_ELEMENT + (SCALARS + this.delayPoints) * Float64Array.BYTES_PER_ELEMENT;
  }

  /** An empty summary in `slot`. */
  init(slot: StateSlot): void {
    slot.f64.fill(0, slot.b64 + this.s, slot.b64 + this.s + SCALARS);
  }

  /** Values seen so far. */
  count(slot: StateSlot): number {
    return slot.f64[slot.b64 + this.s]!;
  }

  /** Population variance of the values seen so far (0 before two). */
  variance(slot: StateSlot): number {
    return momentVariance(slot.f64, slot.b64 + this.s);
  }

  /** Mean of the values seen so far (0 before one). */
  average(slot: StateSlot): number {
    return slot.f64[slot.b64 + this.s + 1]!;
  }

  /**
   * Novelty of `x` against every earlier value (0 before two values were seen), then `x` joins the
   * history. Non-finite values score 0 and are not learned. `floor`: the scale is at least this (the
   * caller's level-relative floor, series-state.ts LEVEL_FLOOR; 0 = the running sd alone). `timeMs`: when
   * x was taken, for the horizon (without one, or without a time, nothing is forgotten; a value learned
   * without a time is never forgotten).
   */
  update(slot: StateSlot, x: number, floor = 0, timeMs = Number.NaN): number {
    if (!Number.isFinite(x)) return 0;
    const f64 = slot.f64;
    const f32 = slot.f32;
    const s = slot.b64 + this.s;
    const lo = slot.b32 + this.lo;
    const hi = slot.b32 + this.hi;
    const timed = this.seen >= 0 && Number.isFinite(timeMs);
    const now = timed ? timeMs / HOUR_MS : Infinity;
    const k = intervalsAtOrBelow(f32, lo, f64[s + SIZE]!, x);
    const dist = timed ? this.recentDistance(slot, x, k, now - this.horizonHours) : distance(f32, lo, hi, f64[s + SIZE]!, x, k);
    const n = f64[s]!;
    let score = 0;
    if (n > 1 && dist !== Infinity) {
      // the sd's upper one-standard-error bound, sd · (1 + 1/√(2n)) (ensemble-8): from a few dozen values the
      // spread is uncertain, and a young noisy series' ordinary 3-σ value looked like a new record
      const sd = Math.max(Math.sqrt(f64[s + 2]! / n) * (1 + 1 / Math.sqrt(2 * n)), floor) + 1e-9 + 1e-6 * Math.abs(f64[s + 1]!);
      score = dist / sd;
    }
    const delay = this.delayPoints;
    const pendingCount = f64[s + PENDING_COUNT]!;
    if (delay === 0 || (n < DELAY_AFTER_POINTS && pendingCount === 0)) this.learn(slot, x, now);
    else if (pendingCount < delay) {
      f64[slot.b64 + this.pending + pendingCount] = x;
      f64[s + PENDING_COUNT] = pendingCount + 1;
    } else {
      const pos = f64[s + PENDING_POS]!;
      const at = slot.b64 + this.pending + pos;
      const oldest = f64[at]!;
      f64[at] = x;
      f64[s + PENDING_POS] = pos + 1 === delay ? 0 : pos + 1;
      this.learn(slot, oldest, now); // a delayed value counts as visited when it is learned
    }
    return score;
  }

  /** Distance from x (k = intervalsAtOrBelow(x)) to the nearest interval visited at or after `since` (hours); Infinity when none. */
  private recentDistance(slot: StateSlot, x: number, k: number, since: number): number {
    const f = slot.f32;
    const lo = slot.b32 + this.lo;
    const hi = slot.b32 + this.hi;
    const seen = slot.b32 + this.seen;
    const size = slot.f64[slot.b64 + this.s + SIZE]!;
    let dist = Infinity;
    for (let j = k - 1; j >= 0; j--) {
      if (f[seen + j]! < since) continue;
      dist = Math.max(0, x - f[hi + j]!);
      break;
    }
    for (let j = k; j < size; j++) {
      if (f[seen + j]! < since) continue;
      dist = Math.min(dist, f[lo + j]! - x);
      break;
    }
    return dist;
  }

  /**
   * x joins the summary and the running mean and variance, as visited at `now` (hours; Infinity = never
   * forgotten). With a horizon, x inside an interval renews it, or, when that interval was not visited
   * within the horizon, replaces it by [x, x] (the rest of it is forgotten).
   */
  private learn(slot: StateSlot, x: number, now: number): void {
    addMoment(slot.f64, slot.b64 + this.s, x);
    const f = slot.f32;
    const k = intervalsAtOrBelow(f, slot.b32 + this.lo, slot.f64[slot.b64 + this.s + SIZE]!, x);
    if (k > 0 && x <= f[slot.b32 + this.hi + k - 1]!) {
      if (this.seen < 0) return;
      const at = slot.b32 + this.seen + k - 1;
      if (f[at]! < now - this.horizonHours && Number.isFinite(now)) {
        f[slot.b32 + this.lo + k - 1] = float32AtMost(x);
        f[slot.b32 + this.hi + k - 1] = float32AtLeast(x);
      }
      f[at] = Math.max(f[at]!, now); // never back: an untimed visit (Infinity) stays, an older point does not age it
      return;
    }
    this.insert(slot, k, x, now);
  }

  /**
   * A new interval [x, x] before interval k. Past capacity, the least recently visited interval goes when
   * it is out of the horizon; otherwise the two intervals separated by the smallest gap are merged.
   */
  private insert(slot: StateSlot, k: number, x: number, now: number): void {
    const f = slot.f32;
    const lo = slot.b32 + this.lo;
    const hi = slot.b32 + this.hi;
    const seen = this.seen >= 0 ? slot.b32 + this.seen : -1;
    const sizeAt = slot.b64 + this.s + SIZE;
    let size = slot.f64[sizeAt]!;
    f.copyWithin(lo + k + 1, lo + k, lo + size);
    f.copyWithin(hi + k + 1, hi + k, hi + size);
    f[lo + k] = float32AtMost(x);
    f[hi + k] = float32AtLeast(x);
    if (seen >= 0) {
      f.copyWithin(seen + k + 1, seen + k, seen + size);
      f[seen + k] = now;
    }
    size++;
    if (size > this.capacity) {
      const stale = seen >= 0 ? this.stalest(f, seen, size, now) : -1;
      if (stale >= 0) this.removeAt(slot, stale, size);
      else {
        const g = smallestGap(f, lo, hi, size);
        f[hi + g] = f[hi + g + 1]!; // interval g absorbs g + 1
        if (seen >= 0) f[seen + g] = Math.max(f[seen + g]!, f[seen + g + 1]!);
        this.removeAt(slot, g + 1, size);
      }
      size--;
    }
    slot.f64[sizeAt] = size;
  }

  /** Shifts intervals j + 1 … size − 1 (bounds and visit times) down over interval j. */
  private removeAt(slot: StateSlot, j: number, size: number): void {
    const f = slot.f32;
    for (const base of this.seen >= 0 ? [this.lo, this.hi, this.seen] : [this.lo, this.hi]) {
      const at = slot.b32 + base;
      f.copyWithin(at + j, at + j + 1, at + size);
    }
  }

  /** The least recently visited of `size` intervals when it is out of the horizon at `now`, else −1. */
  private stalest(f: Float32Array, seen: number, size: number, now: number): number {
    let j = 0;
    for (let i = 1; i < size; i++) if (f[seen + i]! < f[seen + j]!) j = i;
    return f[seen + j]! < now - this.horizonHours && Number.isFinite(now) ? j : -1;
  }
}

/** One interval summary on its own (tests, tools): a kernel over a slot of its own or of `arena`. */
export class IntervalNovelty extends KernelView<IntervalNoveltyKernel> {
  constructor(capacity = 16, delayPoints = 0, arena?: StateArena, horizonMs = 0) {
    super((layout) => new IntervalNoveltyKernel(layout, capacity, delayPoints, horizonMs), arena);
  }

  /** Records on `layout` the arena space the constructor takes with these arguments. */
  static reserve(layout: StateLayout, capacity = 16, delayPoints = 0, horizonMs = 0): StateLayout {
    new IntervalNoveltyKernel(layout, capacity, delayPoints, horizonMs);
    return layout;
  }

  get capacity(): number {
    return this.kernel.capacity;
  }

  get delayPoints(): number {
    return this.kernel.delayPoints;
  }

  /** Values seen so far. */
  get count(): number {
    return this.kernel.count(this);
  }

  /** Population variance of the values seen so far (0 before two). */
  get variance(): number {
    return this.kernel.variance(this);
  }

  /** Mean of the values seen so far (0 before one). */
  get average(): number {
    return this.kernel.average(this);
  }

  /** Bytes of typed-array state (for memory reports). */
  get bytes(): number {
    return this.kernel.bytes;
  }

  /** IntervalNoveltyKernel.update on this summary's slot. */
  update(x: number, floor = 0, timeMs = Number.NaN): number {
    return this.kernel.update(this, x, floor, timeMs);
  }
}

const HOUR_MS = 3_600_000;
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 ≤ x (finite x within float32 range). */
export function float32AtMost(x: number): number {
  f32[0] = x;
  if (f32[0] <= x) return f32[0];
  // rounded up: step one float32 towards −∞
  i32[0] = i32[0]! + (f32[0] > 0 ? -1 : 1);
  if (f32[0] === 0 && x < 0) return -1.401298464324817e-45;
  return f32[0];
}

/** The smallest float32 ≥ x (finite x within float32 range). */
export function float32AtLeast(x: number): number {
  return -float32AtMost(-x);
}
