/**
 * The per-series online state of the ensemble detector (ensemble.ts): the "model" component's streaming
 * novelty terms, the time-of-day profile and contextual repeats, and each enabled component's calibration,
 * every number in one slot of typed arrays (state-arena.ts) laid out and run by a SeriesStateShape shared
 * by the states of one configuration. The settings that shape it live here too.
 */
import { ExcessCalibratorKernel, type ExcessCalibratorOptions } from './calibrate.js';
import { DAY_MS, DayProfileKernel } from './day-profile.js';
import { COMPONENT_COUNT, COMPONENTS, RAW_STRIDE, RAW_VALUE, type ComponentName } from './features.js';
import { addMoment, IntervalNoveltyKernel, MOMENTS, momentVariance } from './novelty.js';
import { OWN_BUFFERS, StateLayout, takeSlot, type StateArenaSource, type StateSlot } from './state-arena.js';

export interface PointResult {
  score: number;
  component: ComponentName;
}

/** Capacity of the interval summaries of the value and residual novelty (novelty.ts). */
export const NOVELTY_CAPACITY = 16;
/** Capacity of the seasonal-difference novelty's summary (8 and 16 score the NAB subset within 0.15). */
export const SEASON_NOVELTY_CAPACITY = 8;
/** Default weight of the seasonal-difference novelty (flat optimum 0.4–0.6 on the NAB subset). */
export const SEASON_WEIGHT = 0.5;
/** Default calibration history of the ensemble (ExcessCalibrator historyPoints; flat optimum 10–20). */
export const ENSEMBLE_HISTORY_POINTS = 15;
/** Slices of the day in the time-of-day profile (hourly) and earlier days it keeps (day-profile.ts). */
export const DAY_PROFILE_BINS = 24;
export const DAY_PROFILE_DAYS = 3;
/** Default points per day assumed when points come without timestamps (5-minute steps). */
export const SEASON_POINTS = 288;
/**
 * A series' start-up is not representative of its normal range: a rate() over a counter that has just
 * appeared is under-extrapolated and climbs over its first range (4 points at 15 s scrapes of a [1m]
 * rate, 12 at 5 s), a quantile of a histogram with few observations jumps about. Learned, those points
 * would stay in the value summary for good (a later drop to a level the ramp passed through scores 0) and
 * inflate the value and residual standard deviations. So the model component's value and residual
 * summaries do not learn (and score 0) while the series is still setting records: from its first value
 * up to the first value that is neither above every earlier value nor below every one — a ramp or a
 * jump-about start keeps setting records; a settled series stops after ~3 points (under i.i.d. noise
 * point i, counted from 1, is a record with probability 2/i: points 1 and 2 always, 3.2 points on
 * average). At most this many points, so a series that trends from its first point is still learned.
 */
export const STARTUP_MAX_POINTS = 32;
/**
 * Level-relative scale floor of the value and residual novelty, fading with history:
 *   scale = max(sd, LEVEL_FLOOR · |mean| · √(FLOOR_POINTS / (n + FLOOR_POINTS)))
 * (mean, sd, n: the series' values learned so far). Why: a series flattened or quantised by how it is
 * measured — a histogram_quantile interpolating inside one wide bucket, a gauge with coarse steps — has a
 * running sd far below its true variability (~1 % of its level for a p99 near a bucket bound), and its
 * first step into the next bucket (+6 %) scored as a 6-sd new record in both terms (the latency bench's
 * false triggers). With few points the sd estimate itself is unreliable, so a change of a few percent of
 * the level is not taken as many standard deviations until the series has shown, over more history, that
 * it really is that quiet; the floor fades (to half by ~90 points) so long-quiet series keep their
 * sensitivity. Series noisier than 5 % of their level are unaffected. 0.05 / 30 are the settings analysed
 * before ensemble-6 (MODEL_CARD.md), not re-tuned; 0.03–0.05 with 30–100 points trade false triggers
 * against slow-drift misses on the replay, and leave NAB unchanged.
 */
export const LEVEL_FLOOR = 0.05;
/**
 * Values and residuals join their summaries this many points after they were scored (novelty.ts
 * delayPoints; ensemble-7), so a drift is measured against the level and spread before it began.
 */
export const LEARN_DELAY_POINTS = 4;
export const FLOOR_POINTS = 30;
/**
 * Contextual repeats (ensemble-10): a value inside the band its hour of the day spanned on one of the last
 * three days, widened by this × half the band's width on either side (a fifth of its width), is no news —
 * a daily job's spike, the nightly batch's load — so its value and residual novelty count 0 (they are
 * still learned; the seasonal difference still counts). Needs the time-of-day profile (the model component,
 * seasonWeight > 0, seasonPoints > 0); a negative value turns it off. On the NAB subset, 12 forecaster
 * seeds, standard: 0 (the band itself) +1.2, 0.4 +2.0, 0.5 +2.4, from 0.55 it falls away as one more true
 * window is taken for a repeat; 0.4 is the middle of the plateau, not its edge (models/MODEL_CARD.md,
 * ensemble-10).
 */
