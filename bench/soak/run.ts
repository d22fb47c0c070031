/**
 * Soak: sustained remote_write ingest with detection running; RSS, heap and event-loop lag sampled.
 *
 *   npx tsx bench/soak/run.ts [--minutes 10] [--rate 20000] [--series 2000] [--warmup-minutes 2] [--sample-s 5] [--stall-ms 200] [--out FILE]
 *
 * The daemon runs in this process (default config: ensemble detector with its worker pool, detection every
 * 5 s, PGlite, the shared Redis with a private queue name); the load generator (bench/soak/generator.ts)
 * runs in a child process. Every --sample-s seconds: RSS, heap used, event-loop delay (p50/p99/max via
 * perf_hooks.monitorEventLoopDelay, reset each sample) and samples ingested. Reports growth after the
 * warm-up (first vs last fifth, and a least-squares slope in MB/min) and every drop, as one JSON document.
 * Every stall of the main thread ≥ --stall-ms (default 200) is listed with its time, and every GC pause
 * ≥ 20 ms with its kind, so a long stall can be told apart from a GC pause. For the cause of a stall, run
 * under the profiler (`node --cpu-prof --import tsx bench/soak/run.ts …`) and read the main thread's
 * profile with bench/soak/profile-stalls.ts.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
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
const stallMs = arg('stall-ms', 200);
const RESOLUTION_MS = 10;
/** GC pauses shorter than this are only counted, not listed. */
const GC_LIST_MS = 20;

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

interface Stall {
  /** Seconds since the start of the run at which the stalled timer finally ran. */
  readonly atS: number;
  readonly ms: number;
}

/**
 * A 10 ms timer that notes every time it ran late by ≥ thresholdMs: when and how long the main thread
 * was busy, which the per-sample histogram max does not tell.
 */
function watchStalls(t0Ms: number, thresholdMs: number): { stalls: Stall[]; stop: () => void } {
  const stalls: Stall[] = [];
  let lastMs = performance.now();
  const timer = setInterval(() => {
    const nowMs = performance.now();
    const lateMs = nowMs - lastMs - RESOLUTION_MS;
    if (lateMs >= thresholdMs) stalls.push({ atS: +((Date.now() - t0Ms) / 1000).toFixed(2), ms: Math.round(lateMs) });
    lastMs = nowMs;
  }, RESOLUTION_MS);
  return { stalls, stop: () => clearInterval(timer) };
}

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** GC pauses of the main thread: a count and total per kind, and the long ones with their time. */
function watchGc(t0Ms: number): { summary: () => Record<string, unknown>; stop: () => void } {
  const byKind: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  const long: Array<{ atS: number; kind: string; ms: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'other';
      const k = (byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      k.count++;
      k.totalMs += e.duration;
      k.maxMs = Math.max(k.maxMs, e.duration);
      if (e.duration >= GC_LIST_MS) long.push({ atS: +((performance.timeOrigin + e.startTime - t0Ms) / 1000).toFixed(2), kind, ms: Math.round(e.duration) });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const round = (o: { count: number; totalMs: number; maxMs: number }): Record<string, number> => ({ count: o.count, totalMs: Math.round(o.totalMs), maxMs: Math.round(o.maxMs) });
  return {
    summary: () => ({ byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, round(v)])), [`pausesOver${GC_LIST_MS}Ms`]: long }),
    stop: () => obs.disconnect(),
  };
}

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
  const t0 = Date.now();
  const stallWatch = watchStalls(t0, stallMs);
  const gcWatch = watchGc(t0);

  const gen = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench/soak/generator.ts')], {
    cwd: REPO,
    env: { ...process.env, SOAK_URL: daemon.url, SOAK_SERIES: String(seriesN), SOAK_RATE: String(rate), SOAK_DURATION_S: String(minutes * 60) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let genOut = '';
  gen.stdout!.on('data', (b: Buffer) => (genOut += b.toString()));
  const genDone = new Promise<void>((r) => gen.once('exit', () => r()));

  const samples: Array<Record<string, number>> = [];
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
      anomalies: metric(text, 'aiopsd_anomalies_total'),
      auditRecords: metric(text, 'aiopsd_audit_records_total'),
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
  await daemon.stop();
  h.disable();
  stallWatch.stop();
  gcWatch.stop();
  rmSync(dir, { recursive: true, force: true });

  const after = samples.filter((s) => s.tS! >= warmupMin * 60);
  const fifth = Math.max(1, Math.floor(after.length / 5));
  const first = after.slice(0, fifth);
  const last = after.slice(-fifth);
  const result = {
    bench: 'soak',
    date: new Date().toISOString(),
    command: `npx tsx bench/soak/run.ts ${argv.join(' ')}`.trim(),
    setup: { ratePerS: rate, stallThresholdMs: stallMs, series: seriesN, minutes, warmupMinutes: warmupMin, sampleS, detector: config.detect.detector, detectIntervalMs: config.detect.intervalMs, scoringWorkers: config.detect.ensemble.workers, windowPoints: config.series.windowPoints, store: 'PGlite', node: process.version },
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
    stalls: {
      thresholdMs: stallMs,
      afterWarmup: stallWatch.stalls.filter((x) => x.atS >= warmupMin * 60).length,
      list: stallWatch.stalls,
    },
    gc: gcWatch.summary(),
    detection: { windowsScored: samples.at(-1)?.scored ?? 0, anomalies: metric(finalText, 'aiopsd_anomalies_total'), auditRecords: metric(finalText, 'aiopsd_audit_records_total') },
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
