import type { ExcessCalibratorOptions } from './calibrate.js';
import type { ScoreBatch, SeriesFamily, StreamingDetector } from './detector.js';
import { COMPONENTS, ROBUST_POINTS, rawScores, type ComponentName, type FeatureOptions, type RawBatch } from './features.js';
import type { Forecaster } from './model.js';
import { BAND_PAD, LEARN_DELAY_POINTS, NOVELTY_CAPACITY, SEASON_POINTS, SEASON_WEIGHT, SeriesState, SeriesStateShape, type PointResult } from './series-state.js';
import { StateSlabs } from './state-arena.js';

// The per-series state and its settings (series-state.ts), re-exported: callers import the detector's parts from here.
export {
  BAND_PAD,
  DAY_PROFILE_BINS,
  DAY_PROFILE_DAYS,
  ENSEMBLE_HISTORY_POINTS,
  FLOOR_POINTS,
  LEARN_DELAY_POINTS,
  LEVEL_FLOOR,
  NOVELTY_CAPACITY,
  SEASON_NOVELTY_CAPACITY,
  SEASON_POINTS,
  SEASON_WEIGHT,
  SeriesState,
  SeriesStateShape,
  STARTUP_MAX_POINTS,
  type PointResult,
} from './series-state.js';

/** The scoring maths' revision, first part of every anomaly's modelVersion; bumped whenever scores change (MODEL_CARD.md). */
export const ENSEMBLE_REVISION = 'ensemble-10';

/**
 * The default detector. Two halves:
 *  - {@link EnsembleDetector.raw}: pure and batched (runs in the scoring pool): the TF.js forecaster's
 *    forecast for each window, then raw features per component (features.ts);
 *  - {@link SeriesState}: per-series online state: the "model" component's streaming novelty
 *    (novelty.ts: how far the value, the model's forecast residual, and the value's difference to the
 *    same time of day on earlier days (day-profile.ts) are from anything the series has shown before, each in units of its own running
 *    standard deviation; added, the seasonal one weighted by `seasonWeight` × the series' seasonality
 *    strength and the residual one by 1 − strength), then each
 *    component's raw score calibrated into 0..1 (calibrate.ts, ExcessCalibrator) and the maximum of the
 *    enabled components' probabilities; the component that gives it is named in the anomaly's evidence.
 * Components: "model" (value novelty + (1 − strength) × TF.js residual novelty + seasonWeight × strength ×
 * seasonal-difference novelty), "robust" (median/MAD), "seasonal" (same
 * phase in earlier seasons). Which are enabled is chosen per metric family in config (detect.families).
 */

export interface EnsembleOptions extends FeatureOptions {
  readonly calibration?: ExcessCalibratorOptions;
  /** Components enabled when a series matches no family (default ["model"]). */
  readonly components?: readonly ComponentName[];
  /** Points per window handed to raw() (forecaster input, robust baseline, seasons). Default 1000. */
  readonly windowPoints?: number;
  /** Windows shorter than this are "insufficient data". Default 10. */
  readonly minPoints?: number;
  /** Weight of the seasonal-difference novelty in the "model" component's raw score (0 = off). Default 0.5. */
  readonly seasonWeight?: number;
  /**
   * The novelty summaries forget values not seen again within this long (novelty.ts); 0 = never (the
   * default, as NAB is scored). Measured on the points' timestamps; points fed without one run on the
   * state's own clock (seasonPoints to the day), so a series should not mix the two. Default 0.
   */
  readonly noveltyHorizonMs?: number;
  /** Contextual repeats (BAND_PAD): a value inside its hour's band on a recent day is no news. Default true. */
  readonly contextualRepeats?: boolean;
}

/**
 * Points of a window rawScores() reads for these options (the newest included): the forecaster's input,
 * the robust baseline, three seasons for the "seasonal" component — whichever are computed.
 */
