/**
 * aiopsd's side of bench/ingest/run.ts, in its own process (like Prometheus): the production
 * handlers (remote_write → SeriesStore, OTLP → RED aggregator) behind express on a loopback port.
 * Prints `{"port":N}` when listening; GET /bench/stats answers what the sink accepted and dropped;
 * exits on SIGTERM (so `node --cpu-prof` writes its profile).
 */
import express from 'express';
import type { AppendResult, SampleSink } from '../../src/domain/types.js';
import { createRemoteWriteHandler } from '../../src/ingest/remote-write/index.js';
import { createOtlpTracesHandler } from '../../src/ingest/otlp/index.js';
import { RedAggregator } from '../../src/series/red.js';
import { SeriesStore } from '../../src/series/store.js';
import { systemClock } from '../../src/lib/clock.js';
import { createTestMetrics } from '../../src/telemetry/metrics.js';
import { listen } from '../../test/integration/ingest/listen.js';

const store = new SeriesStore({ windowPoints: 240, maxSeries: 1_000_000, staleAfterMs: 3_600_000 }, systemClock, createTestMetrics());
const stats = { accepted: 0, refused: 0, duplicate: 0 };
const tally = (r: AppendResult): AppendResult => {
  stats.accepted += r.accepted;
  stats.refused += r.refused;
  stats.duplicate += r.duplicate;
  return r;
};
// Counts what the store answers; forwards the series-batch form when the store has it.
const sink = Object.assign(
  { append: (samples: Parameters<SampleSink['append']>[0]) => tally(store.append(samples)) },
  'appendSeries' in store
    ? { appendSeries: (batch: never) => tally((store as unknown as { appendSeries(b: never): AppendResult }).appendSeries(batch)) }
    : {},
) as SampleSink;
let red = new RedAggregator({ dedupeCapacity: 1_000_000 }, systemClock);

const app = express();
app.post('/api/v1/write', createRemoteWriteHandler({ sink, metrics: createTestMetrics(), maxBodyBytes: 16 << 20, maxDecodedBytes: 64 << 20 }));
app.post('/v1/traces', createOtlpTracesHandler({ consumer: { consume: (t) => red.consume(t) }, metrics: createTestMetrics(), maxBodyBytes: 16 << 20, maxDecodedBytes: 64 << 20 }));
app.get('/bench/stats', (_req, res) => {
  res.json({ ...stats, series: store.size, spans: red.stats.spans, counted: red.stats.counted, duplicates: red.stats.duplicates });
});
app.post('/bench/reset-red', (_req, res) => {
  red = new RedAggregator({ dedupeCapacity: 1_000_000 }, systemClock);
  res.status(204).end();
});
const srv = await listen(app);
process.stdout.write(`${JSON.stringify({ port: srv.port })}\n`);
process.on('SIGTERM', () => {
  void srv.close().then(() => process.exit(0));
});
