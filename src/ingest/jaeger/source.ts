import type { Clock } from '../../lib/clock.js';
import { errorMessage } from '../../lib/errors.js';
import type { SampleSink } from '../../domain/types.js';
import { tracesFromJson } from '../otlp/decode-json.js';
import type { OtlpTraces, SpanConsumer } from '../otlp/types.js';
import { HealthTracker, backoffDelay, type IngestMetrics, type Source, type SourceHealth } from '../source.js';
import { legacyTracesToOtlp } from './legacy.js';

export interface JaegerSourceOptions {
  /** Jaeger query base URL, e.g. http://jaeger-query:16686 */
  readonly url: string;
  /** Services to poll; empty = every service Jaeger lists. */
  readonly services: readonly string[];
  readonly pollIntervalMs: number;
  /** First window looks back this far. */
  readonly lookbackMs: number;
  /** Each window starts this much before the previous one ended (late-indexed spans); repeats are de-duplicated. */
  readonly overlapMs: number;
  /** Traces per query (query.num_traces / limit). */
  readonly limit: number;
  readonly timeoutMs: number;
  /** Extra request headers (e.g. Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly backoff?: { baseMs: number; maxMs: number };
}

export const DEFAULT_JAEGER_OPTIONS: Omit<JaegerSourceOptions, 'url'> = {
  services: [],
  pollIntervalMs: 10_000,
  lookbackMs: 60_000,
  overlapMs: 10_000,
  limit: 1000,
  timeoutMs: 10_000,
};

export type JaegerApi = 'v3' | 'legacy';

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    url: string,
  ) {
    super(`GET ${url}: HTTP ${status} ${body.slice(0, 200)}`);
  }
}

/**
 * Polls a Jaeger query service per service with a moving window and hands the spans to a
 * SpanConsumer (the RED aggregator, which de-duplicates spans already seen). Uses the stable
 * /api/v3 (OTLP JSON) API and falls back to the older /api/traces JSON when /api/v3 is absent.
 * Note: Jaeger's v3 gateway answers a search with no result as 404 "No traces found"; that is
 * an empty result, not a missing API (the API is detected on /api/v3/services).
 */
export class JaegerSource implements Source {
  readonly name: string;
  readonly options: JaegerSourceOptions;
  private readonly tracker: HealthTracker;
  private api: JaegerApi | undefined;
  private readonly windowEnd = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Spans handed to the consumer (tests, /readyz detail). */
  spansFetched = 0;

  constructor(
    options: Partial<JaegerSourceOptions> & { url: string },
    private readonly consumer: SpanConsumer,
    private readonly clock: Clock,
    metrics?: IngestMetrics,
    private readonly logger?: { warn(obj: object, msg: string): void },
    name = 'jaeger',
  ) {
    this.options = { ...DEFAULT_JAEGER_OPTIONS, ...options, url: options.url.replace(/\/+$/, '') };
    this.name = name;
    this.tracker = new HealthTracker(name, metrics?.sourceUp);
  }

  health(): SourceHealth {
    return this.tracker.get();
  }

  get detectedApi(): JaegerApi | undefined {
    return this.api;
  }

  /** The sink is not used: spans go to the SpanConsumer given to the constructor, which emits RED samples. */
  start(_sink?: SampleSink, signal?: AbortSignal): void {
    if (!this.stopped) return;
    this.stopped = false;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce().then(
        () => this.schedule(this.options.pollIntervalMs),
        () => this.schedule(backoffDelay(this.health().failures, this.options.backoff ?? { baseMs: 1000, maxMs: 60_000 })),
      );
    }, delayMs);
    this.timer.unref();
  }

  /** One poll of every service; resolves with the spans fetched, rejects (and marks the source down) on failure. */
  async pollOnce(): Promise<number> {
    this.abort = new AbortController();
    try {
      const services = this.options.services.length > 0 ? [...this.options.services] : await this.listServices();
      let total = 0;
      const now = this.clock.nowMs();
      for (const service of services) {
        const last = this.windowEnd.get(service);
        const start = last === undefined ? now - this.options.lookbackMs : Math.max(now - this.options.lookbackMs, last - this.options.overlapMs);
        const traces = await this.fetchTraces(service, start, now);
        this.windowEnd.set(service, now);
        let n = 0;
        for (const rs of traces.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
        if (n > 0) this.consumer.consume(traces);
        total += n;
      }
      this.spansFetched += total;
      this.tracker.success(this.clock.nowMs());
      return total;
    } catch (err) {
      const failures = this.tracker.failure(errorMessage(err));
      if (failures === 1 || failures % 10 === 0) this.logger?.warn({ source: this.name, failures, err: errorMessage(err) }, 'jaeger source down');
      throw err;
    }
  }

  private async get(path: string): Promise<unknown> {
    const url = `${this.options.url}${path}`;
    const signal = AbortSignal.any([this.abort!.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    const res = await fetch(url, { headers: { accept: 'application/json', ...this.options.headers }, signal });
    const text = await res.text();
    if (!res.ok) throw new HttpStatusError(res.status, text, url);
    return parseJsonOrNdjson(text);
  }

  async listServices(): Promise<string[]> {
    if (this.api !== 'legacy') {
      try {
        const body = (await this.get('/api/v3/services')) as { services?: unknown };
        this.api = 'v3';
        return Array.isArray(body.services) ? body.services.filter((s): s is string => typeof s === 'string') : [];
      } catch (err) {
        if (!(err instanceof HttpStatusError && err.status === 404)) throw err;
        this.api = 'legacy';
      }
    }
    const body = (await this.get('/api/services')) as { data?: unknown };
    return Array.isArray(body.data) ? body.data.filter((s): s is string => typeof s === 'string') : [];
  }

  private async fetchTraces(service: string, startMs: number, endMs: number): Promise<OtlpTraces> {
    if (this.api !== 'legacy') {
      const q = new URLSearchParams({
        'query.service_name': service,
        'query.start_time_min': new Date(startMs).toISOString(),
        'query.start_time_max': new Date(endMs).toISOString(),
        'query.search_depth': String(this.options.limit),
        'query.num_traces': String(this.options.limit),
      });
      try {
        const body = await this.get(`/api/v3/traces?${q}`);
        this.api = 'v3';
        return mergeV3(body);
      } catch (err) {
        if (!(err instanceof HttpStatusError && err.status === 404)) throw err;
        if (/no traces found|not.?found/i.test(err.body) && /"error"|"message"/.test(err.body)) return { resourceSpans: [] };
        this.api = 'legacy';
      }
    }
    const q = new URLSearchParams({ service, start: String(startMs * 1000), end: String(endMs * 1000), limit: String(this.options.limit) });
    return legacyTracesToOtlp(await this.get(`/api/traces?${q}`));
  }
}

/** v3 answers `{result: {resourceSpans}}`, sometimes as several such objects (a gRPC-gateway stream). */
function mergeV3(body: unknown): OtlpTraces {
  const chunks = Array.isArray(body) ? body : [body];
  const resourceSpans = [];
  for (const chunk of chunks) {
    const result = chunk && typeof chunk === 'object' && 'result' in chunk ? (chunk as { result: unknown }).result : chunk;
    resourceSpans.push(...tracesFromJson(result ?? {}).resourceSpans);
  }
  return { resourceSpans };
}

function parseJsonOrNdjson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return lines.map((l) => JSON.parse(l) as unknown);
  }
}
