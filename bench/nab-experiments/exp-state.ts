/**
 * The model component's terms re-implemented in plain objects for experiments (exp32-context.ts), each knob
 * changing one thing: with no knob ExpState scores exactly as ensemble-9's SeriesState, with
 * gate=0,pad=BAND_PAD as ensemble-10's (CHECK=1 in exp32 asserts both).
 */
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { DAY_MS } from '../../src/detect/day-profile.js';
import { FLOOR_POINTS, LEVEL_FLOOR, STARTUP_MAX_POINTS } from '../../src/detect/ensemble.js';
import { IntervalNovelty } from '../../src/detect/novelty.js';

export type Knobs = Record<string, number>;
const BINS = 24;
const DAYS = 3;

/** Per (day, slice): mean, count, min, max — a ring of DAYS + 1 days, as DayProfileKernel. */
export class RangeProfile {
  readonly dayOf = new Float64Array(DAYS + 1).fill(-1);
  readonly mean = new Float32Array((DAYS + 1) * BINS).fill(Number.NaN);
  readonly count = new Float64Array((DAYS + 1) * BINS);
  readonly lo = new Float64Array((DAYS + 1) * BINS);
  readonly hi = new Float64Array((DAYS + 1) * BINS);
  last = -Infinity;

  private bin(t: number, day: number): number {
    return Math.min(BINS - 1, Math.max(0, Math.floor(((t - day * DAY_MS) / DAY_MS) * BINS)));
  }

  /** Visits the cells k (on ring slot s) of t's slice, or a neighbour up to d slices away, on the last `days` earlier days that have values. */
  private earlier(t: number, d: number, visit: (k: number, s: number) => void, days = DAYS): void {
    const day = Math.floor(t / DAY_MS);
    const b = this.bin(t, day);
    for (let s = 0; s <= DAYS; s++) {
      const dd = this.dayOf[s]!;
      if (dd < day - days || dd >= day) continue;
      for (let o = -d; o <= d; o++) {
        const bb = b + o;
        if (bb < 0 || bb >= BINS) continue;
        const k = s * BINS + bb;
        if (this.count[k]! > 0) visit(k, s);
      }
    }
  }

  difference(x: number, t: number, mid = false): number {
    let best = Number.NaN;
    this.earlier(t, 0, (k) => {
      const diff = x - (mid ? (this.lo[k]! + this.hi[k]!) / 2 : this.mean[k]!);
      if (!(Math.abs(diff) >= Math.abs(best))) best = diff;
    });
    return best;
  }

  /** Signed distance from x to the nearest earlier day's [lo − pad, hi + pad] of its slice (0 inside); NaN when none. */
  rangeDistance(x: number, t: number, pad: number, nb: number): number {
    let best = Number.NaN;
    this.earlier(t, nb, (k) => {
      const p = pad * (this.hi[k]! - this.lo[k]!) / 2;
      const diff = x < this.lo[k]! - p ? x - (this.lo[k]! - p) : x > this.hi[k]! + p ? x - (this.hi[k]! + p) : 0;
      if (!(Math.abs(diff) >= Math.abs(best))) best = diff;
    });
    return best;
  }

  /** Earlier days (of the last `days`) whose [lo − m, hi + m] of t's slice (± nb slices) holds x; m = pad × half the band + abs. */
  daysHolding(x: number, t: number, pad: number, nb: number, days = DAYS, abs = 0): number {
    const holding = new Set<number>();
    this.earlier(t, nb, (k, s) => {
      const m = (pad * (this.hi[k]! - this.lo[k]!)) / 2 + abs;
      if (x >= this.lo[k]! - m && x <= this.hi[k]! + m) holding.add(s);
    }, days);
    return holding.size;
  }

  /** Whether x lies within the hull of the earlier days' bands of t's slice, widened by pad × half its width. */
  withinHull(x: number, t: number, pad: number): boolean {
    let lo = Infinity, hi = -Infinity;
    this.earlier(t, 0, (k) => { lo = Math.min(lo, this.lo[k]!); hi = Math.max(hi, this.hi[k]!); });
    if (lo > hi) return false;
    const m = (pad * (hi - lo)) / 2;
    return x >= lo - m && x <= hi + m;
  }

