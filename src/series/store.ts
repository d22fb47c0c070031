import type { Clock } from '../lib/clock.js';
import { seriesKey, serviceOf } from '../domain/labels.js';
import type { AppendResult, Labels, Sample, SampleSink } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import { AppError } from '../lib/errors.js';
import { CompressedWindows } from './compressed-windows.js';
import { StringInterner } from './intern.js';

/**
 * Samples grouped by series, as the remote_write decoders produce them: each series' canonical key
 * (`seriesKey(labels)`) and labels once, its samples as the range [offsets[i], offsets[i + 1]) of
 * flat arrays (stale[j] = 1 marks Prometheus's stale marker). Cheaper to store than one Sample per point.
 */
export interface SeriesBatch {
  readonly count: number;
  readonly keys: readonly string[];
  readonly labels: readonly Labels[];
  readonly offsets: ArrayLike<number>;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly stale: ArrayLike<number>;
}

/** A SampleSink that also takes a series-grouped batch (same result as append() of the same samples in order). */
export interface SeriesBatchSink extends SampleSink {
  appendSeries(batch: SeriesBatch): AppendResult;
}

/** True when `sink` takes series-grouped batches. */
export function isSeriesBatchSink(sink: SampleSink): sink is SeriesBatchSink {
  return typeof (sink as Partial<SeriesBatchSink>).appendSeries === 'function';
}

export interface SeriesStoreOptions {
  readonly windowPoints: number;
  readonly maxSeries: number;
  /** A series with no sample for this long is dropped by sweep(). */
  readonly staleAfterMs: number;
  /** A series with no sample for this long is "stale" (insufficient data). Default min(staleAfterMs, 2 min). */
  readonly staleGapMs?: number;
  /** Series with fewer points are "insufficient data". Default 20. */
  readonly minPoints?: number;
  /** Logs refused series at most once per this interval. Default 60 s. */
  readonly refusedLogIntervalMs?: number;
}

/** ok: enough recent points to score; otherwise why it cannot be scored yet. */
export type SeriesState = 'ok' | 'insufficient_data' | 'stale' | 'ended';

/** What callers may read about one series. */
export interface SeriesView {
  readonly key: string;
  readonly labels: Labels;
  readonly metric: string;
  readonly service: string | undefined;
  readonly points: number;
  readonly lastTimestampMs: number;
  /** Points appended since the series was last returned by takeDirty() (so a reader knows how many are new). */
  readonly newPoints: number;
  /** A stale marker arrived: the series ended. Its data is insufficient evidence, not healthy. */
  readonly ended: boolean;
}

const ENDED = 1;
const DIRTY = 2;

/**
 * Bounded in-memory store of recent windows. Each series is a number: its key and labels sit in two
 * arrays, its timestamps, flags and compressed window (compressed-windows.ts) in columns, so a series
 * costs no object of its own. Re-sent samples (same series, timestamp not newer than the last one)
 * are counted as duplicates and change nothing, so a sender's retry is harmless. Label strings are
 * interned. New series beyond `maxSeries` are refused: counted in aiopsd_series_refused_total and
 * aiopsd_ingest_dropped_samples_total{reason="series_limit"}, and logged at most once a minute.
 */
export class SeriesStore implements SeriesBatchSink {
  private readonly index = new Map<string, number>();
  private readonly interner = new StringInterner();
  private readonly windows: CompressedWindows;
  private keys: string[] = [];
  private labelSets: Array<Labels | undefined> = [];
  private lastTimestampMs = new Float64Array(0);
  private lastSeenAtMs = new Float64Array(0);
  private flags = new Uint8Array(0);
  /** Points appended since takeDirty() last returned the series (SeriesView.newPoints). */
  private newPoints = new Uint32Array(0);
  private readonly freeNumbers: number[] = [];
  private dirtyList: number[] = [];
  private refusedSinceLog = 0;
  private lastRefusedLogMs = -Infinity;

  constructor(
    private readonly options: SeriesStoreOptions,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly source = 'remote_write',
    private readonly logger?: { warn(obj: object, msg: string): void },
  ) {
    this.windows = new CompressedWindows(options.windowPoints);
  }

  get size(): number {
    return this.index.size;
  }

  /**
   * A sink that writes into this store and counts its samples under another `source` label
   * (traces, prometheus, …). The store is the one place that counts accepted and dropped samples.
   */
  sinkFor(source: string): SeriesBatchSink {
    return { append: (samples) => this.append(samples, source), appendSeries: (batch) => this.appendSeries(batch, source) };
  }

