import { compressBlock } from '../../src/ingest/remote-write/snappy.js';
import { encodeWriteRequestV1 } from '../../src/ingest/remote-write/encode.js';

/** A series of points with a clear spike at the end (normal values with small noise). */
export function spikeSeries(opts: { points: number; spikeAt: number; startMs: number; stepMs: number; base?: number; spike?: number }): Array<{ value: number; timestamp: number }> {
  const base = opts.base ?? 100;
  const out: Array<{ value: number; timestamp: number }> = [];
  for (let i = 0; i < opts.points; i++) {
    const noise = Math.sin(i * 1.7) * base * 0.02;
    out.push({ value: i === opts.spikeAt ? (opts.spike ?? base * 10) : base + noise, timestamp: opts.startMs + i * opts.stepMs });
  }
  return out;
}

export function remoteWriteBody(series: Array<{ labels: Record<string, string>; samples: Array<{ value: number; timestamp: number }> }>): Buffer {
  return compressBlock(
    encodeWriteRequestV1({
      timeseries: series.map((s) => ({ labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })), samples: s.samples })),
    }),
  );
}

export const REMOTE_WRITE_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};