  learn(x: number, t: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(t) || t < this.last) return;
    this.last = t;
    const day = Math.floor(t / DAY_MS);
    const s = ((day % (DAYS + 1)) + DAYS + 1) % (DAYS + 1);
    if (this.dayOf[s] !== day) {
      this.dayOf[s] = day;
      this.mean.fill(Number.NaN, s * BINS, (s + 1) * BINS);
      this.count.fill(0, s * BINS, (s + 1) * BINS);
    }
    const k = s * BINS + this.bin(t, day);
    const c = this.count[k]! + 1;
    this.count[k] = c;
    this.mean[k] = c === 1 ? x : this.mean[k]! + (x - this.mean[k]!) / c;
    this.lo[k] = c === 1 ? x : Math.min(this.lo[k]!, x);
    this.hi[k] = c === 1 ? x : Math.max(this.hi[k]!, x);
  }
}

export class ExpState {
  private readonly values = new IntervalNovelty(16, 4);
  private readonly residuals = new IntervalNovelty(16, 4);
  private readonly seas = new IntervalNovelty(8, 0);
  private readonly profile = new RangeProfile();
  private readonly cal: ExcessCalibrator;
  private pn = 0; private pm = 0; private pm2 = 0;
  private lo = Infinity; private hi = -Infinity;
  private settling = true;
  private fed = 0;

  constructor(private readonly k: Knobs) {
    this.cal = new ExcessCalibrator({ historyPoints: k.hist ?? 15 });
  }

  update(residual: number, x: number, t: number): number {
    this.fed++;
    return this.cal.update(this.raw(residual, x, t));
  }

  /** x lies within its slice's band on earlier days, as the knobs define it (gate, pad, padsd, nb, votes, gdays, hull). */
  private inContext(x: number, t: number): boolean {
    const k = this.k;
    if (k.hull) return this.profile.withinHull(x, t, k.pad ?? 0);
    const abs = (k.padsd ?? 0) * Math.sqrt(this.values.variance);
    return this.profile.daysHolding(x, t, k.pad ?? 0, k.nb ?? 0, k.gdays ?? DAYS, abs) >= (k.votes ?? 1);
  }

  private raw(residual: number, x: number, t: number): number {
    const k = this.k;
    if (this.settling && Number.isFinite(x)) {
      const record = x > this.hi || x < this.lo;
      this.lo = Math.min(this.lo, x);
      this.hi = Math.max(this.hi, x);
      if (record && this.fed <= STARTUP_MAX_POINTS) return 0;
      this.settling = false;
    }
    const vals = this.values;
    const floor = LEVEL_FLOOR * Math.abs(vals.average) * Math.sqrt(FLOOR_POINTS / (vals.count + FLOOR_POINTS));
    const g = k.gate !== undefined && Number.isFinite(x) && this.inContext(x, t) ? k.gate : 1;
    let v = (k.gv === 0 ? 1 : g) * vals.update(x, floor, t);
    const vx = this.pn > 1 ? this.pm2 / this.pn : 0;
    const strength = vx > 0 && this.seas.count > 1 ? Math.min(1, Math.max(0, 1 - this.seas.variance / vx)) : 0;
    const diff = k.srange ? this.profile.rangeDistance(x, t, k.pad ?? 0, k.nb ?? 0) : this.profile.difference(x, t, k.mid === 1);
    this.profile.learn(x, t);
    if (!Number.isNaN(diff) && Number.isFinite(x)) {
      this.pn++;
      const d = x - this.pm;
      this.pm += d / this.pn;
      this.pm2 += d * (x - this.pm);
    }
    v += (k.sw ?? 0.5) * strength * this.seas.update(diff, 0, t);
    return Number.isNaN(residual) ? v : v + (k.gr === 0 ? 1 : g) * (1 - strength) * this.residuals.update(residual, floor, t);
  }
}

