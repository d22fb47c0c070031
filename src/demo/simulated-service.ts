import type { Logger } from '../telemetry/logger.js';
import { compressBlock } from '../ingest/remote-write/snappy.js';
import { encodeWriteRequestV1, type TimeSeriesV1Input } from '../ingest/remote-write/encode.js';
import { errorMessage } from '../lib/errors.js';

export interface SimulatedServiceOptions {
  readonly writeUrl: string;
  readonly service: string;
  readonly namespace: string;
  readonly logger: Logger;
  /** Seconds between samples (default 1). */
  readonly stepS?: number;
  /** Seconds between latency spikes (default 40). */
  readonly spikeEveryS?: number;
  /** Seed for the noise, so a demo run is repeatable. */
  readonly seed?: number;
}

/**
 * A service that reports its request latency and rate by remote_write, like a Prometheus would:
 * steady with a little noise, and every spikeEveryS seconds a few seconds of 8× latency.
 */
export class SimulatedService {
  readonly spikeEveryS: number;
  private readonly stepS: number;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private rng: () => number;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: SimulatedServiceOptions) {
    this.stepS = options.stepS ?? 1;
    this.spikeEveryS = options.spikeEveryS ?? 40;
    this.rng = mulberry32(options.seed ?? 42);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.inFlight = this.send().catch((err: unknown) => this.options.logger.warn({ err: errorMessage(err) }, 'demo service: remote_write failed'));
    }, this.stepS * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /** One scrape's worth of samples. */
  sample(nowMs: number): TimeSeriesV1Input[] {
    const t = this.tick++;
    const phase = (t * this.stepS) % this.spikeEveryS;
    const spiking = t * this.stepS >= this.spikeEveryS && phase < 5;
    const latency = 0.12 + (this.rng() - 0.5) * 0.02 + (spiking ? 0.9 : 0);
    const rate = 200 + (this.rng() - 0.5) * 20;
    const base = [
      { name: 'service', value: this.options.service },
      { name: 'namespace', value: this.options.namespace },
      { name: 'job', value: 'demo' },
    ];
    return [
      { labels: [{ name: '__name__', value: 'demo_http_request_duration_seconds' }, ...base], samples: [{ value: latency, timestamp: nowMs }] },
      { labels: [{ name: '__name__', value: 'demo_http_requests_per_second' }, ...base], samples: [{ value: rate, timestamp: nowMs }] },
    ];
  }

  private async send(): Promise<void> {
    const body = compressBlock(encodeWriteRequestV1({ timeseries: this.sample(Date.now()) }));
    const res = await fetch(this.options.writeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      body,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  }
}

/** Small seeded PRNG (public domain), enough for repeatable demo noise. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
