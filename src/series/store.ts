import type { Clock } from '../lib/clock.js';
import { seriesKey, serviceOf } from '../domain/labels.js';
import type { AppendResult, Labels, Sample, SampleSink } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import { AppError } from '../lib/errors.js';
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
  /** A stale marker arrived: the series ended. Its data is insufficient evidence, not healthy. */
  readonly ended: boolean;
}

const INITIAL_CAPACITY = 8;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * One series: timestamps and values in two parallel ring buffers. Buffers start small and double up
 * to `windowPoints`, so a series that has seen few points costs little. Both are stored compactly
 * while that loses nothing, and widened for good the first time it would:
 *  - values as Float32 while every value is exactly a float32 (counters, integer gauges, many ratios
 *    of small integers), else Float64;
 *  - timestamps as Int32 milliseconds from `tsBase` while they are integers within ±24.8 days of it
 *    (rebased when they move on), else Float64.
 * window() returns exactly the values and timestamps that were pushed.
 */
class SeriesEntry implements SeriesView {
  readonly metric: string;
  readonly service: string | undefined;
  values: Float32Array | Float64Array;
  timestamps: Int32Array | Float64Array;
  /** Added to Int32 timestamps; 0 (unused) once they are Float64. */
  tsBase = 0;
  head = 0; // next write position
  points = 0;
  lastTimestampMs = -Infinity;
  lastSeenAtMs: number;
  ended = false;
  dirty = false;

  constructor(
    readonly key: string,
    readonly labels: Labels,
    private readonly maxPoints: number,
    nowMs: number,
  ) {
    this.metric = labels.__name__ ?? '';
    this.service = serviceOf(labels);
    const cap = Math.min(INITIAL_CAPACITY, maxPoints);
    this.values = new Float32Array(cap);
    this.timestamps = new Int32Array(cap);
    this.lastSeenAtMs = nowMs;
  }

  push(timestampMs: number, value: number): void {
    if (this.points === this.values.length && this.values.length < this.maxPoints) this.grow();
    if (this.values instanceof Float32Array && Math.fround(value) !== value) this.values = Float64Array.from(this.values);
    const ts = this.timestamps;
    if (ts instanceof Int32Array) {
      if (this.points === 0) this.tsBase = timestampMs;
      let offset = timestampMs - this.tsBase;
      if (!(offset >= INT32_MIN && offset <= INT32_MAX && Number.isInteger(offset) && this.tsBase + offset === timestampMs)) offset = this.rebase(timestampMs);
      if (this.timestamps instanceof Int32Array) this.timestamps[this.head] = offset;
      else this.timestamps[this.head] = timestampMs;
    } else {
      ts[this.head] = timestampMs;
    }
    this.values[this.head] = value;
    this.head = (this.head + 1) % this.values.length;
    if (this.points < this.values.length) this.points++;
    this.lastTimestampMs = timestampMs;
  }

  /** Timestamp of ring slot `j`. */
  timestampAt(j: number): number {
    const ts = this.timestamps;
    return ts instanceof Int32Array ? this.tsBase + (ts[j] as number) : (ts[j] as number);
  }

  /**
   * `timestampMs` does not fit as an Int32 offset: move the base to it when every stored timestamp
   * still fits relative to the new base (returns the new offset, 0), else widen to Float64.
   */
  private rebase(timestampMs: number): number {
    const old = this.timestamps as Int32Array;
    const base = this.tsBase;
    if (Number.isInteger(timestampMs) && Number.isInteger(base)) {
      let fits = true;
      for (let i = 0; i < this.points; i++) {
        const j = (this.head - 1 - i + 2 * old.length) % old.length;
        const offset = base + (old[j] as number) - timestampMs;
        if (offset < INT32_MIN || offset > INT32_MAX) {
          fits = false;
          break;
        }
      }
      if (fits) {
        for (let i = 0; i < this.points; i++) {
          const j = (this.head - 1 - i + 2 * old.length) % old.length;
          old[j] = base + (old[j] as number) - timestampMs;
        }
        this.tsBase = timestampMs;
        return 0;
      }
    }
    const wide = new Float64Array(old.length);
    for (let i = 0; i < old.length; i++) wide[i] = base + (old[i] as number);
    this.timestamps = wide;
    this.tsBase = 0;
    return 0;
  }

  /** Full buffer below the window size: double it, oldest first. */
  private grow(): void {
    const cap = Math.min(this.maxPoints, this.values.length * 2);
    const values = this.values instanceof Float32Array ? new Float32Array(cap) : new Float64Array(cap);
    const timestamps = this.timestamps instanceof Int32Array ? new Int32Array(cap) : new Float64Array(cap);
    const n = this.points;
    const old = this.values.length;
    for (let i = 0; i < n; i++) {
      const j = (this.head + i) % old; // buffer is full: head is the oldest
      values[i] = this.values[j]!;
      timestamps[i] = this.timestamps[j]!;
    }
    this.values = values;
    this.timestamps = timestamps;
    this.head = n;
  }
}

/**
 * Bounded in-memory store of recent windows, one ring buffer per series. Re-sent samples
 * (same series, timestamp not newer than the last one) are counted as duplicates and change
 * nothing, so a sender's retry is harmless. Label strings are interned. New series beyond
 * `maxSeries` are refused: counted in aiopsd_series_refused_total and
 * aiopsd_ingest_dropped_samples_total{reason="series_limit"}, and logged at most once a minute.
 */
