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
