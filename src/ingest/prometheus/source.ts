import type { Clock } from '../../lib/clock.js';
import { errorMessage } from '../../lib/errors.js';
import type { Labels, Sample, SampleSink } from '../../domain/types.js';
import { HealthTracker, backoffDelay, type IngestMetrics, type Source, type SourceHealth } from '../source.js';

/** Prometheus refuses query_range results with more than 11,000 points per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

export interface PromQueryConfig {
  /** Name of the query; becomes `__name__` when a result has none (e.g. `rate(...)`). */
  readonly name: string;
  /** PromQL expression. */
  readonly query: string;
  /** Resolution step; must not be finer than the scrape interval. */
  readonly stepMs: number;
  /** How often this query is polled. */
  readonly intervalMs: number;
}

export interface PromSourceOptions {
  /** Prometheus base URL, e.g. http://prometheus:9090 */
  readonly url: string;
  readonly queries: readonly PromQueryConfig[];
  /** First poll looks back this far (clamped to 11,000 steps). */
  readonly lookbackMs: number;
  /** The newest `lagMs` are not queried yet (scrapes still landing). */
  readonly lagMs: number;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly backoff?: { baseMs: number; maxMs: number };
}

export const DEFAULT_PROM_OPTIONS: Omit<PromSourceOptions, 'url' | 'queries'> = {
  lookbackMs: 10 * 60_000,
  lagMs: 0,
  timeoutMs: 10_000,
};

interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** Prometheus's string sample values: decimal, "NaN", "+Inf", "-Inf". */
export function parsePromValue(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(s);
  }
}

/** Converts a query_range `matrix` result to samples; a result without `__name__` is named `name`. */
export function matrixToSamples(result: unknown, name: string): Sample[] {
  if (!Array.isArray(result)) throw new Error('query_range: data.result is not an array');
  const out: Sample[] = [];
  for (const series of result as MatrixResult[]) {
    if (!series || typeof series !== 'object' || !Array.isArray(series.values)) throw new Error('query_range: malformed matrix series');
    const labels: Labels = series.metric?.__name__ ? { ...series.metric } : { ...series.metric, __name__: name };
    for (const pair of series.values) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') throw new Error('query_range: malformed [ts, value] pair');
      out.push({ labels, timestampMs: Math.round(Number(pair[0]) * 1000), value: parsePromValue(pair[1]) });
    }
  }
  return out;
}

interface QueryState {
  readonly config: PromQueryConfig;
  /** Last evaluated timestamp (ms), step-aligned. */
  lastEndMs: number | undefined;
  failures: number;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Polls Prometheus's /api/v1/query_range for each configured query on its interval, continuing from
 * where the previous poll ended (step-aligned, so re-polled points are exact duplicates the store
 * ignores). On failure the query backs off exponentially with jitter and the source is down
 * (health().up = false, aiopsd_source_up{source} = 0) until every query has succeeded again.
 */
export class PrometheusQuerySource implements Source {
  readonly name: string;
  readonly options: PromSourceOptions;
  private readonly tracker: HealthTracker;
  private readonly states: QueryState[];
  private sink: SampleSink | undefined;
  private abort = new AbortController();
  private stopped = true;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    options: Partial<PromSourceOptions> & { url: string; queries: readonly PromQueryConfig[] },
    private readonly clock: Clock,
    metrics?: IngestMetrics,
    private readonly logger?: { warn(obj: object, msg: string): void },
    name = 'prometheus',
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_PROM_OPTIONS, ...options, url: options.url.replace(/\/+$/, '') };
    for (const q of this.options.queries) {
      if (!(q.stepMs >= 1)) throw new RangeError(`query ${q.name}: stepMs must be ≥ 1`);
      if (!(q.intervalMs >= 1)) throw new RangeError(`query ${q.name}: intervalMs must be ≥ 1`);
    }
    this.name = name;
    this.tracker = new HealthTracker(name, metrics?.sourceUp);
    this.states = this.options.queries.map((config) => ({ config, lastEndMs: undefined, failures: 0, lastError: undefined, timer: undefined }));
  }

  health(): SourceHealth {
    return this.tracker.get();
  }

  start(sink: SampleSink, signal?: AbortSignal): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.sink = sink;
    this.abort = new AbortController();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    for (const s of this.states) this.schedule(s, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const s of this.states) if (s.timer) clearTimeout(s.timer);
    await Promise.allSettled([...this.inflight]);
  }

  private schedule(state: QueryState, delayMs: number): void {
    if (this.stopped) return;
    state.timer = setTimeout(() => {
      const p = this.poll(state, this.sink!).then(
        () => this.schedule(state, state.config.intervalMs),
        () => this.schedule(state, backoffDelay(state.failures, this.options.backoff ?? { baseMs: 1000, maxMs: 60_000 }, this.random)),
      );
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }, delayMs);
    state.timer.unref();
  }

  /** Polls every query once (tests drive the source with this). */
  async pollAll(sink: SampleSink): Promise<number> {
    let n = 0;
    for (const s of this.states) n += await this.poll(s, sink);
    return n;
  }

  private async poll(state: QueryState, sink: SampleSink): Promise<number> {
    const { stepMs, query, name } = state.config;
    const nowMs = this.clock.nowMs();
    const end = Math.floor((nowMs - this.options.lagMs) / stepMs) * stepMs;
    const earliest = end - (MAX_POINTS_PER_SERIES - 1) * stepMs;
    let start = state.lastEndMs === undefined ? Math.ceil((nowMs - this.options.lookbackMs) / stepMs) * stepMs : state.lastEndMs + stepMs;
    start = Math.max(start, earliest);
    if (start > end) return 0;
    try {
      const params = new URLSearchParams({ query, start: (start / 1000).toString(), end: (end / 1000).toString(), step: (stepMs / 1000).toString() });
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]);
      const res = await fetch(`${this.options.url}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...this.options.headers },
        body: params.toString(),
        signal,
      });
      const text = await res.text();
      let body: { status?: string; data?: { resultType?: string; result?: unknown }; error?: string; errorType?: string };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Error(`query_range ${name}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
      }
      if (!res.ok || body.status !== 'success') throw new Error(`query_range ${name}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? ''}`.trim());
      if (body.data?.resultType !== 'matrix') throw new Error(`query_range ${name}: expected a matrix, got ${String(body.data?.resultType)}`);
      const samples = matrixToSamples(body.data.result, name);
      if (samples.length > 0) sink.append(samples);
      state.lastEndMs = end;
      state.failures = 0;
      state.lastError = undefined;
      if (this.states.every((s) => s.failures === 0)) this.tracker.success(this.clock.nowMs());
      return samples.length;
    } catch (err) {
      state.failures++;
      state.lastError = errorMessage(err);
      const failures = this.tracker.failure(state.lastError);
      if (state.failures === 1 || state.failures % 10 === 0) this.logger?.warn({ source: this.name, query: name, failures, err: state.lastError }, 'prometheus source down');
      throw err;
    }
  }
}