export class SeriesStore implements SeriesBatchSink {
  private readonly series = new Map<string, SeriesEntry>();
  private readonly interner = new StringInterner();
  private refusedSinceLog = 0;
  private lastRefusedLogMs = -Infinity;

  constructor(
    private readonly options: SeriesStoreOptions,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly source = 'remote_write',
    private readonly logger?: { warn(obj: object, msg: string): void },
  ) {}

  get size(): number {
    return this.series.size;
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
    let entry: SeriesEntry | undefined;
    for (const sample of samples) {
      if (sample.labels !== lastLabels || entry === undefined) {
        lastLabels = sample.labels;
        entry = this.entryFor(seriesKey(sample.labels), sample.labels, nowMs, 1);
        if (!entry) {
          result.refused++;
          continue;
        }
      }
      this.add(entry, sample.timestampMs, sample.value, sample.stale === true, nowMs, result, nan);
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
      const entry = this.entryFor(batch.keys[s] as string, batch.labels[s] as Labels, nowMs, to - from);
      if (!entry) {
        result.refused += to - from;
        continue;
      }
      for (let i = from; i < to; i++) this.add(entry, timestamps[i] as number, values[i] as number, stale[i] === 1, nowMs, result, nan);
    }
    this.count(result, nan.n, nowMs, source);
    return result;
  }

  private add(entry: SeriesEntry, timestampMs: number, value: number, stale: boolean, nowMs: number, result: AppendResult, nan: { n: number }): void {
    entry.lastSeenAtMs = nowMs;
    if (timestampMs <= entry.lastTimestampMs) {
      result.duplicate++;
      return;
    }
    if (stale) {
      entry.ended = true;
      entry.lastTimestampMs = timestampMs;
      result.accepted++;
      return;
    }
    if (Number.isNaN(value)) {
      nan.n++;
      return;
    }
    entry.ended = false;
    entry.push(timestampMs, value);
    entry.dirty = true;
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
          { refusedSamples: this.refusedSinceLog, maxSeries: this.options.maxSeries, active: this.series.size },
          'series cap reached: samples of new series are refused (raise series.maxSeries or reduce cardinality)',
        );
        this.lastRefusedLogMs = nowMs;
        this.refusedSinceLog = 0;
      }
    }
    if (result.duplicate > 0) this.metrics.ingestDropped.inc({ source, reason: 'duplicate' }, result.duplicate);
    if (nan > 0) this.metrics.ingestDropped.inc({ source, reason: 'nan' }, nan);
    this.metrics.seriesActive.set(this.series.size);
  }

  /** The series for `key`, created when new and under the cap; `samples` counts refusals like one lookup per sample. */
  private entryFor(key: string, labels: Labels, nowMs: number, samples: number): SeriesEntry | undefined {
    let entry = this.series.get(key);
    if (entry) return entry;
    if (this.series.size >= this.options.maxSeries) {
      this.metrics.seriesRefused.inc(samples);
      return undefined;
    }
    const interned = this.interner.labels(labels);
    entry = new SeriesEntry(key, interned, this.options.windowPoints, nowMs);
    this.series.set(key, entry);
    return entry;
  }

  /** Series that received samples since the last call, ready to be scored. */
  takeDirty(): SeriesView[] {
    const out: SeriesView[] = [];
    for (const entry of this.series.values()) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      out.push(entry);
    }
    return out;
  }

  get(key: string): SeriesView | undefined {
    return this.series.get(key);
  }

  all(): IterableIterator<SeriesView> {
    return this.series.values();
  }

  /**
   * Whether a series can be scored: `ended` (stale marker), `stale` (no sample for staleGapMs),
   * `insufficient_data` (fewer than minPoints points), else `ok`.
   */
  stateOf(view: SeriesView, nowMs = this.clock.nowMs()): SeriesState {
    if (view.ended) return 'ended';
    const entry = this.series.get(view.key);
    const gap = this.options.staleGapMs ?? Math.min(this.options.staleAfterMs, 120_000);
    if (entry && nowMs - entry.lastSeenAtMs > gap) return 'stale';
    if (view.points < (this.options.minPoints ?? 20)) return 'insufficient_data';
    return 'ok';
  }

  /** True when the series is too short or too old to score (evidence is insufficient, neither healthy nor anomalous). */
  insufficient(view: SeriesView, nowMs?: number): boolean {
    return this.stateOf(view, nowMs) !== 'ok';
  }

  /** Values (and timestamps) in time order, oldest first. */
  window(key: string): { values: Float64Array; timestamps: Float64Array } {
    const entry = this.series.get(key);
    if (!entry) throw new AppError('series_not_found', `no series ${key}`, { httpStatus: 404 });
    const n = entry.points;
    const cap = entry.values.length;
    const start = (entry.head - n + cap) % cap;
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = (start + i) % cap;
      values[i] = entry.values[j]!;
      timestamps[i] = entry.timestampAt(j);
    }
    return { values, timestamps };
  }

  /** Drop series not seen for staleAfterMs; returns how many were removed. */
  sweep(): number {
    const cutoff = this.clock.nowMs() - this.options.staleAfterMs;
    let removed = 0;
    for (const [key, entry] of this.series) {
      if (entry.lastSeenAtMs < cutoff) {
        this.series.delete(key);
        removed++;
      }
    }
    this.metrics.seriesActive.set(this.series.size);
    return removed;
  }
}
