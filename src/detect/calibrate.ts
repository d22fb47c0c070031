/**
 * Calibration of raw anomaly scores into a 0..1 anomaly probability, per series and online.
 *
 * Method (the "anomaly likelihood" of Numenta HTM, Ahmad et al. 2017): a raw score (any scale:
 * forecast error, robust z, ...) is smoothed over the last `shortPoints` rows; the distribution of that
 * smoothed score over the last `historyPoints` rows is summarised by its mean and standard deviation; the
 * probability that the current smoothed score is unusually high is the Gaussian upper tail
 * Q((short − mean) / std). The output is the log-scaled likelihood
 *   p = log(1 − Q) / log(ε)   (ε = 1e-10)
 * so p = 0.5 when Q = 1e-5 and p = 1 when Q ≤ 1e-10. The statistics are updated after the current
 * row is scored (causal: row i's probability depends on rows ≤ i only).
 */
import { KernelView, StateArena, type StateLayout, type StateSlot } from './state-arena.js';

export interface CalibratorOptions {
  /** Rows over which the raw score is averaged before it is compared (default 8). */
  readonly shortPoints?: number;
  /** Rows of smoothed history forming the reference distribution (default 4000). */
  readonly historyPoints?: number;
  /** Rows seen before any probability other than 0 is given (default 150). */
  readonly learningPoints?: number;
  /** Floor of the reference standard deviation, relative to |mean| + this absolute floor (default 1e-3). */
  readonly minStd?: number;
}

const LOG_EPS = Math.log(1e-10);

/** Gaussian upper tail Q(z) = P(Z > z), Abramowitz–Stegun 7.1.26 erfc approximation (|error| < 1.5e-7). */
export function gaussianTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = y * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Log-scaled likelihood in 0..1 from a tail probability q (0 → 1, ≥ 1 → 0). */
export function logLikelihood(q: number): number {
  const v = Math.log(Math.max(1e-10, Math.min(1, q + 1e-12))) / LOG_EPS;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export interface CalibratorState {
  readonly short: Float64Array;
  readonly hist: Float64Array;
  shortPos: number;
  shortCount: number;
  shortSum: number;
  histPos: number;
  histCount: number;
  histSum: number;
  histSumSq: number;
  seen: number;
}

export class Calibrator {
  readonly shortPoints: number;
  readonly historyPoints: number;
  readonly learningPoints: number;
  readonly minStd: number;
  private readonly short: Float64Array;
  private readonly hist: Float64Array;
  private shortPos = 0;
  private shortCount = 0;
  private shortSum = 0;
  private histPos = 0;
  private histCount = 0;
  private histSum = 0;
  private histSumSq = 0;
  private seen = 0;
  /** Resummed exactly every this many rows so floating-point drift of the running sums stays bounded. */
  private sinceResum = 0;

  constructor(options: CalibratorOptions = {}) {
    this.shortPoints = options.shortPoints ?? 8;
    this.historyPoints = options.historyPoints ?? 4000;
    this.learningPoints = options.learningPoints ?? 150;
    this.minStd = options.minStd ?? 1e-3;
    this.short = new Float64Array(this.shortPoints);
    this.hist = new Float64Array(this.historyPoints);
  }

  /** Calibrated probability (0..1) of the newest raw score; then the raw score joins the history. */
  update(raw: number): number {
    const r = Number.isFinite(raw) ? Math.max(-1e9, Math.min(1e9, raw)) : 0;
    // Short-term average including the current row.
    if (this.shortCount === this.shortPoints) this.shortSum -= this.short[this.shortPos]!;
    else this.shortCount++;
    this.short[this.shortPos] = r;
    this.shortSum += r;
    this.shortPos = (this.shortPos + 1) % this.shortPoints;
    const avg = this.shortSum / this.shortCount;

    let p = 0;
    if (this.seen >= this.learningPoints && this.histCount > 1) {
      const mean = this.histSum / this.histCount;
      const variance = Math.max(0, this.histSumSq / this.histCount - mean * mean);
      const std = Math.max(Math.sqrt(variance), this.minStd * (Math.abs(mean) + 1));
      p = logLikelihood(gaussianTail((avg - mean) / std));
      if (!(p >= 0)) p = 0;
    }
    this.push(avg);
    this.seen++;
    return p;
  }

  private push(v: number): void {
    if (this.histCount === this.historyPoints) {
      const old = this.hist[this.histPos]!;
      this.histSum -= old;
      this.histSumSq -= old * old;
    } else this.histCount++;
    this.hist[this.histPos] = v;
    this.histSum += v;
    this.histSumSq += v * v;
    this.histPos = (this.histPos + 1) % this.historyPoints;
    if (++this.sinceResum >= 10_000) {
      this.sinceResum = 0;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < this.histCount; i++) {
        const x = this.hist[i]!;
        s += x;
        s2 += x * x;
      }
      this.histSum = s;
      this.histSumSq = s2;
    }
  }
}

