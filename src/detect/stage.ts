import { newId } from '../lib/ids.js';
import type { Anomaly } from '../domain/types.js';
import type { SeriesStore, SeriesView } from '../series/store.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Detector } from './detector.js';

export interface DetectionStageOptions {
  readonly threshold: number;
  /** Most new points scored per series per cycle; older unscored points are skipped (bounded work). */
  readonly maxNewPointsPerSeries?: number;
}

/**
 * Scores every point that arrived since the previous cycle, each against the window that ends at
 * it (causal), and returns the points whose calibrated score reaches the threshold.
 */
export class DetectionStage {
  private readonly scoredUpToMs = new Map<string, number>();
  private readonly maxNew: number;

  constructor(
    private readonly store: SeriesStore,
    private readonly detector: Detector,
    private readonly options: DetectionStageOptions,
    private readonly metrics: Metrics,
  ) {
    this.maxNew = options.maxNewPointsPerSeries ?? 64;
  }

  run(): Anomaly[] {
    const dirty = this.store.takeDirty();
    const windows: Float64Array[] = [];
    const meta: Array<{ series: SeriesView; timestampMs: number; observed: number }> = [];
    let insufficient = 0;
    for (const series of dirty) {
      const { values, timestamps } = this.store.window(series.key);
      const since = this.scoredUpToMs.get(series.key) ?? -Infinity;
      let first = values.length;
      while (first > 0 && timestamps[first - 1]! > since && values.length - first < this.maxNew) first--;
      if (values.length < this.detector.minPoints) insufficient++;
      for (let i = first; i < values.length; i++) {
        if (i + 1 < this.detector.minPoints) continue; // insufficient evidence: not scored, not healthy
        windows.push(values.subarray(0, i + 1));
        meta.push({ series, timestampMs: timestamps[i]!, observed: values[i]! });
      }
      if (values.length > 0) this.scoredUpToMs.set(series.key, timestamps[values.length - 1]!);
    }
    this.metrics.insufficientData.set(insufficient);
    if (windows.length === 0) return [];
    return this.scoreBatch(windows, meta);
  }

  private scoreBatch(windows: Float64Array[], meta: Array<{ series: SeriesView; timestampMs: number; observed: number }>): Anomaly[] {
    const end = this.metrics.scoringDuration.startTimer({ detector: this.detector.name });
    const { scores, expected } = this.detector.score(windows);
    end();
    this.metrics.windowsScored.inc({ detector: this.detector.name }, windows.length);
    const anomalies: Anomaly[] = [];
    const maxByService = new Map<string, number>();
    for (let i = 0; i < windows.length; i++) {
      const m = meta[i]!;
      const score = scores[i]!;
      const service = m.series.service ?? 'unknown';
      maxByService.set(service, Math.max(maxByService.get(service) ?? 0, score));
      if (score < this.options.threshold) continue;
      anomalies.push({
        id: newId('anm'),
        seriesKey: m.series.key,
        labels: m.series.labels,
        metric: m.series.metric,
        service: m.series.service,
        timestampMs: m.timestampMs,
        observed: m.observed,
        expected: expected[i]!,
        score,
        detector: this.detector.name,
        modelVersion: this.detector.version,
      });
    }
    for (const [service, score] of maxByService) this.metrics.anomalyScore.set({ service }, score);
    if (anomalies.length > 0) this.metrics.anomalies.inc({ detector: this.detector.name }, anomalies.length);
    return anomalies;
  }

  /** Forget series the store no longer holds. */
  prune(): void {
    for (const key of this.scoredUpToMs.keys()) if (!this.store.get(key)) this.scoredUpToMs.delete(key);
  }
}
