import { ExcessCalibrator, type ExcessCalibratorOptions } from './calibrate.js';
import type { ScoreBatch, StreamingDetector } from './detector.js';
import { COMPONENT_COUNT, COMPONENTS, RAW_SEASON_DIFF, RAW_STRIDE, RAW_VALUE, rawScores, type ComponentName, type FeatureOptions, type RawBatch } from './features.js';
import type { Forecaster } from './model.js';
import { IntervalNovelty } from './novelty.js';

/**
 * The default detector. Two halves:
 *  - {@link EnsembleDetector.raw}: pure and batched (runs in the scoring pool): the TF.js forecaster's
 *    forecast for each window, then raw features per component (features.ts);
 *  - {@link SeriesState}: per-series online state: the "model" component's streaming novelty
 *    (novelty.ts: how far the value, the model's forecast residual, and the value's difference to one
 *    season earlier are from anything the series has shown before, each in units of its own running
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
}

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

/**
 * Per-series online state, fixed size: for the "model" component three interval summaries (values,
 * model residuals, seasonal differences) and one calibration ring; one calibration ring per other
 * enabled component.
 * Disabled components keep no state.
 */
export class SeriesState {
  private readonly calibrators: Array<ExcessCalibrator | null>;
  private readonly values: IntervalNovelty | null;
  private readonly residuals: IntervalNovelty | null;
  private readonly seasonDiffs: IntervalNovelty | null;

  constructor(
    components: readonly ComponentName[],
    options: ExcessCalibratorOptions = {},
    noveltyCapacity = NOVELTY_CAPACITY,
    private readonly seasonWeight = SEASON_WEIGHT,
  ) {
    const cal = { ...options, historyPoints: options.historyPoints ?? ENSEMBLE_HISTORY_POINTS };
    this.calibrators = COMPONENTS.map((c) => (components.includes(c) ? new ExcessCalibrator(cal) : null));
    const model = components.includes('model');
    this.values = model ? new IntervalNovelty(noveltyCapacity) : null;
    this.residuals = model ? new IntervalNovelty(noveltyCapacity) : null;
    this.seasonDiffs = model && seasonWeight > 0 ? new IntervalNovelty(SEASON_NOVELTY_CAPACITY) : null;
  }

  /** Bytes of typed-array state held (for memory reports; object headers not included). */
  get bytes(): number {
    let b = (this.values?.bytes ?? 0) + (this.residuals?.bytes ?? 0) + (this.seasonDiffs?.bytes ?? 0);
    for (const c of this.calibrators) b += c?.bytes ?? 0;
    return b;
  }

  /** Feed the raw features of the series' next point (row `row` of `raw`); returns its calibrated score. */
  update(raw: Float64Array, row: number, out: { score: number; component: string }): PointResult {
    let best = 0;
    let comp: ComponentName = COMPONENTS[0];
    const o = row * RAW_STRIDE;
    for (let c = 0; c < COMPONENT_COUNT; c++) {
      const cal = this.calibrators[c];
      if (!cal) continue;
      let r = raw[o + c]!;
      if (c === 0) {
        // value novelty + residual novelty (the residual is NaN without a model: no residual term)
        // + weighted seasonal-difference novelty (NaN, scoring 0 and not learned, before a full season)
        // weighted by the series' seasonality strength 1 − var(seasonal difference)/var(value), taken before
        // this point joins either (0 for a series one season earlier does not explain, 1 for a pure season)
        // The residual novelty counts for the share of the variance the season does NOT explain
        // (1 − strength): on a seasonal series a forecast error at a point whose seasonal difference is
        // familiar is the short-window forecaster not knowing the season, not an anomaly (ensemble-4).
        // strength is 0 until the seasonal summary holds two differences (no season seen yet).
        const vx = this.values!.variance;
        let v = this.values!.update(raw[o + RAW_VALUE]!);
        let strength = 0;
        if (this.seasonDiffs) {
          const sd = this.seasonDiffs;
          if (vx > 0 && sd.count > 1) strength = Math.min(1, Math.max(0, 1 - sd.variance / vx));
          const sn = sd.update(raw[o + RAW_SEASON_DIFF]!);
          v += this.seasonWeight * strength * sn;
        }
        r = Number.isNaN(r) ? v : v + (1 - strength) * this.residuals!.update(r);
      }
      const p = cal.update(r);
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
}

export class EnsembleDetector implements StreamingDetector {
  readonly name = 'ensemble';
  readonly windowPoints: number;
  readonly version: string;
  readonly minPoints: number;
  readonly components: readonly ComponentName[];

  constructor(
    readonly forecaster: Forecaster | null,
    private readonly options: EnsembleOptions = {},
  ) {
    this.minPoints = options.minPoints ?? 10;
    this.windowPoints = options.windowPoints ?? 1000;
    this.components = options.components ?? ['model'];
    this.version = `ensemble-4/${forecaster?.meta.version ?? 'no-model'}`;
  }

  /** Pure, batched raw scores (model forecast + features). Safe to run in a worker. */
  raw(windows: readonly Float64Array[]): RawBatch {
    const forecasts = this.forecaster ? this.forecaster.forecast(windows) : null;
    return rawScores(windows, forecasts, this.options);
  }

  createState(components: readonly string[] = this.components): SeriesState {
    const known = components.filter((c): c is ComponentName => (COMPONENTS as readonly string[]).includes(c));
    return new SeriesState(known, this.options.calibration, NOVELTY_CAPACITY, this.options.seasonWeight ?? SEASON_WEIGHT);
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
