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
 * value's distance is under-stated by at most one float32 step, ~6e-8 relative): it halves the state
 * so the per-series state has room for the day profile (day-profile.ts).
 * State: 8·capacity + 8·delayPoints + 40 bytes.
 */
import { StateArena, type StateLayout } from './state-arena.js';

/**
 * With delayPoints > 0, values are still learned at once until this many are known: a young series has
 * too few values to spare any (learned 4 late from the first point, points 10–19 of a noisy series fired
 * ~8× as often as learned at once; 16 and 32 both restore that and leave NAB and the latency replay
 * unchanged).
 */
export const DELAY_AFTER_POINTS = 32;

export class IntervalNovelty {
  /** The arena's float32 array: interval lower bounds at [lo, lo + capacity], upper bounds at [hi, …]. */
  private readonly f32: Float32Array;
  private readonly lo: number;
  private readonly hi: number;
  /** The arena's float64 array: the pending ring at [pending, pending + delayPoints). */
  private readonly f64: Float64Array;
  private readonly pending: number;
  private size = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;

  /** Of the last `delayPoints` values, scored but not learned yet (a ring; oldest at pendingPos when full). */
  private pendingCount = 0;
  private pendingPos = 0;

  /**
   * `delayPoints`: a value joins the summary and the running mean/sd this many updates after it was
   * scored (0 = at once), once DELAY_AFTER_POINTS values are known. Why (ensemble-7): a drift or a ramp is then measured against where the series
   * was before it began, in the spread it had then; learned at once, each step is only one step away from
   * the previous value, in a standard deviation the ramp itself has already inflated (a traffic drop that
   * took twelve 5 s points to show in a [1m] rate scored lower at every point and was missed).
   */
  constructor(
    readonly capacity = 16,
    readonly delayPoints = 0,
    arena: StateArena = StateArena.of((l) => IntervalNovelty.reserve(l, capacity, delayPoints)),
  ) {
    this.f32 = arena.f32s;
    this.f64 = arena.f64s;
    this.lo = arena.f32(capacity + 1);
    this.hi = arena.f32(capacity + 1);
    this.pending = arena.f64(delayPoints);
  }

  /** Records on `layout` the arena space the constructor takes with these arguments (same order). */
  static reserve(layout: StateLayout, capacity = 16, delayPoints = 0): StateLayout {
    return layout.f32(capacity + 1).f32(capacity + 1).f64(delayPoints);
  }

  /** Values seen so far. */
  get count(): number {
    return this.n;
  }

  /** Population variance of the values seen so far (0 before two). */
  get variance(): number {
    return this.n > 1 ? this.m2 / this.n : 0;
  }

  /** Mean of the values seen so far (0 before one). */
  get average(): number {
    return this.mean;
  }

  /** Bytes of typed-array state (for memory reports). */
  get bytes(): number {
    return 2 * (this.capacity + 1) * Float32Array.BYTES_PER_ELEMENT + this.delayPoints * Float64Array.BYTES_PER_ELEMENT + 4 * 8;
  }

  /**
   * Novelty of `x` against every earlier value (0 before two values were seen), then `x` joins the
   * history. Non-finite values score 0 and are not learned. `floor`: the scale is at least this (the
   * caller's level-relative floor, ensemble.ts LEVEL_FLOOR; 0 = the running sd alone).
   */
  update(x: number, floor = 0): number {
    if (!Number.isFinite(x)) return 0;
    const k = this.intervalsAtOrBelow(x);
    const dist = this.distance(x, k);
    let score = 0;
    if (this.n > 1 && dist !== Infinity) {
      // the sd's upper one-standard-error bound, sd · (1 + 1/√(2n)) (ensemble-8): from a few dozen values the
      // spread is uncertain, and a young noisy series' ordinary 3-σ value looked like a new record
      const sd = Math.max(Math.sqrt(this.m2 / this.n) * (1 + 1 / Math.sqrt(2 * this.n)), floor) + 1e-9 + 1e-6 * Math.abs(this.mean);
      score = dist / sd;
    }
    const delay = this.delayPoints;
    if (delay === 0 || (this.n < DELAY_AFTER_POINTS && this.pendingCount === 0)) this.learn(x, k, dist);
    else if (this.pendingCount < delay) this.f64[this.pending + this.pendingCount++] = x;
    else {
      const oldest = this.f64[this.pending + this.pendingPos]!;
      this.f64[this.pending + this.pendingPos] = x;
      this.pendingPos = (this.pendingPos + 1) % delay;
      const ko = this.intervalsAtOrBelow(oldest);
      this.learn(oldest, ko, this.distance(oldest, ko));
    }
    return score;
  }

  /** Number of intervals starting at or below x. */
  private intervalsAtOrBelow(x: number): number {
    const f = this.f32;
    const lo = this.lo;
    let k = 0;
    let hiIdx = this.size;
    while (k < hiIdx) {
      const mid = (k + hiIdx) >> 1;
      if (f[lo + mid]! <= x) k = mid + 1;
      else hiIdx = mid;
    }
    return k;
  }

  /** Distance from x to the nearest covered interval (k = intervalsAtOrBelow(x)); Infinity when none. */
  private distance(x: number, k: number): number {
    let dist = Infinity;
    if (k > 0) dist = Math.max(0, x - this.f32[this.hi + k - 1]!);
    if (k < this.size) dist = Math.min(dist, this.f32[this.lo + k]! - x);
    return dist;
  }

  /** x joins the summary and the running mean and variance. */
  private learn(x: number, k: number, dist: number): void {
    if (dist > 0) this.insert(k, x);
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  private insert(k: number, x: number): void {
    const f = this.f32;
    const lo = this.lo;
    const hi = this.hi;
    f.copyWithin(lo + k + 1, lo + k, lo + this.size);
    f.copyWithin(hi + k + 1, hi + k, hi + this.size);
    f[lo + k] = float32AtMost(x);
    f[hi + k] = float32AtLeast(x);
    this.size++;
    if (this.size <= this.capacity) return;
    let g = 0;
    let best = Infinity;
    for (let j = 0; j + 1 < this.size; j++) {
      const gap = f[lo + j + 1]! - f[hi + j]!;
      if (gap < best) {
        best = gap;
        g = j;
      }
    }
    f[hi + g] = f[hi + g + 1]!;
    f.copyWithin(lo + g + 1, lo + g + 2, lo + this.size);
    f.copyWithin(hi + g + 1, hi + g + 2, hi + this.size);
    this.size--;
  }
}

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

/** Running mean and population variance (Welford), 24 bytes. */
export class RunningVariance {
  private n = 0;
  private mean = 0;
  private m2 = 0;

  get count(): number {
    return this.n;
  }

  /** Population variance of the values added so far (0 before two). */
  get variance(): number {
    return this.n > 1 ? this.m2 / this.n : 0;
  }

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
}
