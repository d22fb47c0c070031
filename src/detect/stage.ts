import { newId } from '../lib/ids.js';
import type { Anomaly } from '../domain/types.js';
import type { SeriesStore, SeriesView } from '../series/store.js';
import type { Metrics } from '../telemetry/metrics.js';
import { isStreamingDetector, type Detector, type SeriesFamily, type StreamingDetector, type StreamingSeriesState } from './detector.js';
import type { ScoringPool } from './pool.js';

export interface DetectionStageOptions {
  readonly threshold: number;
  /** Most new points scored per series per cycle; older unscored points are skipped (bounded work). */
  readonly maxNewPointsPerSeries?: number;
  /** Streaming detectors: per-series settings by metric name (config detect.families); default: the detector's own. */
  readonly familyFor?: (metric: string) => SeriesFamily | undefined;
  /** Streaming detectors: compute raw scores in this worker pool (runAsync) instead of the main thread. */
  readonly pool?: ScoringPool;
  /**
   * runAsync with a pool: series read and scored per batch, the event loop getting a turn between
   * batches. Default 4096 (≈ 40 ms of main-thread work: reading the new points' windows from the
   * compressed store, packing them, updating the series' states).
   */
  readonly seriesPerBatch?: number;
}

interface Meta {
  series: SeriesView;
  timestampMs: number;
  observed: number;
  /** Streaming: warm-up points feed calibration but are not reported. */
  report: boolean;
}

