/**
 * Ingest benchmark. Prints one JSON object:
 *  - remote_write samples/s into aiopsd (the real handler + SeriesStore on a loopback server) and into
 *    Prometheus 2.42's own receiver (--web.enable-remote-write-receiver), same generated requests
 *    (series with 10 labels, 2,000 samples per request, concurrent senders), median of RUNS runs, ratio;
 *  - OTLP spans/s through the /v1/traces handler + RED aggregator, protobuf and JSON;
 *  - bytes per active series in the SeriesStore (heap delta for N series), and the 1M-series estimate.
 * Usage: npx tsx bench/ingest/run.ts   (env: RUNS=5 REQUESTS=200 CONCURRENCY=8 SERIES_N=200000)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { compressBlock, createRemoteWriteHandler, encodeWriteRequestV1 } from '../../src/ingest/remote-write/index.js';
import { createOtlpTracesHandler, encodeTracesJson, encodeTracesProto } from '../../src/ingest/otlp/index.js';
import type { OtlpSpan, OtlpTraces } from '../../src/ingest/otlp/types.js';
import { RedAggregator } from '../../src/series/red.js';
import { SeriesStore } from '../../src/series/store.js';
import { systemClock } from '../../src/lib/clock.js';
import { createTestMetrics } from '../../src/telemetry/metrics.js';
import { listen } from '../../test/integration/ingest/listen.js';

const RUNS = Number(process.env.RUNS ?? 5);
const REQUESTS = Number(process.env.REQUESTS ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const SERIES_N = Number(process.env.SERIES_N ?? 200_000);
const PROMETHEUS = '/usr/bin/prometheus';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** REQUESTS bodies of 2,000 samples: 200 series × 10 samples, 10 labels each; timestamps move forward per request. */
function remoteWriteBodies(runOffset: number): Buffer[] {
  const bodies: Buffer[] = [];
  const t0 = Date.now() - 3_600_000 + runOffset;
  for (let r = 0; r < REQUESTS; r++) {
    const timeseries = [];
    for (let s = 0; s < 200; s++) {
      const id = (r % 50) * 200 + s; // 10,000 distinct series
      const labels = [{ name: '__name__', value: 'bench_metric' }];
      for (let l = 0; l < 9; l++) labels.push({ name: `label_${l}`, value: l === 0 ? `series-${id}` : `value-${l}-${id % (l + 3)}` });
      const samples = [];
      for (let k = 0; k < 10; k++) samples.push({ timestamp: t0 + Math.floor(r / 50) * 10_000 + k * 1000, value: Math.random() * 100 });
      timeseries.push({ labels, samples });
    }
    bodies.push(compressBlock(encodeWriteRequestV1({ timeseries })));
  }
  return bodies;
}

async function send(url: string, bodies: Buffer[], headers: Record<string, string>): Promise<{ seconds: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      if (!res.ok) failures++;
    }
  }));
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, failures };
}

const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

async function benchAiopsdRemoteWrite(bodies: Buffer[]): Promise<{ rate: number; failures: number }> {
  const store = new SeriesStore({ windowPoints: 240, maxSeries: 1_000_000, staleAfterMs: 3_600_000 }, systemClock, createTestMetrics());
  const app = express();
  app.post('/api/v1/write', createRemoteWriteHandler({ sink: store, metrics: createTestMetrics(), maxBodyBytes: 16 << 20, maxDecodedBytes: 64 << 20 }));
  const srv = await listen(app);
  try {
    const r = await send(`${srv.url}/api/v1/write`, bodies, RW_HEADERS);
    return { rate: (bodies.length * 2000) / r.seconds, failures: r.failures };
  } finally {
    await srv.close();
  }
}

async function benchPrometheusRemoteWrite(bodiesPerRun: Buffer[][]): Promise<{ rates: number[]; failures: number } | { skipped: string }> {
  if (!existsSync(PROMETHEUS)) return { skipped: 'prometheus not installed' };
  const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-bench-prom-'));
  const probe = await listen(() => undefined);
  const port = probe.port;
  await probe.close();
  writeFileSync(path.join(dir, 'p.yml'), 'global:\n  scrape_interval: 1m\n');
  const prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'p.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=error'], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const rates: number[] = [];
    let failures = 0;
    for (const bodies of bodiesPerRun) {
      const r = await send(`${url}/api/v1/write`, bodies, RW_HEADERS);
      failures += r.failures;
      rates.push((bodies.length * 2000) / r.seconds);
    }
    return { rates, failures };
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => prom.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function traces(n: number, batch: number): OtlpTraces {
  const spans: OtlpSpan[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < batch; i++) {
    const id = (n * batch + i + 1).toString(16);
    spans.push({
      traceId: id.padStart(32, '0'), spanId: id.padStart(16, '0'), parentSpanId: '', name: `GET /op${i % 20}`, kind: 2,
      startTimeUnixNano: now - 5_000_000n, endTimeUnixNano: now, statusCode: i % 50 === 0 ? 2 : 0, statusMessage: '',
      attributes: [{ key: 'http.request.method', value: 'GET' }, { key: 'http.response.status_code', value: 200n }, { key: 'url.path', value: `/op${i % 20}` }, { key: 'server.address', value: 'shop' }],
    });
  }
  return { resourceSpans: [{ resource: [{ key: 'service.name', value: 'shop' }, { key: 'service.version', value: 'v1' }], scopeSpans: [{ scope: { name: 'bench', version: '1' }, spans }] }] };
}

