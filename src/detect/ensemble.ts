import { ExcessCalibrator, type ExcessCalibratorOptions } from './calibrate.js';
import type { ScoreBatch, StreamingDetector } from './detector.js';
import { COMPONENT_COUNT, COMPONENTS, rawScores, type ComponentName, type FeatureOptions, type RawBatch } from './features.js';
import type { Forecaster } from './model.js';

/**
 * The default detector. Two halves:
 *  - {@link EnsembleDetector.raw}: pure and batched (runs in the scoring pool): the TF.js forecaster's
 *    forecast for each window, then raw scores per component (features.ts);
 *  - {@link SeriesState}: per-series online calibration of each component's raw score into 0..1
 *    (calibrate.ts, ExcessCalibrator) and the combination: the maximum of the enabled components'
 *    probabilities; the component that gives it is named in the anomaly's evidence.
 * Components: "model" (TF.js forecast error × novelty), "robust" (median/MAD), "seasonal" (same phase in
 * earlier seasons). Which are enabled is chosen per metric family in config (detect.families).
 */

export interface EnsembleOptions extends FeatureOptions {
  readonly calibration?: ExcessCalibratorOptions;
  /** Components enabled when a series matches no family (default ["model"]). */
  readonly components?: readonly ComponentName[];
  /** Points per window (novelty search horizon and scale). Default 2000. */
  readonly windowPoints?: number;
  /** Windows shorter than this are "insufficient data". Default 10. */
  readonly minPoints?: number;
}

export interface PointResult {
  score: number;
  component: ComponentName;
}

/** Per-series calibration state: small (one ring of raw scores per component). */
export class SeriesState {
  private readonly calibrators: ExcessCalibrator[];
  private readonly enabled: boolean[];

  constructor(components: readonly ComponentName[], options: ExcessCalibratorOptions = {}) {
    this.calibrators = COMPONENTS.map(() => new ExcessCalibrator(options));
    this.enabled = COMPONENTS.map((c) => components.includes(c));
  }

  /** Feed the raw scores of the series' next point (row `row` of `raw`); returns its calibrated score. */
  update(raw: Float64Array, row: number, out: { score: number; component: string }): PointResult {
    let best = 0;
    let comp: ComponentName = COMPONENTS[0];
    for (let c = 0; c < COMPONENT_COUNT; c++) {
      const p = this.calibrators[c]!.update(raw[row * COMPONENT_COUNT + c]!);
      // strictly greater: on ties the earlier (simpler) component is named
      if (this.enabled[c] && p > best) {
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
    this.windowPoints = options.windowPoints ?? 2000;
    this.components = options.components ?? ['model'];
    this.version = `ensemble-1/${forecaster?.meta.version ?? 'no-model'}`;
  }

  /** Pure, batched raw scores (model forecast + features). Safe to run in a worker. */
  raw(windows: readonly Float64Array[]): RawBatch {
    const forecasts = this.forecaster ? this.forecaster.forecast(windows) : null;
    return rawScores(windows, forecasts, this.options);
  }

  createState(components: readonly string[] = this.components): SeriesState {
    const known = components.filter((c): c is ComponentName => (COMPONENTS as readonly string[]).includes(c));
    return new SeriesState(known, this.options.calibration);
  }

  /** Calibration history (rows) a window needs for its newest point to be scored exactly as online. */
  get historyPoints(): number {
    return this.options.calibration?.historyPoints ?? 100;
  }

  /**
   * Window-only form of the Detector interface: replays calibration over the window's last
   * historyPoints + 1 sub-windows (so about historyPoints× the cost of the streaming path, which
   * DetectionStage and the NAB runner use). Causal: only points of the window are read.
   */
  score(windows: readonly Float64Array[]): ScoreBatch {
    const scores = new Float64Array(windows.length);
    const expected = new Float64Array(windows.length);
    const res: PointResult = { score: 0, component: 'model' };
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w]!;
      const n = win.length;
      const first = Math.max(1, n - this.historyPoints - 1);
      const subs: Float64Array[] = [];
      for (let e = first; e <= n; e++) subs.push(win.subarray(0, e));
      const batch = this.raw(subs);
      const state = this.createState();
      for (let i = 0; i < subs.length; i++) state.update(batch.raw, i, res);
      scores[w] = n < this.minPoints ? 0 : res.score;
      expected[w] = batch.expected[subs.length - 1]!;
    }
    return { scores, expected };
  }
}
