import type { Server } from 'node:http';
import express from 'express';
import type { AppendResult, Sample, SampleSink } from '../../../src/domain/types.js';
import { seriesKey } from '../../../src/domain/labels.js';
import { createTestMetrics, type Metrics } from '../../../src/telemetry/metrics.js';
import { createRemoteWriteHandler } from '../../../src/ingest/remote-write/index.js';

/** In-memory sink that records every call and treats (series, timestamp) as the identity. */
export class CollectingSink implements SampleSink {
  readonly calls: Sample[][] = [];
  readonly stored = new Map<string, Sample>();
  /** When set, append() throws it. */
  failWith: unknown = undefined;

  append(samples: readonly Sample[]): AppendResult {
    if (this.failWith !== undefined) throw this.failWith;
    this.calls.push(samples.slice());
    let accepted = 0;
    let duplicate = 0;
    for (const s of samples) {
      const key = `${seriesKey(s.labels)}@${s.timestampMs}`;
      if (this.stored.has(key)) duplicate++;
      else {
        this.stored.set(key, s);
        accepted++;
      }
    }
    return { accepted, refused: 0, duplicate };
  }

  reset(): void {
    this.calls.length = 0;
    this.stored.clear();
    this.failWith = undefined;
  }
}

export interface TestApp {
  app: express.Express;
  sink: CollectingSink;
  metrics: Metrics;
  warnings: Array<{ obj: object; msg: string }>;
}

export const PATH = '/api/v1/write';

export function createTestApp(opts: { maxBodyBytes?: number; maxDecodedBytes?: number } = {}): TestApp {
  const sink = new CollectingSink();
  const metrics = createTestMetrics();
  const warnings: Array<{ obj: object; msg: string }> = [];
  const app = express();
  app.post(
    PATH,
    createRemoteWriteHandler({
      sink,
      metrics,
      maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
      maxDecodedBytes: opts.maxDecodedBytes ?? 8 * 1024 * 1024,
      logger: { warn: (obj, msg) => void warnings.push({ obj, msg }) },
    }),
  );
  return { app, sink, metrics, warnings };
}

export function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export const V1_TYPE = 'application/x-protobuf';
export const V1_TYPE_PROTO = 'application/x-protobuf;proto=prometheus.WriteRequest';
export const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
