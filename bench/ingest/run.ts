/**
 * Ingest benchmark. Prints one JSON object:
 *  - remote_write samples/s into aiopsd (production handler + SeriesStore behind express, bench/ingest/server.ts)
 *    and into Prometheus 2.42's own receiver (--web.enable-remote-write-receiver). Both receivers run in their
 *    own process, and so does the load generator (bench/ingest/sender.mjs): the same pre-encoded bodies
 *    (series with 10 labels, 2,000 samples per request), the same keep-alive connections and concurrency.
 *    One warm-up run each, then RUNS runs alternating aiopsd / Prometheus; median and ratio; drops are
 *    checked on the receivers (aiopsd's accepted count, Prometheus's prometheus_tsdb_head_samples_appended_total).
 *  - OTLP spans/s through /v1/traces + RED aggregator, protobuf and JSON, same sender.
 *  - bytes per active series in the SeriesStore at MEM_SERIES series (bench/ingest/memory.ts, own process):
 *    one point of integer values, then full windows of each MEM_VALUES kind (int, counter, decimal, random).
 * Usage: npx tsx bench/ingest/run.ts
 *   env: RUNS=5 REQUESTS=200 CONCURRENCY=8 MEM_SERIES=1000000 MEM_POINTS=1,240 MEM_VALUES=int,counter,decimal,random SKIP=otlp,memory,prometheus
 *        CPU_PROF=dir  (aiopsd server runs under node --cpu-prof, profile written to dir)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { compressBlock, encodeWriteRequestV1 } from '../../src/ingest/remote-write/index.js';
import { encodeTracesJson, encodeTracesProto } from '../../src/ingest/otlp/index.js';
import type { OtlpSpan, OtlpTraces } from '../../src/ingest/otlp/types.js';
import { snappyImplementation } from '../../src/ingest/remote-write/snappy.js';

const RUNS = Number(process.env.RUNS ?? 5);
const REQUESTS = Number(process.env.REQUESTS ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const MEM_SERIES = Number(process.env.MEM_SERIES ?? 1_000_000);
const MEM_POINTS = (process.env.MEM_POINTS ?? '1,240').split(',').map(Number);
const MEM_VALUES = (process.env.MEM_VALUES ?? 'int,counter,decimal,random').split(',');
const SKIP = new Set((process.env.SKIP ?? '').split(',').filter(Boolean));
const PROMETHEUS = '/usr/bin/prometheus';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const execFileAsync = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), 'aiopsd-bench-ingest-'));

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

function traces(n: number, batch: number): OtlpTraces {
  const spans: OtlpSpan[] = [];
  // Spans end an hour ahead: none is "late" however long generating and sending takes (the RED flush never runs here).
  const now = BigInt(Date.now() + 3_600_000) * 1_000_000n;
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

let fileSeq = 0;
/** Writes bodies as [u32 length][bytes]… for the sender process. */
function bodiesFile(bodies: Buffer[]): string {
  const parts: Buffer[] = [];
  for (const b of bodies) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(len, b);
  }
  const file = path.join(tmp, `bodies-${fileSeq++}.bin`);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

interface SendResult { seconds: number; requests: number; failures: number; statuses: Record<string, number> }

