/**
 * Soak: sustained remote_write ingest with detection running; RSS, heap and event-loop lag sampled.
 *
 *   npx tsx bench/soak/run.ts [--minutes 10] [--rate 20000] [--series 2000] [--warmup-minutes 2] [--sample-s 5] [--out FILE]
 *
 * The daemon runs in this process (default config: ensemble detector with its worker pool, detection every
 * 5 s, PGlite, the shared Redis with a private queue name); the load generator (bench/soak/generator.ts)
 * runs in a child process. Every --sample-s seconds: RSS, heap used, event-loop delay (p50/p99/max via
 * perf_hooks.monitorEventLoopDelay, reset each sample) and samples ingested. Reports growth after the
 * warm-up (first vs last fifth, and a least-squares slope in MB/min) and every drop, as one JSON document.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDaemon } from '../../src/daemon.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/telemetry/logger.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const outIdx = argv.indexOf('--out');
const out = outIdx >= 0 ? argv[outIdx + 1] : undefined;
const minutes = arg('minutes', 10);
const rate = arg('rate', 20_000);
const seriesN = arg('series', 2000);
const warmupMin = arg('warmup-minutes', Math.min(2, minutes / 4));
const sampleS = arg('sample-s', 5);
const RESOLUTION_MS = 10;

const log = (m: string): void => void process.stderr.write(`[soak ${new Date().toISOString()}] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function metric(text: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    total += Number(line.split(' ').pop());
  }
  return total;
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};
const mb = (b: number): number => +(b / 1048576).toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-soak-'));
  const config = validateConfig(
    {
      dataDir: dir,
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      queue: { name: `soak-${randomBytes(4).toString('hex')}` },
      log: { level: 'silent', pretty: 'false' },
    },
    'soak',
  );
  const daemon = await startDaemon({ config, logger: silentLogger() });
  log(`daemon at ${daemon.url}; ${rate} samples/s over ${seriesN} series for ${minutes} min (warm-up ${warmupMin} min)`);
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();

  const gen = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench/soak/generator.ts')], {
    cwd: REPO,
    env: { ...process.env, SOAK_URL: daemon.url, SOAK_SERIES: String(seriesN), SOAK_RATE: String(rate), SOAK_DURATION_S: String(minutes * 60) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let genOut = '';
  gen.stdout!.on('data', (b: Buffer) => (genOut += b.toString()));
  const genDone = new Promise<void>((r) => gen.once('exit', () => r()));

  const samples: Array<Record<string, number>> = [];
  const t0 = Date.now();
  let lastIngested = 0;
  let running = true;
  void genDone.then(() => (running = false));
  while (running) {
    await sleep(sampleS * 1000);
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    const ingested = metric(text, 'aiopsd_ingest_samples_total', 'remote_write');
    const mem = process.memoryUsage();
    const s = {
      tS: Math.round((Date.now() - t0) / 1000),
      rssMB: mb(mem.rss),
      heapUsedMB: mb(mem.heapUsed),
      externalMB: mb(mem.external + mem.arrayBuffers),
      // the histogram records the interval between its 10 ms timer ticks: the lag is that minus 10 ms
      lagP50Ms: +Math.max(0, h.percentile(50) / 1e6 - RESOLUTION_MS).toFixed(2),
      lagP99Ms: +Math.max(0, h.percentile(99) / 1e6 - RESOLUTION_MS).toFixed(2),
      lagMaxMs: +Math.max(0, h.max / 1e6 - RESOLUTION_MS).toFixed(2),
      ingestedPerS: Math.round((ingested - lastIngested) / sampleS),
      activeSeries: metric(text, 'aiopsd_series_active'),
      dropped: metric(text, 'aiopsd_ingest_dropped_samples_total'),
      scored: metric(text, 'aiopsd_detect_windows_scored_total'),
    };
    lastIngested = ingested;
    h.reset();
    samples.push(s);
    if (samples.length % 6 === 0) log(JSON.stringify(s));
  }
  await genDone;
  const finalText = await (await fetch(`${daemon.url}/metrics`)).text();
  const gen1 = JSON.parse(genOut.trim().split('\n').pop() ?? '{}') as { sent?: number; failed?: number; requests?: number; statuses?: Record<string, number>; skippedTicks?: number };
  const ingestedTotal = metric(finalText, 'aiopsd_ingest_samples_total', 'remote_write');
  const droppedTotal = metric(finalText, 'aiopsd_ingest_dropped_samples_total');
  const auditCount = (await daemon.audit.list({ limit: 1_000_000 })).length;
  await daemon.stop();
  h.disable();
  rmSync(dir, { recursive: true, force: true });

  const after = samples.filter((s) => s.tS! >= warmupMin * 60);
  const fifth = Math.max(1, Math.floor(after.length / 5));
  const first = after.slice(0, fifth);
  const last = after.slice(-fifth);
  const result = {
    bench: 'soak',
    date: new Date().toISOString(),
    command: `npx tsx bench/soak/run.ts ${argv.join(' ')}`.trim(),
    setup: { ratePerS: rate, series: seriesN, minutes, warmupMinutes: warmupMin, sampleS, detector: config.detect.detector, detectIntervalMs: config.detect.intervalMs, scoringWorkers: config.detect.ensemble.workers, windowPoints: config.series.windowPoints, store: 'PGlite', node: process.version },
    ingest: {
      sentAccepted: gen1.sent ?? null,
      refusedOrFailed: gen1.failed ?? null,
      generatorSkippedTicks: gen1.skippedTicks ?? null,
      httpStatuses: gen1.statuses ?? null,
      ingestedByDaemon: ingestedTotal,
      droppedByDaemon: droppedTotal,
      achievedPerS: Math.round(ingestedTotal / (minutes * 60)),
      ingestedPerSMedianAfterWarmup: median(after.map((s) => s.ingestedPerS!)),
    },
    rss: {
      afterWarmupFirstFifthMedianMB: median(first.map((s) => s.rssMB!)),
      lastFifthMedianMB: median(last.map((s) => s.rssMB!)),
      growthMB: +(median(last.map((s) => s.rssMB!)) - median(first.map((s) => s.rssMB!))).toFixed(1),
      slopeMBPerMin: +(slope(after.map((s) => s.tS! / 60), after.map((s) => s.rssMB!))).toFixed(2),
      maxMB: Math.max(...samples.map((s) => s.rssMB!)),
    },
    heap: {
      firstFifthMedianMB: median(first.map((s) => s.heapUsedMB!)),
      lastFifthMedianMB: median(last.map((s) => s.heapUsedMB!)),
      slopeMBPerMin: +(slope(after.map((s) => s.tS! / 60), after.map((s) => s.heapUsedMB!))).toFixed(2),
    },
    eventLoopLagMs: {
      p50Median: median(after.map((s) => s.lagP50Ms!)),
      p99Median: median(after.map((s) => s.lagP99Ms!)),
      p99Worst: Math.max(...after.map((s) => s.lagP99Ms!)),
      maxWorst: Math.max(...after.map((s) => s.lagMaxMs!)),
    },
    detection: { windowsScored: samples.at(-1)?.scored ?? 0, auditRecords: auditCount },
    samples,
  };
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(json + '\n');
  if (out) writeFileSync(out, json + '\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