export const BAND_PAD = 0.4;

/**
 * What the states of one configuration share: where each part's numbers sit in a slot (state-arena.ts)
 * and the code that runs over them (the parts' kernels), for the "model" component three interval
 * summaries (values, model residuals, seasonal differences), a time-of-day profile and one calibration
 * ring, one calibration ring per other enabled component. Disabled components keep no state. Built once
 * per component set by the detector, so a series pays only for its slot and one small object.
 */
export class SeriesStateShape {
  readonly layout = new StateLayout();
  readonly calibrators: ReadonlyArray<ExcessCalibratorKernel | null>;
  readonly values: IntervalNoveltyKernel | null;
  readonly residuals: IntervalNoveltyKernel | null;
  readonly seasonDiffs: IntervalNoveltyKernel | null;
  readonly profile: DayProfileKernel | null;
  /** f64: moments of the values at the rows that have a seasonal difference (the strength's denominator); −1 without the profile. */
  readonly paired: number;
  /** f64: the start-up range, [min, max] of the values so far (STARTUP_MAX_POINTS); −1 without the model component. */
  readonly startRange: number;
  /** Contextual repeats' band widening (BAND_PAD), or negative: no contextual repeats. */
  readonly bandPad: number;

  /**
   * `seasonPoints`: points per day assumed for points fed without a timestamp (the window-only
   * score() path and callers that have no clock); points with a timestamp use it.
   */
  constructor(
    components: readonly ComponentName[],
    options: ExcessCalibratorOptions = {},
    noveltyCapacity = NOVELTY_CAPACITY,
    readonly seasonWeight = SEASON_WEIGHT,
    readonly seasonPoints = SEASON_POINTS,
    learnDelayPoints = LEARN_DELAY_POINTS,
    noveltyHorizonMs = 0,
    bandPad = BAND_PAD,
  ) {
    const cal = { ...options, historyPoints: options.historyPoints ?? ENSEMBLE_HISTORY_POINTS };
    const l = this.layout;
    this.calibrators = COMPONENTS.map((c) => (components.includes(c) ? new ExcessCalibratorKernel(l, cal) : null));
    const model = components.includes('model');
    const seasonal = model && seasonWeight > 0 && seasonPoints > 0;
    this.values = model ? new IntervalNoveltyKernel(l, noveltyCapacity, learnDelayPoints, noveltyHorizonMs) : null;
    this.residuals = model ? new IntervalNoveltyKernel(l, noveltyCapacity, learnDelayPoints, noveltyHorizonMs) : null;
    this.seasonDiffs = seasonal ? new IntervalNoveltyKernel(l, SEASON_NOVELTY_CAPACITY, 0, noveltyHorizonMs) : null;
    this.profile = seasonal ? new DayProfileKernel(l, DAY_PROFILE_BINS, DAY_PROFILE_DAYS, DAY_MS) : null;
    this.paired = seasonal ? l.at64(MOMENTS) : -1;
    this.startRange = model ? l.at64(2) : -1;
    this.bandPad = seasonal ? bandPad : -1;
  }

  /** An empty state in `slot`. */
  init(slot: StateSlot): void {
    for (const c of this.calibrators) c?.init(slot);
    this.values?.init(slot);
    this.residuals?.init(slot);
    this.seasonDiffs?.init(slot);
    this.profile?.init(slot);
    if (this.paired >= 0) slot.f64.fill(0, slot.b64 + this.paired, slot.b64 + this.paired + MOMENTS);
    if (this.startRange >= 0) {
      slot.f64[slot.b64 + this.startRange] = Infinity;
      slot.f64[slot.b64 + this.startRange + 1] = -Infinity;
    }
  }
}

/**
 * Per-series online state, fixed size: a slot of two typed arrays (state-arena.ts) laid out and run by a
 * shared SeriesStateShape — the series' slot of a slab shared by all the states of a detector
 * (EnsembleDetector.createState), or a buffer of its own when built directly.
 */
export class SeriesState implements StateSlot {
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly b64: number;
  readonly b32: number;
  /** Points fed so far: the clock of points that come without a timestamp. */
  private fed = 0;
  /** Start-up (see {@link STARTUP_MAX_POINTS}): true until the first value that is not a new record. */
  private settling = true;

  constructor(
    private readonly shape: SeriesStateShape,
    arenas: StateArenaSource = OWN_BUFFERS,
  ) {
    ({ f64: this.f64, f32: this.f32, b64: this.b64, b32: this.b32 } = takeSlot(arenas.arena(shape.layout, this), shape.layout));
    shape.init(this);
  }