/** The family settings of a metric name, from config detect.families: the first matching regex wins. */
export function familyMatcher(families: ReadonlyArray<SeriesFamily & { match: string }>): (metric: string) => SeriesFamily | undefined {
  const compiled = families.map(({ match, ...family }) => ({ re: new RegExp(match), family }));
  return (metric) => compiled.find((f) => f.re.test(metric))?.family;
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

  /** Per-series calibration state of a streaming detector, dropped with the series (prune). */
  private readonly states = new Map<string, StreamingSeriesState>();

  /** Score new points on the main thread. */
  run(): Anomaly[] {
    if (isStreamingDetector(this.detector)) {
      const { windows, meta, insufficient } = this.collectStreaming(this.detector, this.store.takeDirty());
      this.metrics.insufficientData.set(insufficient);
      if (windows.length === 0) return [];
      const end = this.metrics.scoringDuration.startTimer({ detector: this.detector.name });
      const raw = this.detector.raw(windows);
      end();
      return this.finishStreaming(raw, meta);
    }
    return this.runWindows();
  }

  /**
   * Score new points, computing raw scores in the worker pool when one is configured, seriesPerBatch
   * series at a time: a cycle over tens of thousands of series is many short turns of the main thread,
   * not one long one.
   */
  async runAsync(): Promise<Anomaly[]> {
    const pool = this.options.pool;
    if (!pool || !isStreamingDetector(this.detector)) return this.run();
    const dirty = this.store.takeDirty();
    const per = Math.max(1, this.options.seriesPerBatch ?? 4096);
    const anomalies: Anomaly[] = [];
    let insufficient = 0;
    for (let from = 0; from < dirty.length; from += per) {
      const part = dirty.length <= per ? dirty : dirty.slice(from, from + per);
      const { windows, meta, insufficient: short } = this.collectStreaming(this.detector, part);
      insufficient += short;
      if (windows.length === 0) continue;
      const end = this.metrics.scoringDuration.startTimer({ detector: this.detector.name });
      const raw = await pool.raw(windows);
      end();
      for (const a of this.finishStreaming(raw, meta)) anomalies.push(a);
    }
    this.metrics.insufficientData.set(insufficient);
    return anomalies;
  }

  /**
   * The windows to score this cycle, all views of one buffer: each dirty series' newest points are read
   * once (store.windowTail), only as many as the new points' windows need (the detector's contextPoints),
   * except for a series seen for the first time, which warms its calibration on its whole window.
   */
  private collectStreaming(detector: StreamingDetector, dirty: readonly SeriesView[]): { windows: Float64Array[]; meta: Meta[]; insufficient: number } {
    const span = Math.min(detector.windowPoints, detector.contextPoints ?? detector.windowPoints);
    const want = new Int32Array(dirty.length);
    let total = 0;
    for (let k = 0; k < dirty.length; k++) {
      const series = dirty[k]!;
      // the new points' windows: span − 1 points before the first new one (a series seen before)
      const newCount = Math.min(this.maxNew, Math.max(1, series.newPoints));
      want[k] = this.states.has(series.key) ? Math.min(series.points, newCount + span - 1) : series.points;
      total += want[k]!;
    }
    const allValues = new Float64Array(total);
    const allTimestamps = new Float64Array(total);
    const windows: Float64Array[] = [];
    const meta: Meta[] = [];
    let insufficient = 0;
    let at = 0;
    for (let k = 0; k < dirty.length; k++) {
      const series = dirty[k]!;
      const n = this.store.windowTail(series.key, want[k]!, allTimestamps, allValues, at);
      const values = allValues.subarray(at, at + n);
      const timestamps = allTimestamps.subarray(at, at + n);
      at += n;
      const since = this.scoredUpToMs.get(series.key) ?? -Infinity;
      const fresh = !this.states.has(series.key);
      let first = n;
      while (first > 0 && timestamps[first - 1]! > since) first--;
      // point i of the series' window is point i − skipped of this tail
      const skipped = series.points - n;
      const reportFrom = Math.max(first, series.points - this.maxNew - skipped);
      const feedFrom = fresh ? 0 : reportFrom;
      if (series.points < detector.minPoints) insufficient++;
      for (let i = feedFrom; i < n; i++) {
        windows.push(values.subarray(Math.max(0, i + 1 - span), i + 1));
        meta.push({ series, timestampMs: timestamps[i]!, observed: values[i]!, report: i >= reportFrom && i + skipped + 1 >= detector.minPoints });
      }
      if (n > 0) this.scoredUpToMs.set(series.key, timestamps[n - 1]!);
    }
    return { windows, meta, insufficient };
  }

  /** `batch.version`: the weights that computed it (the pool's, which fine-tuning can change); default the detector's. */
  private finishStreaming(batch: { raw: Float64Array; expected: Float64Array; version?: string | null }, meta: Meta[]): Anomaly[] {
    const detector = this.detector as StreamingDetector;
    const scores = new Float64Array(meta.length);
    const components: string[] = new Array<string>(meta.length);
    const res = { score: 0, component: '' };
    let reported = 0;
    for (let i = 0; i < meta.length; i++) {
      const m = meta[i]!;
      let state = this.states.get(m.series.key);
      if (!state) {
        state = detector.createState(this.options.familyFor?.(m.series.metric));
        this.states.set(m.series.key, state);
      }
      const r = state.update(batch.raw, i, res, m.timestampMs);
      scores[i] = m.report ? r.score : -1;
      components[i] = r.component;
      if (m.report) reported++;
    }
    this.metrics.windowsScored.inc({ detector: detector.name }, reported);
    this.metrics.seriesStates.set(this.states.size);
    const version = batch.version ?? detector.version;
    return this.toAnomalies(scores, batch.expected, meta, (i) => `${detector.name}/${components[i]!}`, version);
  }

  private runWindows(): Anomaly[] {
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
    return this.toAnomalies(scores, expected, meta, () => this.detector.name, this.detector.version);
  }

  /** Anomalies for scores ≥ threshold (negative scores are warm-up rows: skipped). */
  private toAnomalies(
    scores: Float64Array,
    expected: Float64Array,
    meta: ReadonlyArray<{ series: SeriesView; timestampMs: number; observed: number }>,
    detectorName: (i: number) => string,
    modelVersion: string,
  ): Anomaly[] {
    const anomalies: Anomaly[] = [];
    const maxByService = new Map<string, number>();
    for (let i = 0; i < meta.length; i++) {
      const m = meta[i]!;
      const score = scores[i]!;
      if (score < 0) continue;
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
        detector: detectorName(i),
        modelVersion,
      });
    }
    for (const [service, score] of maxByService) this.metrics.anomalyScore.set({ service }, score);
    if (anomalies.length > 0) this.metrics.anomalies.inc({ detector: this.detector.name }, anomalies.length);
    return anomalies;
  }

  /** Forget series the store no longer holds. */
  prune(): void {
    for (const key of this.scoredUpToMs.keys()) if (!this.store.get(key)) this.scoredUpToMs.delete(key);
    for (const key of this.states.keys()) if (!this.store.get(key)) this.states.delete(key);
    this.metrics.seriesStates.set(this.states.size);
  }
}