/** Default ExcessCalibratorOptions.historyPoints. */
const EXCESS_HISTORY_POINTS = 30;

export interface ExcessCalibratorOptions {
  /** Rows of raw-score history the newest raw score must exceed (default 30). */
  readonly historyPoints?: number;
  /** Raw scores seen before any probability other than 0 (default 10). */
  readonly minHistory?: number;
  /** Raw-score units (series standard deviations) per e-fold of 1 − p (default 1). */
  readonly tau?: number;
}

/**
 * The calibration the default detector uses: the probability that a point is anomalous grows with how far
 * its raw score exceeds the largest raw score of the last `historyPoints` rows,
 *   p = 1 − exp(−max(0, raw − max(recent raws)) / tau).
 * Rationale: under a stationary raw-score distribution a new maximum over the last K rows happens with
 * probability 1/(K+1), and exceeding it by δ standard deviations is rarer still; a score that merely
 * stays high (the rows after a change, a noisy stretch) stops firing because it no longer exceeds its own
 * recent past — NAB credits only the first detection in a window and charges every repeated false row.
 * Causal: the newest raw score joins the history after it is scored.
 */
export class ExcessCalibratorKernel {
  /** f64: the ring of the last `length` raw scores at [ring, ring + length), then its position and fill. */
  private readonly ring: number;
  private readonly s: number;
  readonly length: number;
  private readonly minHistory: number;
  private readonly tau: number;

  constructor(layout: StateLayout, options: ExcessCalibratorOptions = {}) {
    this.length = options.historyPoints ?? EXCESS_HISTORY_POINTS;
    this.ring = layout.at64(this.length);
    this.s = layout.at64(2);
    this.minHistory = options.minHistory ?? 10;
    this.tau = options.tau ?? 1;
  }

  /** Bytes of state a slot holds for this calibrator. */
  get bytes(): number {
    return (this.length + 2) * Float64Array.BYTES_PER_ELEMENT;
  }

  /** An empty history in `slot`. */
  init(slot: StateSlot): void {
    slot.f64[slot.b64 + this.s] = 0;
    slot.f64[slot.b64 + this.s + 1] = 0;
  }

  update(slot: StateSlot, raw: number): number {
    const f = slot.f64;
    const ring = slot.b64 + this.ring;
    const s = slot.b64 + this.s;
    const count = f[s + 1]!;
    const r = Number.isFinite(raw) && raw > 0 ? Math.min(raw, 1e12) : 0;
    let p = 0;
    if (count >= this.minHistory) {
      let mx = 0;
      for (let j = ring; j < ring + count; j++) if (f[j]! > mx) mx = f[j]!;
      const ex = r - mx;
      p = ex > 0 ? 1 - Math.exp(-ex / this.tau) : 0;
    }
    const pos = f[s]!;
    f[ring + pos] = r;
    f[s] = (pos + 1) % this.length;
    if (count < this.length) f[s + 1] = count + 1;
    return p;
  }
}

/** One calibrator on its own (tests, tools): a kernel over a slot of its own or of `arena`. */
export class ExcessCalibrator extends KernelView<ExcessCalibratorKernel> {
  constructor(options: ExcessCalibratorOptions = {}, arena?: StateArena) {
    super((layout) => new ExcessCalibratorKernel(layout, options), arena);
  }

  /** Records on `layout` the arena space the constructor takes with these options. */
  static reserve(layout: StateLayout, options: ExcessCalibratorOptions = {}): StateLayout {
    new ExcessCalibratorKernel(layout, options);
    return layout;
  }

  /** Bytes of the raw-score ring and its position. */
  get bytes(): number {
    return this.kernel.bytes;
  }

  update(raw: number): number {
    return this.kernel.update(this, raw);
  }
}