  /** A state with a shape of its own (tests, tools); the detector shares one shape among its states. */
  static build(
    components: readonly ComponentName[],
    options: ExcessCalibratorOptions = {},
    noveltyCapacity = NOVELTY_CAPACITY,
    seasonWeight = SEASON_WEIGHT,
    seasonPoints = SEASON_POINTS,
    learnDelayPoints = LEARN_DELAY_POINTS,
    arenas: StateArenaSource = OWN_BUFFERS,
  ): SeriesState {
    return new SeriesState(new SeriesStateShape(components, options, noveltyCapacity, seasonWeight, seasonPoints, learnDelayPoints), arenas);
  }

  /** Bytes of typed-array state held (for memory reports; the object itself not included). */
  get bytes(): number {
    return this.shape.layout.bytes;
  }

  /**
   * Feed the raw features of the series' next point (row `row` of `raw`) taken at `timeMs` (ms since the
   * epoch; without it the point is placed one day / seasonPoints after the previous one); returns its
   * calibrated score.
   */
  update(raw: Float64Array, row: number, out: { score: number; component: string }, timeMs?: number): PointResult {
    const time = timeMs ?? (this.fed * DAY_MS) / Math.max(1, this.shape.seasonPoints);
    this.fed++;
    let best = 0;
    let comp: ComponentName = COMPONENTS[0];
    const o = row * RAW_STRIDE;
    const calibrators = this.shape.calibrators;
    for (let c = 0; c < COMPONENT_COUNT; c++) {
      const cal = calibrators[c];
      if (!cal) continue;
      const r = c === 0 ? this.modelRaw(raw[o]!, raw[o + RAW_VALUE]!, time) : raw[o + c]!;
      const p = cal.update(this, r);
      // strictly greater: on ties the earlier (simpler) component is named
      if (p > best) {
        best = p;
        comp = COMPONENTS[c]!;
      }
    }
    out.score = best;
    out.component = comp;
    return { score: best, component: comp };
  }

  /**
   * The "model" component's raw score: value novelty + (1 − strength) × residual novelty (the residual
   * is NaN without a model: no residual term) + seasonWeight × strength × seasonal-difference novelty
   * (NaN, scoring 0 and not learned, before the profile holds this time of day on an earlier day).
   * strength = 1 − var(seasonal difference) / var(value), both over the rows that have a seasonal
   * difference and taken before this point joins them: the share of the variance the time of day
   * explains (0 without a season, 1 for a pure one; 0 until two such rows). Comparing the two variances
   * over the same rows matters early on: a few differences against the whole history's variance looked
   * like a perfect season (NAB iio_us-east-1 fired on its second day). The residual counts for the share
   * the season does NOT explain: on a seasonal series a forecast miss at a familiar time-of-day value is
   * the 32-point forecaster not knowing the season, not an anomaly.
   * A contextual repeat (x inside its hour's band on one of the last three days, BAND_PAD) scores 0 in
   * the value and residual terms; both are still learned.
   * During the series' start-up (STARTUP_MAX_POINTS) nothing is learned and the raw score is 0; the value
   * and residual novelty are in units of max(sd, the fading level-relative floor: LEVEL_FLOOR).
   */
  private modelRaw(residual: number, x: number, timeMs: number): number {
    const shape = this.shape;
    const f64 = this.f64;
    if (this.settling && Number.isFinite(x)) {
      const at = this.b64 + shape.startRange;
      const record = x > f64[at + 1]! || x < f64[at]!;
      f64[at] = Math.min(f64[at]!, x);
      f64[at + 1] = Math.max(f64[at + 1]!, x);
      if (record && this.fed <= STARTUP_MAX_POINTS) return 0;
      this.settling = false;
    }
    const vals = shape.values!;
    const floor = LEVEL_FLOOR * Math.abs(vals.average(this)) * Math.sqrt(FLOOR_POINTS / (vals.count(this) + FLOOR_POINTS));
    let v = vals.update(this, x, floor, timeMs);
    let strength = 0;
    let repeat = false;
    const sd = shape.seasonDiffs;
    const profile = shape.profile;
    if (sd && profile) {
      const paired = this.b64 + shape.paired;
      const vx = momentVariance(f64, paired);
      if (vx > 0 && sd.count(this) > 1) strength = Math.min(1, Math.max(0, 1 - sd.variance(this) / vx));
      const diff = profile.difference(this, x, timeMs);
      repeat = shape.bandPad >= 0 && profile.withinBand(this, x, timeMs, shape.bandPad);
      profile.learn(this, x, timeMs);
      if (!Number.isNaN(diff)) addMoment(f64, paired, x);
      if (repeat) v = 0;
      v += shape.seasonWeight * strength * sd.update(this, diff, 0, timeMs);
    }
    if (Number.isNaN(residual)) return v;
    const r = shape.residuals!.update(this, residual, floor, timeMs);
    return repeat ? v : v + (1 - strength) * r;
  }
}