  append(samples: readonly Sample[], source: string = this.source): AppendResult {
    const result: AppendResult = { accepted: 0, refused: 0, duplicate: 0 };
    const nowMs = this.clock.nowMs();
    const nan = { n: 0 };
    // Samples of one series usually share one labels object: its key is computed once per run.
    let lastLabels: Labels | undefined;
    let i = -1;
    for (const sample of samples) {
      if (sample.labels !== lastLabels || i < 0) {
        lastLabels = sample.labels;
        i = this.numberFor(seriesKey(sample.labels), sample.labels, nowMs, 1);
        if (i < 0) {
          result.refused++;
          continue;
        }
      }
      this.windows.begin(i);
      this.add(i, sample.timestampMs, sample.value, sample.stale === true, nowMs, result, nan);
      this.windows.end();
    }
    this.count(result, nan.n, nowMs, source);
    return result;
  }

  appendSeries(batch: SeriesBatch, source: string = this.source): AppendResult {
    const result: AppendResult = { accepted: 0, refused: 0, duplicate: 0 };
    const nowMs = this.clock.nowMs();
    const nan = { n: 0 };
    const { offsets, timestamps, values, stale } = batch;
    for (let s = 0; s < batch.count; s++) {
      const from = offsets[s] as number;
      const to = offsets[s + 1] as number;
      if (to === from) continue;
      const i = this.numberFor(batch.keys[s] as string, batch.labels[s] as Labels, nowMs, to - from);
      if (i < 0) {
        result.refused += to - from;
        continue;
      }
      this.windows.begin(i);
      for (let j = from; j < to; j++) this.add(i, timestamps[j] as number, values[j] as number, stale[j] === 1, nowMs, result, nan);
      this.windows.end();
    }
    this.count(result, nan.n, nowMs, source);
    return result;
  }

  private add(i: number, timestampMs: number, value: number, stale: boolean, nowMs: number, result: AppendResult, nan: { n: number }): void {
    this.lastSeenAtMs[i] = nowMs;
    if (timestampMs <= (this.lastTimestampMs[i] as number)) {
      result.duplicate++;
      return;
    }
    if (stale) {
      this.flags[i] = (this.flags[i] as number) | ENDED;
      this.lastTimestampMs[i] = timestampMs;
      result.accepted++;
      return;
    }
    if (Number.isNaN(value)) {
      nan.n++;
      return;
    }
    this.windows.append(timestampMs, value); // the caller opened series i with windows.begin()
    this.lastTimestampMs[i] = timestampMs;
    this.newPoints[i] = (this.newPoints[i] as number) + 1;
    const flags = this.flags[i] as number;
    if ((flags & DIRTY) === 0) this.dirtyList.push(i);
    this.flags[i] = (flags & ~ENDED) | DIRTY;
    result.accepted++;
  }

  private count(result: AppendResult, nan: number, nowMs: number, source: string): void {
    if (result.accepted > 0) this.metrics.ingestSamples.inc({ source }, result.accepted);
    if (result.refused > 0) {
      this.metrics.ingestDropped.inc({ source, reason: 'series_limit' }, result.refused);
      this.refusedSinceLog += result.refused;
      const every = this.options.refusedLogIntervalMs ?? 60_000;
      if (nowMs - this.lastRefusedLogMs >= every) {
        this.logger?.warn(
          { refusedSamples: this.refusedSinceLog, maxSeries: this.options.maxSeries, active: this.index.size },
          'series cap reached: samples of new series are refused (raise series.maxSeries or reduce cardinality)',
        );
        this.lastRefusedLogMs = nowMs;
        this.refusedSinceLog = 0;
      }
    }
    if (result.duplicate > 0) this.metrics.ingestDropped.inc({ source, reason: 'duplicate' }, result.duplicate);
    if (nan > 0) this.metrics.ingestDropped.inc({ source, reason: 'nan' }, nan);
    this.metrics.seriesActive.set(this.index.size);
  }

  /** The number of the series `key`, created when new and under the cap (else −1; `samples` counts the refusal). */
  private numberFor(key: string, labels: Labels, nowMs: number, samples: number): number {
    const known = this.index.get(key);
    if (known !== undefined) return known;
    if (this.index.size >= this.options.maxSeries) {
      this.metrics.seriesRefused.inc(samples);
      return -1;
    }
    const i = this.freeNumbers.pop() ?? this.keys.length;
    if (i === this.keys.length) this.reserve(i + 1);
    // Keys arrive flat (seriesKey builds them with join) and are kept as they are: a decoder that
    // hands the same string object again gets an identity match in the map.
    this.keys[i] = key;
    this.labelSets[i] = this.interner.labels(labels);
    this.lastTimestampMs[i] = -Infinity;
    this.lastSeenAtMs[i] = nowMs;
    this.flags[i] = 0;
    this.newPoints[i] = 0;
    this.index.set(key, i);
    return i;
  }

