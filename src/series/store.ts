import type { Clock } from '../lib/clock.js';
import { seriesKey, serviceOf } from '../domain/labels.js';
import type { AppendResult, Labels, Sample, SampleSink } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import { AppError } from '../lib/errors.js';
import { StringInterner } from './intern.js';

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

/**
 * One series: timestamps and values in two parallel ring buffers (Float64Array). Buffers start
 * small and double up to `windowPoints`, so a series that has seen few points costs little.
 */
class SeriesEntry implements SeriesView {
  readonly metric: string;
  readonly service: string | undefined;
  values: Float64Array;
  timestamps: Float64Array;
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
    this.values = new Float64Array(cap);
    this.timestamps = new Float64Array(cap);
    this.lastSeenAtMs = nowMs;
  }

  push(timestampMs: number, value: number): void {
    if (this.points === this.values.length && this.values.length < this.maxPoints) this.grow();
    this.values[this.head] = value;
    this.timestamps[this.head] = timestampMs;
    this.head = (this.head + 1) % this.values.length;
    if (this.points < this.values.length) this.points++;
    this.lastTimestampMs = timestampMs;
  }

  /** Full buffer below the window size: double it, oldest first. */
  private grow(): void {
    const cap = Math.min(this.maxPoints, this.values.length * 2);
    const values = new Float64Array(cap);
    const timestamps = new Float64Array(cap);
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
export class SeriesStore implements SampleSink {
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

  append(samples: readonly Sample[]): AppendResult {
    const result: AppendResult = { accepted: 0, refused: 0, duplicate: 0 };
    const nowMs = this.clock.nowMs();
    let nan = 0;
    for (const sample of samples) {
      const entry = this.entryFor(sample.labels, nowMs);
      if (!entry) {
        result.refused++;
        continue;
      }
      entry.lastSeenAtMs = nowMs;
      if (sample.timestampMs <= entry.lastTimestampMs) {
        result.duplicate++;
        continue;
      }
      if (sample.stale) {
        entry.ended = true;
        entry.lastTimestampMs = sample.timestampMs;
        result.accepted++;
        continue;
      }
      if (Number.isNaN(sample.value)) {
        nan++;
        continue;
      }
      entry.ended = false;
      entry.push(sample.timestampMs, sample.value);
      entry.dirty = true;
      result.accepted++;
    }
    this.count(result, nan, nowMs);
    return result;
  }

  private count(result: AppendResult, nan: number, nowMs: number): void {
    if (result.accepted > 0) this.metrics.ingestSamples.inc({ source: this.source }, result.accepted);
    if (result.refused > 0) {
      this.metrics.ingestDropped.inc({ source: this.source, reason: 'series_limit' }, result.refused);
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
    if (result.duplicate > 0) this.metrics.ingestDropped.inc({ source: this.source, reason: 'duplicate' }, result.duplicate);
    if (nan > 0) this.metrics.ingestDropped.inc({ source: this.source, reason: 'nan' }, nan);
    this.metrics.seriesActive.set(this.series.size);
  }

  private entryFor(labels: Labels, nowMs: number): SeriesEntry | undefined {
    const key = seriesKey(labels);
    let entry = this.series.get(key);
    if (entry) return entry;
    if (this.series.size >= this.options.maxSeries) {
      this.metrics.seriesRefused.inc();
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
      timestamps[i] = entry.timestamps[j]!;
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