async function send(url: string, file: string, headers: Record<string, string>): Promise<SendResult> {
  const { stdout } = await execFileAsync(process.execPath, [path.join(HERE, 'sender.mjs'), url, file, String(CONCURRENCY), JSON.stringify(headers)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as SendResult;
}

async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was ready`)));
  });
  rl.close();
  return line;
}

async function startAiopsd(): Promise<{ url: string; stop(): Promise<void> }> {
  const args = ['--import', 'tsx'];
  if (process.env.CPU_PROF) args.push('--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`);
  const child = spawn(process.execPath, [...args, path.join(HERE, 'server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = JSON.parse(await firstLine(child)) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function startPrometheus(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!existsSync(PROMETHEUS) || SKIP.has('prometheus')) return undefined;
  const dir = mkdtempSync(path.join(tmp, 'prom-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(path.join(dir, 'p.yml'), 'global:\n  scrape_interval: 1m\n');
  const prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'p.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=error'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: async () => {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
    },
  };
}

/** Float samples Prometheus's head appended (prometheus_tsdb_head_samples_appended_total). */
async function prometheusAppended(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^prometheus_tsdb_head_samples_appended_total(\{[^}]*\})? (\S+)$/gm)) {
    if (!m[1] || m[1].includes('float')) sum += Number(m[2]);
  }
  return sum;
}

const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

async function benchRemoteWrite(aiopsd: { url: string }) {
  const files = Array.from({ length: RUNS + 1 }, (_, i) => bodiesFile(remoteWriteBodies(i * 600_000)));
  const samplesPerRun = REQUESTS * 2000;
  const prom = await startPrometheus();
  const a: number[] = [];
  const p: number[] = [];
  let aFail = 0;
  let pFail = 0;
  try {
    for (let i = 0; i <= RUNS; i++) {
      const ra = await send(`${aiopsd.url}/api/v1/write`, files[i]!, RW_HEADERS);
      aFail += ra.failures;
      if (i > 0) a.push(samplesPerRun / ra.seconds);
      if (prom) {
        const rp = await send(`${prom.url}/api/v1/write`, files[i]!, RW_HEADERS);
        pFail += rp.failures;
        if (i > 0) p.push(samplesPerRun / rp.seconds);
      }
    }
    const aStats = (await (await fetch(`${aiopsd.url}/bench/stats`)).json()) as { accepted: number; refused: number; duplicate: number; series: number };
    const promAppended = prom ? await prometheusAppended(prom.url) : undefined;
    const sent = samplesPerRun * (RUNS + 1);
    const aMed = median(a);
    const pMed = prom ? median(p) : undefined;
    return {
      samplesSentPerTarget: sent,
      aiopsdSamplesPerSec: Math.round(aMed),
      aiopsdRuns: a.map(Math.round),
      aiopsdFailedRequests: aFail,
      aiopsdDroppedSamples: sent - aStats.accepted,
      aiopsdSeries: aStats.series,
      prometheusSamplesPerSec: pMed === undefined ? null : Math.round(pMed),
      prometheusRuns: p.map(Math.round),
      prometheusFailedRequests: prom ? pFail : null,
      prometheusDroppedSamples: promAppended === undefined ? null : sent - promAppended,
      ratio: pMed === undefined ? null : Number((aMed / pMed).toFixed(2)),
      runRatios: pMed === undefined ? null : a.map((x, i) => Number((x / p[i]!).toFixed(2))),
      medianRunRatio: pMed === undefined ? null : Number(median(a.map((x, i) => x / p[i]!)).toFixed(2)),
    };
  } finally {
    await prom?.stop();
  }
}

async function benchOtlp(aiopsd: { url: string }, format: 'proto' | 'json') {
  const batch = 512;
  const bodies = Array.from({ length: REQUESTS }, (_, i) => (format === 'proto' ? encodeTracesProto(traces(i, batch)) : encodeTracesJson(traces(i, batch))));
  const file = bodiesFile(bodies);
  const rates: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    await fetch(`${aiopsd.url}/bench/reset-red`, { method: 'POST' });
    const r = await send(`${aiopsd.url}/v1/traces`, file, { 'content-type': format === 'proto' ? 'application/x-protobuf' : 'application/json' });
    if (r.failures > 0) throw new Error(`otlp ${format}: ${r.failures} failed requests`);
    const st = (await (await fetch(`${aiopsd.url}/bench/stats`)).json()) as { counted: number };
    if (st.counted !== bodies.length * batch) throw new Error(`otlp ${format}: counted ${st.counted} of ${bodies.length * batch} spans`);
    if (run > 0) rates.push((bodies.length * batch) / r.seconds);
  }
  return { median: Math.round(median(rates)), runs: rates.map(Math.round) };
}

async function memory(series: number, points: number, values: string): Promise<unknown> {
  const { stdout } = await execFileAsync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', path.join(HERE, 'memory.ts'), String(series), String(points), values], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    config: { date: new Date().toISOString(), runs: RUNS, requestsPerRun: REQUESTS, samplesPerRequest: 2000, labelsPerSeries: 10, concurrency: CONCURRENCY, cores: cpus().length, node: process.version, snappy: snappyImplementation, sender: 'separate process (bench/ingest/sender.mjs), keep-alive node:http' },
  };
  const aiopsd = await startAiopsd();
  try {
    out.remoteWrite = await benchRemoteWrite(aiopsd);
    if (!SKIP.has('otlp')) {
      const proto = await benchOtlp(aiopsd, 'proto');
      const json = await benchOtlp(aiopsd, 'json');
      out.otlp = { protobufSpansPerSec: proto.median, protobufRuns: proto.runs, jsonSpansPerSec: json.median, jsonRuns: json.runs, spansPerRequest: 512, note: 'aiopsd serves on one thread (one core); the sender is another process' };
    }
  } finally {
    await aiopsd.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!SKIP.has('memory')) {
    const mem = [];
    // Values only matter once a series holds more than one point.
    for (const points of MEM_POINTS) for (const values of points === 1 ? ['int'] : MEM_VALUES) mem.push(await memory(MEM_SERIES, points, values));
    out.seriesMemory = mem;
  }
  console.log(JSON.stringify(out, null, 2));
}

await main();
