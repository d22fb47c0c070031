/**
 * A Detector scores the newest point of each window in a batch. Pure and causal: the score of a
 * window's last point depends only on that window (points at or before it). No I/O.
 */
export interface Detector {
  /** Stable name used in config and evidence, e.g. "robust". */
  readonly name: string;
  /** Version of the detector or model, carried in every anomaly's evidence. */
  readonly version: string;
  /** Windows shorter than this are "insufficient data": neither healthy nor anomalous. */
  readonly minPoints: number;
  /** One result per window: calibrated anomaly probability (0..1) and the value expected for the newest point. */
  score(windows: readonly Float64Array[]): ScoreBatch;
}

export interface ScoreBatch {
  readonly scores: Float64Array;
  readonly expected: Float64Array;
}

/** Per-series online state of a streaming detector: fed each point's raw scores in time order. */
export interface StreamingSeriesState {
  /** `timeMs`: the point's timestamp (ms since the epoch), for time-of-day state; give it whenever known. */
  update(raw: Float64Array, row: number, out: { score: number; component: string }, timeMs?: number): { score: number; component: string };
}

/** What a metric family (config detect.families) sets for its series; absent fields keep the detector's defaults. */
export interface SeriesFamily {
  /** Components enabled for the series. */
  readonly components?: readonly string[];
  /** Novelty horizon for the series (EnsembleOptions.noveltyHorizonMs). */
  readonly noveltyHorizonMs?: number;
  /** Weight of the seasonal-difference novelty for the series (EnsembleOptions.seasonWeight). */
  readonly seasonWeight?: number;
  /** Contextual repeats for the series (EnsembleOptions.contextualRepeats). */
  readonly contextualRepeats?: boolean;
}

/**
 * A detector split into a pure, batched half (`raw`, safe to run in a worker) and a per-series online
 * calibration (`createState`). DetectionStage and the NAB runner use this form when a detector offers it;
 * `score()` stays available for window-only callers.
 */
export interface StreamingDetector extends Detector {
  /** Points of history per window the detector wants (the newest point is scored). */
  readonly windowPoints: number;
  /**
   * Points of a window raw() actually reads (the newest included), ≤ windowPoints: a window cut to
   * this length gives the same raw scores, so callers need not read more. Default windowPoints.
   */
  readonly contextPoints?: number;
  raw(windows: readonly Float64Array[]): { readonly raw: Float64Array; readonly expected: Float64Array };
  createState(family?: SeriesFamily): StreamingSeriesState;
}

export function isStreamingDetector(d: Detector): d is StreamingDetector {
  const s = d as Partial<StreamingDetector>;
  return typeof s.raw === 'function' && typeof s.createState === 'function' && typeof s.windowPoints === 'number';
}