async function benchOtlp(format: 'proto' | 'json'): Promise<number> {
  const batch = 512;
  const bodies = Array.from({ length: 200 }, (_, i) => (format === 'proto' ? encodeTracesProto(traces(i, batch)) : encodeTracesJson(traces(i, batch))));
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const red = new RedAggregator({ dedupeCapacity: 1_000_000 }, systemClock);
    const app = express();
    app.post('/v1/traces', createOtlpTracesHandler({ consumer: red, metrics: createTestMetrics(), maxBodyBytes: 16 << 20, maxDecodedBytes: 64 << 20 }));
    const srv = await listen(app);
    const r = await send(`${srv.url}/v1/traces`, bodies, { 'content-type': format === 'proto' ? 'application/x-protobuf' : 'application/json' });
    await srv.close();
    if (r.failures > 0) throw new Error(`otlp ${format}: ${r.failures} failed requests`);
    rates.push((bodies.length * batch) / r.seconds);
  }
  return median(rates);
}

function bytesPerSeries(n: number, pointsPerSeries: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = new SeriesStore({ windowPoints: 240, maxSeries: n + 1, staleAfterMs: 3_600_000 }, systemClock, createTestMetrics());
  const batch = [];
  for (let i = 0; i < n; i++) {
    const labels: Record<string, string> = { __name__: `metric_${i % 100}`, job: `job-${i % 20}`, instance: `10.0.${(i >> 8) & 255}.${i & 255}:9100`, pod: `pod-${i}` };
    for (let p = 0; p < pointsPerSeries; p++) batch.push({ labels, timestampMs: 1000 + p * 1000, value: p });
    if (batch.length >= 10_000) store.append(batch.splice(0));
  }
  store.append(batch);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (store.size !== n) throw new Error('store refused series');
  return (after - before) / n;
}

async function main(): Promise<void> {
  const bodiesPerRun = Array.from({ length: RUNS }, (_, i) => remoteWriteBodies(i * 600_000));
  const aiopsd = [];
  let aiopsdFailures = 0;
  for (const bodies of bodiesPerRun) {
    const r = await benchAiopsdRemoteWrite(bodies);
    aiopsd.push(r.rate);
    aiopsdFailures += r.failures;
  }
  const prom = await benchPrometheusRemoteWrite(bodiesPerRun);
  const aiopsdMedian = median(aiopsd);
  const promMedian = 'rates' in prom ? median(prom.rates) : undefined;
  const otlpProto = await benchOtlp('proto');
  const otlpJson = await benchOtlp('json');
  const bps1 = bytesPerSeries(SERIES_N, 1);
  const bps32 = bytesPerSeries(Math.floor(SERIES_N / 4), 32);
  console.log(JSON.stringify({
    config: { runs: RUNS, requestsPerRun: REQUESTS, samplesPerRequest: 2000, labelsPerSeries: 10, concurrency: CONCURRENCY, cores: (await import('node:os')).cpus().length, node: process.version, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' },
    remoteWrite: {
      aiopsdSamplesPerSec: Math.round(aiopsdMedian),
      aiopsdRuns: aiopsd.map(Math.round),
      aiopsdFailedRequests: aiopsdFailures,
      prometheusSamplesPerSec: promMedian === undefined ? null : Math.round(promMedian),
      prometheusRuns: 'rates' in prom ? prom.rates.map(Math.round) : prom,
      prometheusFailedRequests: 'rates' in prom ? prom.failures : null,
      ratio: promMedian === undefined ? null : Number((aiopsdMedian / promMedian).toFixed(2)),
    },
    otlp: { protobufSpansPerSec: Math.round(otlpProto), jsonSpansPerSec: Math.round(otlpJson), spansPerRequest: 512, note: 'one server process, sender in the same process (shares the core)' },
    seriesMemory: {
      bytesPerSeriesOnePoint: Math.round(bps1), measuredSeries: SERIES_N,
      bytesPerSeries32Points: Math.round(bps32), measuredSeries32: Math.floor(SERIES_N / 4),
      estimated1MSeriesMiB: Math.round((bps1 * 1e6) / 2 ** 20),
      note: 'heap delta / series (keys, interned labels, growable ring buffers); a full 240-point window adds 3,840 bytes (2 × Float64Array)',
    },
  }, null, 2));
}

await main();
