import type { Clock } from '../lib/clock.js';
import { seriesKey, serviceOf } from '../domain/labels.js';
import type { AppendResult, Labels, Sample, SampleSink } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import { AppError } from '../lib/errors.js';

export interface SeriesStoreOptions {
  readonly windowPoints: number;
  readonly maxSeries: number;
  readonly staleAfterMs: number;
}

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

/** One series: timestamps and values in two parallel ring buffers. */
class SeriesEntry implements SeriesView {
  readonly metric: string;
  readonly service: string | undefined;
  readonly values: Float64Array;
  readonly timestamps: Float64Array;
  head = 0; // next write position
  points = 0;
  lastTimestampMs = -Infinity;
  lastSeenAtMs: number;
  ended = false;
  dirty = false;

  constructor(
    readonly key: string,
    readonly labels: Labels,
    capacity: number,
    nowMs: number,
  ) {
    this.metric = labels.__name__ ?? '';
    this.service = serviceOf(labels);
    this.values = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.lastSeenAtMs = nowMs;
  }

  push(timestampMs: number, value: number): void {
    this.values[this.head] = value;
    this.timestamps[this.head] = timestampMs;
    this.head = (this.head + 1) % this.values.length;
    if (this.points < this.values.length) this.points++;
    this.lastTimestampMs = timestampMs;
  }
}

/**
 * Bounded in-memory store of recent windows, one ring buffer per series. Re-sent samples
 * (same series, timestamp not newer than the last one) are counted as duplicates and change
 * nothing, so a sender's retry is harmless.
 */
export class SeriesStore implements SampleSink {
  private readonly series = new Map<string, SeriesEntry>();

  constructor(
    private readonly options: SeriesStoreOptions,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly source = 'remote_write',
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
    this.count(result, nan);
    return result;
  }

  private count(result: AppendResult, nan: number): void {
    if (result.accepted > 0) this.metrics.ingestSamples.inc({ source: this.source }, result.accepted);
    if (result.refused > 0) this.metrics.ingestDropped.inc({ source: this.source, reason: 'series_limit' }, result.refused);
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
    entry = new SeriesEntry(key, Object.freeze({ ...labels }), this.options.windowPoints, nowMs);
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

  /** Values (and timestamps) in time order, oldest first; `out` is reused when large enough. */
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
