import type { Logger } from '../telemetry/logger.js';
import { compressBlock } from '../ingest/remote-write/snappy.js';
import { encodeWriteRequestV1, type TimeSeriesV1Input } from '../ingest/remote-write/encode.js';
import { encodeTracesJson, encodeTracesProto } from '../ingest/otlp/encode.js';
import type { OtlpTraces } from '../ingest/otlp/types.js';
import { errorMessage } from '../lib/errors.js';

/** Where the simulated services send: aiopsd's own receivers, as a Prometheus and an OTel SDK would. */
export interface EmitterOptions {
  readonly baseUrl: string;
  readonly logger: Logger;
  /** OTLP encoding: protobuf (the SDK default) or JSON. Default proto. */
  readonly otlpFormat?: 'proto' | 'json';
}

/**
 * Sends one tick of the demo's telemetry: metrics as a snappy-compressed remote_write 1.0 request to
 * POST /api/v1/write, spans as OTLP/HTTP to POST /v1/traces. Failures are logged, never thrown, so
 * a slow daemon cannot stop the simulation.
 */
export class DemoEmitter {
  sent = { writes: 0, traces: 0, failures: 0 };

  constructor(private readonly options: EmitterOptions) {}

  async send(series: TimeSeriesV1Input[], traces: OtlpTraces): Promise<void> {
    await Promise.all([this.write(series), this.trace(traces)]);
  }

  private async write(series: TimeSeriesV1Input[]): Promise<void> {
    const body = compressBlock(encodeWriteRequestV1({ timeseries: series }));
    await this.post('/api/v1/write', body, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' }, 'writes');
  }

  private async trace(traces: OtlpTraces): Promise<void> {
    const json = this.options.otlpFormat === 'json';
    const body = json ? encodeTracesJson(traces) : encodeTracesProto(traces);
    await this.post('/v1/traces', body, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' }, 'traces');
  }

  private async post(path: string, body: Buffer, headers: Record<string, string>, counter: 'writes' | 'traces'): Promise<void> {
    try {
      const res = await fetch(`${this.options.baseUrl}${path}`, { method: 'POST', headers, body });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer().catch(() => undefined);
      this.sent[counter]++;
    } catch (err) {
      this.sent.failures++;
      this.options.logger.warn({ path, err: errorMessage(err) }, 'demo: sending telemetry failed');
    }
  }
}

