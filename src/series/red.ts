import type { Clock } from '../lib/clock.js';
import type { Labels, Sample, SampleSink } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import {
  SPAN_KIND_CONSUMER,
  SPAN_KIND_SERVER,
  STATUS_ERROR,
  attrNumber,
  attrString,
  type Attribute,
  type ConsumeResult,
  type OtlpSpan,
  type OtlpTraces,
  type SpanConsumer,
} from '../ingest/otlp/types.js';

/**
 * Traces → RED series. Spans that represent a request (SERVER or CONSUMER spans, and root spans)
 * are bucketed per (service, operation, version) and per step by their end time; when a step is
 * complete (end + grace passed) it is emitted into the SampleSink as ordinary samples:
 *
 *   aiopsd_trace_request_rate{service,operation[,version]}            requests per second
 *   aiopsd_trace_error_ratio{...}                                      errors / requests (0..1)
 *   aiopsd_trace_latency_seconds{...,quantile="0.5"|"0.95"|"0.99"}     duration quantiles
 *
 * A key that received spans keeps emitting rate 0 for `idleSteps` empty steps (a drop to zero is
 * a signal), then is forgotten. Memory is bounded: at most `maxKeys` keys, at most
 * `maxLatencySamples` durations per key and step (uniform reservoir beyond), and a bounded LRU of
 * (trace id, span id) so a span delivered twice (exporter retry, Jaeger poll overlap) counts once.
 */
export interface RedOptions {
  /** Step (bucket) length. Default 10 s. */
  readonly stepMs: number;
  /** How long after a step ends late spans are still counted in it. Default one step. */
  readonly graceMs: number;
  /** Cap on tracked (service, operation, version) keys; spans of new keys beyond it are dropped and counted. */
  readonly maxKeys: number;
  /** Remembered (trace id, span id) pairs for de-duplication. */
  readonly dedupeCapacity: number;
  /** Durations kept per key and step for the quantiles. */
  readonly maxLatencySamples: number;
  /** Empty steps a key keeps reporting rate 0 before it is dropped. */
  readonly idleSteps: number;
}

export const DEFAULT_RED_OPTIONS: RedOptions = {
  stepMs: 10_000,
  graceMs: 10_000,
  maxKeys: 10_000,
  dedupeCapacity: 200_000,
  maxLatencySamples: 1024,
  idleSteps: 6,
};

export const RED_RATE = 'aiopsd_trace_request_rate';
export const RED_ERRORS = 'aiopsd_trace_error_ratio';
export const RED_LATENCY = 'aiopsd_trace_latency_seconds';
const QUANTILES: ReadonlyArray<readonly [number, string]> = [[0.5, '0.5'], [0.95, '0.95'], [0.99, '0.99']];

interface Bucket {
  count: number;
  errors: number;
  durations: number[];
}

interface KeyState {
  readonly labels: Labels;
  readonly buckets: Map<number, Bucket>;
  /** Start of the next step to emit. */
  nextEmit: number;
  /** Start of the newest step with data. */
  lastData: number;
}

/** Bounded insertion-ordered set: the oldest entry goes first; a hit refreshes the entry. */
export class SpanLru {
  private readonly seen = new Map<string, true>();
  constructor(private readonly capacity: number) {}