  private reserve(n: number): void {
    this.windows.reserve(n);
    if (n <= this.flags.length) return;
    const cap = Math.max(n, this.flags.length * 2, 1024);
    const ts = new Float64Array(cap);
    ts.set(this.lastTimestampMs);
    this.lastTimestampMs = ts;
    const seen = new Float64Array(cap);
    seen.set(this.lastSeenAtMs);
    this.lastSeenAtMs = seen;
    const newPoints = new Uint32Array(cap);
    newPoints.set(this.newPoints);
    this.newPoints = newPoints;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
  }

  private view(i: number): SeriesView {
    const labels = this.labelSets[i] as Labels;
    return {
      key: this.keys[i] as string,
      labels,
      metric: labels.__name__ ?? '',
      service: serviceOf(labels),
      points: this.windows.points(i),
      lastTimestampMs: this.lastTimestampMs[i] as number,
      newPoints: this.newPoints[i] as number,
      ended: ((this.flags[i] as number) & ENDED) !== 0,
    };
  }

  /** Series that received samples since the last call, ready to be scored. */
  takeDirty(): SeriesView[] {
    const out: SeriesView[] = [];
    const list = this.dirtyList;
    this.dirtyList = [];
    for (const i of list) {
      const flags = this.flags[i] as number;
      if ((flags & DIRTY) === 0) continue; // listed twice, or removed since
      this.flags[i] = flags & ~DIRTY;
      out.push(this.view(i));
      this.newPoints[i] = 0;
    }
    return out;
  }

  get(key: string): SeriesView | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.view(i);
  }

  *all(): IterableIterator<SeriesView> {
    for (const i of this.index.values()) yield this.view(i);
  }

  /**
   * Whether a series can be scored: `ended` (stale marker), `stale` (no sample for staleGapMs),
   * `insufficient_data` (fewer than minPoints points), else `ok`.
   */
  stateOf(view: SeriesView, nowMs = this.clock.nowMs()): SeriesState {
    if (view.ended) return 'ended';
    const i = this.index.get(view.key);
    const gap = this.options.staleGapMs ?? Math.min(this.options.staleAfterMs, 120_000);
    if (i !== undefined && nowMs - (this.lastSeenAtMs[i] as number) > gap) return 'stale';
    if (view.points < (this.options.minPoints ?? 20)) return 'insufficient_data';
    return 'ok';
  }

  /** True when the series is too short or too old to score (evidence is insufficient, neither healthy nor anomalous). */
  insufficient(view: SeriesView, nowMs?: number): boolean {
    return this.stateOf(view, nowMs) !== 'ok';
  }

  /** Values (and timestamps) in time order, oldest first: exactly the last windowPoints accepted. */
  window(key: string): { values: Float64Array; timestamps: Float64Array } {
    return this.windows.read(this.numberOf(key));
  }

  /**
   * The newest min(points, maxPoints) samples of a series written into `timestamps` / `values` at `at`
   * (oldest first, as window() gives them); returns how many. For callers that read many series per
   * cycle into one buffer.
   */
  windowTail(key: string, maxPoints: number, timestamps: Float64Array, values: Float64Array, at: number): number {
    return this.windows.readTail(this.numberOf(key), maxPoints, timestamps, values, at);
  }

  /** The series' number; an unknown key is a 404 AppError. */
  private numberOf(key: string): number {
    const i = this.index.get(key);
    if (i === undefined) throw new AppError('series_not_found', `no series ${key}`, { httpStatus: 404 });
    return i;
  }

  /** Drop series not seen for staleAfterMs; returns how many were removed. */
  sweep(): number {
    const cutoff = this.clock.nowMs() - this.options.staleAfterMs;
    let removed = 0;
    for (const [key, i] of this.index) {
      if ((this.lastSeenAtMs[i] as number) >= cutoff) continue;
      this.index.delete(key);
      this.windows.clear(i);
      this.keys[i] = '';
      this.labelSets[i] = undefined;
      this.flags[i] = 0;
      this.newPoints[i] = 0;
      this.freeNumbers.push(i);
      removed++;
    }
    this.metrics.seriesActive.set(this.index.size);
    return removed;
  }

  /** Memory of the compressed windows (for benchmarks and the docs' sizing figures). */
  windowStats(): ReturnType<CompressedWindows['stats']> {
    return this.windows.stats();
  }
}
