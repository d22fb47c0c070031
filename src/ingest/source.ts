import { Gauge, type Registry } from 'prom-client';
import type { SampleSink } from '../domain/types.js';

/** What a pull source reports about itself (GET /readyz detail, aiopsd_source_up). */
export interface SourceHealth {
  /** False once a poll failed and until the next one succeeds ("source down"). */
  readonly up: boolean;
  readonly lastError: string | undefined;
  /** Epoch ms of the last successful poll; undefined before the first one. */
  readonly lastSuccessAt: number | undefined;
  /** Consecutive failed polls. */
  readonly failures: number;
}

/**
 * A pull source (Prometheus query API, Jaeger query API): polls its peer on its own timer and writes
 * into a sink. `start` returns once the first poll is scheduled; aborting `signal` or calling
 * `stop` ends polling (an in-flight request is aborted) and the returned promise resolves.
 */
export interface Source {
  readonly name: string;
  start(sink: SampleSink, signal?: AbortSignal): void;
  stop(): Promise<void>;
  health(): SourceHealth;
}

export interface BackoffOptions {
  /** First retry delay. */
  readonly baseMs: number;
  /** Largest delay. */
  readonly maxMs: number;
}

/**
 * Delay before retry `attempt` (1 = first retry): exponential, capped, with "full jitter" in
 * [delay/2, delay] so replicas that failed together do not retry together.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Mutable health record shared by the pull sources. */
export class HealthTracker {
  private state: { up: boolean; lastError: string | undefined; lastSuccessAt: number | undefined; failures: number } = {
    up: false,
    lastError: undefined,
    lastSuccessAt: undefined,
    failures: 0,
  };

  constructor(
    private readonly name: string,
    private readonly gauge: Gauge<'source'> | undefined,
  ) {
    gauge?.set({ source: name }, 0);
  }

  success(nowMs: number): void {
    this.state = { up: true, lastError: undefined, lastSuccessAt: nowMs, failures: 0 };
    this.gauge?.set({ source: this.name }, 1);
  }

  failure(error: string): number {
    this.state = { ...this.state, up: false, lastError: error, failures: this.state.failures + 1 };
    this.gauge?.set({ source: this.name }, 0);
    return this.state.failures;
  }

  get(): SourceHealth {
    return { ...this.state };
  }
}

/** Metrics the ingest sources and the trace receiver export (register them once per registry). */
export function createIngestMetrics(registry: Registry) {
  const r = [registry];
  return {
    sourceUp: new Gauge({ name: 'aiopsd_source_up', help: '1 when the pull source (Prometheus query, Jaeger query) answered its last poll, 0 while it is down.', labelNames: ['source'] as const, registers: r }),
    sourceLastSuccess: new Gauge({ name: 'aiopsd_source_last_success_timestamp_seconds', help: 'Unix time of the last successful poll of a pull source.', labelNames: ['source'] as const, registers: r }),
    spans: new Gauge({ name: 'aiopsd_trace_keys_tracked', help: 'RED keys (service, operation, version) currently tracked by the trace aggregator.', registers: r }),
    alerts: new Gauge({ name: 'aiopsd_alertmanager_dedup_entries', help: 'Entries in the Alertmanager HA de-duplication cache.', registers: r }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