  /** True when `id` was seen before (and refreshes it); otherwise records it and returns false. */
  check(id: string): boolean {
    if (this.seen.has(id)) {
      this.seen.delete(id);
      this.seen.set(id, true);
      return true;
    }
    this.seen.set(id, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface RedStats {
  spans: number;
  counted: number;
  duplicates: number;
  late: number;
  keyLimit: number;
  ignored: number;
}

const NS_PER_MS = 1_000_000n;

/** Picks the version label: service.version, version, then canary (true → "canary", false → "stable"). */
export function versionOf(span: readonly Attribute[], resource: readonly Attribute[]): string | undefined {
  for (const attrs of [span, resource]) {
    const v = attrString(attrs, 'service.version') ?? attrString(attrs, 'version');
    if (v !== undefined && v !== '') return v;
  }
  for (const attrs of [span, resource]) {
    const c = attrString(attrs, 'canary');
    if (c === 'true') return 'canary';
    if (c === 'false') return 'stable';
    if (c !== undefined && c !== '') return c;
  }
  return undefined;
}

export function isErrorSpan(span: OtlpSpan): boolean {
  if (span.statusCode === STATUS_ERROR) return true;
  const code = attrNumber(span.attributes, 'http.response.status_code') ?? attrNumber(span.attributes, 'http.status_code');
  return code !== undefined && code >= 500;
}

function quantile(sorted: readonly number[], q: number): number {
  // Nearest rank on the sorted sample, as Prometheus summaries report it.
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export class RedAggregator implements SpanConsumer {
  readonly options: RedOptions;
  private readonly keys = new Map<string, KeyState>();
  private readonly lru: SpanLru;
  private timer: NodeJS.Timeout | undefined;
  private sink: SampleSink | undefined;
  readonly stats: RedStats = { spans: 0, counted: 0, duplicates: 0, late: 0, keyLimit: 0, ignored: 0 };

  constructor(
    options: Partial<RedOptions>,
    private readonly clock: Clock,
    private readonly metrics?: Metrics,
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_RED_OPTIONS, ...options };
    if (this.options.stepMs <= 0) throw new RangeError('stepMs must be positive');
    this.lru = new SpanLru(this.options.dedupeCapacity);
  }

  get trackedKeys(): number {
    return this.keys.size;
  }

  /**
   * Takes decoded spans. Spans without a service.name resource attribute, without valid ids, or
   * without start/end times are rejected (reported as partial success); the rest are accepted,
   * whether or not they are request spans.
   */
  consume(traces: OtlpTraces): ConsumeResult {
    let accepted = 0;
    let rejected = 0;
    const reasons = new Set<string>();
    const nowMs = this.clock.nowMs();
    for (const rs of traces.resourceSpans) {
      const service = attrString(rs.resource, 'service.name');
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          this.stats.spans++;
          if (service === undefined || service === '') {
            rejected++;
            reasons.add('resource attribute service.name is missing');
            continue;
          }
          if (span.traceId.length !== 32 || span.spanId.length !== 16 || /^0+$/.test(span.traceId) || /^0+$/.test(span.spanId)) {
            rejected++;
            reasons.add('trace_id must be 16 bytes and span_id 8 bytes, not all zero');
            continue;
          }
          if (span.startTimeUnixNano === 0n || span.endTimeUnixNano === 0n || span.endTimeUnixNano < span.startTimeUnixNano) {
            rejected++;
            reasons.add('start_time_unix_nano and end_time_unix_nano must be set, end not before start');
            continue;
          }
          accepted++;
          this.add(service, span, rs.resource, nowMs);
        }
      }
    }
    return { accepted, rejected, errorMessage: [...reasons].join('; ') };
  }

  private add(service: string, span: OtlpSpan, resource: readonly Attribute[], nowMs: number): void {
    const isRequest = span.kind === SPAN_KIND_SERVER || span.kind === SPAN_KIND_CONSUMER || span.parentSpanId === '';
    if (!isRequest) {
      this.stats.ignored++;
      return;
    }
    if (this.lru.check(span.traceId + span.spanId)) {
      this.stats.duplicates++;
      this.metrics?.ingestDropped.inc({ source: 'traces', reason: 'duplicate' });
      return;
    }
    const endMs = Number(span.endTimeUnixNano / NS_PER_MS);
    const durationS = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
    const { stepMs } = this.options;
    const bucketStart = Math.floor(endMs / stepMs) * stepMs;
    const version = versionOf(span.attributes, resource);
    const keyId = version === undefined ? `${service}\u0000${span.name}` : `${service}\u0000${span.name}\u0000${version}`;
    let key = this.keys.get(keyId);
    if (!key) {
      if (bucketStart + stepMs + this.options.graceMs <= nowMs) {
        this.late();
        return;
      }
      if (this.keys.size >= this.options.maxKeys) {
        this.stats.keyLimit++;
        this.metrics?.ingestDropped.inc({ source: 'traces', reason: 'key_limit' });
        return;
      }
      const labels: Record<string, string> = { service, operation: span.name };
      if (version !== undefined) labels.version = version;
      key = { labels: Object.freeze(labels), buckets: new Map(), nextEmit: bucketStart, lastData: bucketStart };
      this.keys.set(keyId, key);
    }
    if (bucketStart < key.nextEmit) {
      this.late();
      return;
    }
    let bucket = key.buckets.get(bucketStart);
    if (!bucket) {
      bucket = { count: 0, errors: 0, durations: [] };
      key.buckets.set(bucketStart, bucket);
    }
    bucket.count++;
    if (isErrorSpan(span)) bucket.errors++;
    if (bucket.durations.length < this.options.maxLatencySamples) bucket.durations.push(durationS);
    else {
      // Reservoir sampling (Algorithm R): every duration has the same chance to be kept.
      const j = Math.floor(this.random() * bucket.count);
      if (j < this.options.maxLatencySamples) bucket.durations[j] = durationS;
    }
    if (bucketStart > key.lastData) key.lastData = bucketStart;
    this.stats.counted++;
  }

  private late(): void {
    this.stats.late++;
    this.metrics?.ingestDropped.inc({ source: 'traces', reason: 'late' });
  }

  /**
   * Emits every step that ended at least `graceMs` before `nowMs` (timestamp = step end). Returns
   * the samples (also appended to the sink when one is given).
   */
  flush(sink?: SampleSink, nowMs = this.clock.nowMs()): Sample[] {
    const out: Sample[] = [];
    const { stepMs, graceMs, idleSteps } = this.options;
    const stepS = stepMs / 1000;
    for (const [id, key] of this.keys) {
      while (key.nextEmit + stepMs + graceMs <= nowMs) {
        const start = key.nextEmit;
        const ts = start + stepMs;
        const bucket = key.buckets.get(start);
        if (bucket) {
          key.buckets.delete(start);
          out.push({ labels: { __name__: RED_RATE, ...key.labels }, timestampMs: ts, value: bucket.count / stepS });
          out.push({ labels: { __name__: RED_ERRORS, ...key.labels }, timestampMs: ts, value: bucket.errors / bucket.count });
          const sorted = bucket.durations.sort((a, b) => a - b);
          for (const [q, ql] of QUANTILES) {
            out.push({ labels: { __name__: RED_LATENCY, ...key.labels, quantile: ql }, timestampMs: ts, value: quantile(sorted, q) });
          }
        } else if (start - key.lastData <= idleSteps * stepMs) {
          out.push({ labels: { __name__: RED_RATE, ...key.labels }, timestampMs: ts, value: 0 });
        } else if (key.buckets.size === 0) {
          // Idle for longer than idleSteps: forget the key (it comes back with its next span).
          this.keys.delete(id);
          break;
        } else {
          // Skip the silent gap up to the next step that has data.
          key.nextEmit = Math.min(...key.buckets.keys());
          continue;
        }
        key.nextEmit = start + stepMs;
      }
    }
    if (sink && out.length > 0) sink.append(out);
    return out;
  }

  /** Flushes every `stepMs` into `sink` until stopped or `signal` aborts. */
  start(sink: SampleSink, signal?: AbortSignal): void {
    this.sink = sink;
    this.stop();
    this.timer = setInterval(() => this.flush(this.sink), Math.max(250, Math.min(this.options.stepMs, 5000)));
    this.timer.unref();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