export function rawContextPoints(forecaster: Forecaster | null, options: EnsembleOptions): number {
  const compute = options.computeComponents ?? COMPONENTS;
  let points = 1;
  if (forecaster) points = Math.max(points, forecaster.inputPoints + 1);
  if (compute.includes('robust') || forecaster === null) points = Math.max(points, (options.robustPoints ?? ROBUST_POINTS) + 1);
  const season = options.seasonPoints ?? SEASON_POINTS;
  if (compute.includes('seasonal') && season > 0) points = Math.max(points, 3 * season + 1);
  return points;
}

export class EnsembleDetector implements StreamingDetector {
  readonly name = 'ensemble';
  readonly windowPoints: number;
  readonly contextPoints: number;
  readonly version: string;
  readonly minPoints: number;
  readonly components: readonly ComponentName[];
  /** The numeric state of every series this detector creates, in shared slabs (state-arena.ts). */
  private readonly stateSlabs = new StateSlabs();
  /** One shape per set of enabled components, novelty horizon, season weight and contextual repeats, shared by the states created for it. */
  private readonly shapes = new Map<string, SeriesStateShape>();

  constructor(
    readonly forecaster: Forecaster | null,
    private readonly options: EnsembleOptions = {},
  ) {
    this.minPoints = options.minPoints ?? 10;
    this.windowPoints = options.windowPoints ?? 1000;
    this.components = options.components ?? ['model'];
    this.contextPoints = Math.min(this.windowPoints, rawContextPoints(forecaster, options));
    this.version = `${ENSEMBLE_REVISION}/${forecaster?.meta.version ?? 'no-model'}`;
  }

  /** Pure, batched raw scores (model forecast + features). Safe to run in a worker. */
  raw(windows: readonly Float64Array[]): RawBatch {
    const forecasts = this.forecaster ? this.forecaster.forecast(windows) : null;
    return rawScores(windows, forecasts, this.options);
  }

  /** A new series' state, with its family's components, novelty horizon, season weight and contextual repeats where it sets them (config detect.families). */
  createState(family: SeriesFamily = {}): SeriesState {
    const o = this.options;
    const components = family.components ?? this.components;
    const known = COMPONENTS.filter((c) => components.includes(c));
    const horizonMs = family.noveltyHorizonMs ?? o.noveltyHorizonMs ?? 0;
    const seasonWeight = family.seasonWeight ?? o.seasonWeight ?? SEASON_WEIGHT;
    const repeats = family.contextualRepeats ?? o.contextualRepeats ?? true;
    const key = `${known.join(',')}/${horizonMs}/${seasonWeight}/${repeats}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      const bandPad = repeats ? BAND_PAD : -1;
      shape = new SeriesStateShape(known, o.calibration, NOVELTY_CAPACITY, seasonWeight, o.seasonPoints ?? SEASON_POINTS, LEARN_DELAY_POINTS, horizonMs, bandPad);
      this.shapes.set(key, shape);
    }
    return new SeriesState(shape, this.stateSlabs);
  }

  /**
   * Window-only form of the Detector interface: replays the series state over every prefix of the
   * window (so about window-length× the cost of the streaming path, which DetectionStage and the NAB
   * runner use); gives exactly the streaming score of a series that starts at the window's first point.
   * Causal: only points of the window are read.
   */
  score(windows: readonly Float64Array[]): ScoreBatch {
    const scores = new Float64Array(windows.length);
    const expected = new Float64Array(windows.length);
    const res: PointResult = { score: 0, component: 'model' };
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w]!;
      const n = win.length;
      const subs: Float64Array[] = [];
      for (let e = 1; e <= n; e++) subs.push(win.subarray(Math.max(0, e - this.windowPoints), e));
      const batch = this.raw(subs);
      const state = this.createState();
      for (let i = 0; i < subs.length; i++) state.update(batch.raw, i, res);
      scores[w] = n < this.minPoints ? 0 : res.score;
      expected[w] = batch.expected[subs.length - 1]!;
    }
    return { scores, expected };
  }
}
