/**
 * Offline replay of the latency bench (bench/latency/run.ts) without Prometheus, Alertmanager or a daemon:
 * seconds per seed instead of 24 minutes, so the detector's false triggers and latencies can be measured
 * over many fleet seeds.
 *
 *   npx tsx bench/latency/offline.ts [--seeds 1..30 | --seeds 7,11] [--faults 20] [--scrape 15] [--quick]
 *                                    [--startup 10] [--delivery 1.5] [--json FILE] [--dump DIR] [--verbose]
 *                                    [--compare-model DIR]
 *
 * What it reproduces:
 *  - the fleet: bench/latency/fleet.ts's own Fleet class (same PRNG, same draws), ticked once per simulated
 *    second, faults switched on and off on run.ts's schedule (warm-up, control period, faults 33 s apart,
 *    150 s each, rotating over the same services and kinds);
 *  - Prometheus: a scrape of the exposition every --scrape seconds, recording rules evaluated every
 *    --scrape seconds (own phase) with Prometheus 2.x rate() extrapolation and histogram_quantile
 *    (promsim.ts); the phases of scrapes and evaluations are drawn per seed (the real ones come from
 *    Prometheus's hashing and start-up timing, which a replay cannot know);
 *  - aiopsd: the daemon's own path — default config (configSchema defaults: detect.ensemble, threshold
 *    0.9, no families), the shipped model, a SeriesStore with config.series and a DetectionStage run after
 *    every evaluation (the daemon runs it every second; points arrive once per evaluation). An anomaly
 *    (score ≥ detect.threshold) is a signal at its evaluation time + --delivery seconds (remote_write
 *    batch deadline + detection interval). The policy's cooldown is not modelled: every anomalous point
 *    counts; `episodes` merges a service's false signals closer than 5 min like run.ts.
 *  - scoring as run.ts: a fault is caught by the first signal for its service in [start, end + 60 s];
 *    a false trigger is a signal after warm-up, up to the end of the measured time, outside
 *    [fault start, fault end + 120 s] of that service.
 * Time 0 of the printed times is run.ts's t0 (all processes up), --startup seconds after the fleet starts.
 * --compare-model DIR replays every seed a second time with DIR's forecaster (the same samples and phases)
 * and adds `compared` to the summary: its figures and every fault's latency difference (stats.ts pairLatencies).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { configSchema, type Config } from '../../src/config/schema.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { SeriesStore } from '../../src/series/store.js';
import { DetectionStage, familyMatcher } from '../../src/detect/stage.js';
import { createDetectorAsync } from '../../src/detect/registry.js';
import type { Detector } from '../../src/detect/detector.js';
import type { Sample } from '../../src/domain/types.js';
import { mulberry32 } from '../../src/lib/random.js';
import { Fleet, FAULT_KINDS, type FaultKind } from './fleet.js';
import { promHistogramQuantile, promRate, type CounterSample } from './promsim.js';
import { pairLatencies, quantile } from './stats.js';

export interface OfflineSpec {
  readonly seed: number;
  readonly faults: number;
  readonly scrapeS: number;
  /** Seconds from the fleet's start to run.ts's t0 (aiopsd ready). */
  readonly startupS: number;
  /** Seconds from an evaluation to aiopsd's signal (remote_write + detection cycle). */
  readonly deliveryS: number;
  /** Phases (s) of Prometheus's first scrape and first evaluation after its start; default drawn from the seed. */
  readonly scrapePhaseS?: number;
  readonly evalPhaseS?: number;
}

export interface FaultResult {
  service: string;
  kind: FaultKind;
  startS: number;
  latencyS: number | null;
  metric: string | null;
}

export interface FalseTrigger {
  service: string;
  metric: string;
  atS: number;
  score: number;
  observed: number;
  component: string;
}

export interface OfflineResult {
  seed: number;
  faults: FaultResult[];
  falseTriggers: FalseTrigger[];
  falseEpisodes: number;
  caught: number;
  missed: number;
  p50S: number | null;
  p95S: number | null;
  /** The recorded series (for --dump): metric → service → [tMs relative to t0, value][]. */
  recorded: Map<string, Map<string, Array<[number, number]>>>;
}

const METRICS = ['svc:request_rate:rate1m', 'svc:error_ratio:rate1m', 'svc:latency_p99:rate1m'] as const;
const BASE_EPOCH_MS = Date.UTC(2026, 10, 22, 19, 0, 0);

interface Scraped {
  requests: CounterSample[];
  errors: CounterSample[];
  /** per bucket index (last = +Inf) */
  buckets: CounterSample[][];
}

/** Parse the fleet's exposition into per-service counters. */
function parseExposition(text: string, into: Map<string, Scraped>, tMs: number, bounds: number[]): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\{service="([^"]+)"(?:,le="([^"]+)")?\} (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, service, le, val] = m;
    let s = into.get(service!);
    if (!s) {
      s = { requests: [], errors: [], buckets: [] };
      into.set(service!, s);
    }
    const v = Number(val);
    if (name === 'fleet_http_requests_total') s.requests.push({ tMs, v });
    else if (name === 'fleet_http_errors_total') s.errors.push({ tMs, v });
    else if (name === 'fleet_http_request_duration_seconds_bucket') {
      const bound = le === '+Inf' ? Infinity : Number(le);
      let b = bounds.indexOf(bound);
      if (b < 0) {
        bounds.push(bound);
        b = bounds.length - 1;
      }
      (s.buckets[b] ??= []).push({ tMs, v });
    }
  }
}

/** Simulate one run.ts run and score it with the daemon's detection path. */
export function runOffline(spec: OfflineSpec, detector: Detector, config: Config): OfflineResult {
  const S = spec.scrapeS;
  const warmupMs = Math.max(180_000, 32 * S * 1000);
  const controlMs = S >= 15 ? 90_000 : 60_000;
  const faultMs = 150_000;
  const spacingMs = 33_000;
  const recoveryMs = 120_000;
  const catchAfterEndMs = 60_000;
  const faultedServices = Array.from({ length: Math.min(10, Math.max(Math.ceil((faultMs + recoveryMs) / spacingMs), Math.ceil(spec.faults / 2))) }, (_, i) => `svc-${String.fromCharCode(97 + i)}`);
  const controlServices = ['ctl-a', 'ctl-b'];
  const fleet = new Fleet([...faultedServices, ...controlServices], spec.seed);

  // times in ms since the fleet's start; its ticks at 1000·k
  const t0 = spec.startupS * 1000;
  const phaseRand = mulberry32((spec.seed ^ 0x5bd1e995) >>> 0);
  const promStart = 1000; // Prometheus is spawned right after aiopsd, ~1 s after the fleet
  const scrapePhase = (spec.scrapePhaseS ?? phaseRand() * S) * 1000;
  const evalPhase = (spec.evalPhaseS ?? phaseRand() * S) * 1000;
  const measureStart = t0 + warmupMs;
  const controlEnd = measureStart + controlMs;
  const faults = Array.from({ length: spec.faults }, (_, i) => {
    const service = faultedServices[i % faultedServices.length]!;
    const kind = FAULT_KINDS[(i + Math.floor(i / faultedServices.length)) % FAULT_KINDS.length]!;
    const startMs = controlEnd + i * spacingMs;
    return { service, kind, startMs, endMs: startMs + faultMs };
  });
  const measureEnd = faults[faults.length - 1]!.startMs + faultMs + catchAfterEndMs;

  type Ev = { t: number; order: number; run: () => void };
  const events: Ev[] = [];
  for (const f of faults) {
    events.push({ t: f.startMs, order: 0, run: () => fleet.setFault(f.service, f.kind) });
    events.push({ t: f.endMs, order: 0, run: () => fleet.setFault(f.service, undefined) });
  }
  const scraped = new Map<string, Scraped>();
  const bounds: number[] = [];
  for (let t = promStart + scrapePhase; t <= measureEnd; t += S * 1000) {
    const at = Math.round(t);
    events.push({ t: at, order: 1, run: () => parseExposition(fleet.exposition(), scraped, at, bounds) });
  }
  const clock = new ManualClock(BASE_EPOCH_MS);
  const metrics = createMetrics(new Registry());
  const store = new SeriesStore(config.series, clock, metrics, 'remote_write');
  const stage = new DetectionStage(store, detector, { threshold: config.detect.threshold, familyFor: familyMatcher(config.detect.families) }, metrics);
  const recorded = new Map<string, Map<string, Array<[number, number]>>>(METRICS.map((m) => [m, new Map()]));
  const signals: Array<{ service: string; metric: string; atMs: number; score: number; observed: number; component: string }> = [];
  for (let t = promStart + evalPhase; t <= measureEnd; t += S * 1000) {
    const at = Math.round(t);
    events.push({
      t: at,
      order: 2,
      run: () => {
        const samples: Sample[] = [];
        for (const [service, s] of scraped) {
          const req = promRate(s.requests, at, 60_000);
          if (req === null) continue;
          const err = promRate(s.errors, at, 60_000);
          const rates = s.buckets.map((b) => promRate(b, at, 60_000) ?? 0);
          const order = bounds.map((_, i) => i).sort((a, b) => bounds[a]! - bounds[b]!);
          const p99 = promHistogramQuantile(0.99, order.map((i) => bounds[i]!), order.map((i) => rates[i]!));
          const values: Record<string, number> = {
            'svc:request_rate:rate1m': req,
            'svc:error_ratio:rate1m': err === null ? Number.NaN : err / req,
            'svc:latency_p99:rate1m': p99,
          };
          for (const metric of METRICS) {
            const v = values[metric]!;
            samples.push({ labels: { __name__: metric, service }, timestampMs: BASE_EPOCH_MS + at, value: v });
            let per = recorded.get(metric)!.get(service);
            if (!per) recorded.get(metric)!.set(service, (per = []));
            per.push([at - t0, v]);
          }
        }
        clock.set(BASE_EPOCH_MS + at + spec.deliveryS * 1000);
        if (samples.length > 0) store.append(samples);
        for (const a of stage.run()) {
          signals.push({ service: a.service ?? '?', metric: a.metric, atMs: a.timestampMs - BASE_EPOCH_MS + spec.deliveryS * 1000, score: a.score, observed: a.observed, component: a.detector });
        }
      },
    });
  }
  events.sort((a, b) => a.t - b.t || a.order - b.order);
  let ticked = 0;
  for (const ev of events) {
    while ((ticked + 1) * 1000 <= ev.t) {
      fleet.tick();
      ticked++;
    }
    ev.run();
  }

  const perFault: FaultResult[] = faults.map((f) => {
    const first = signals.filter((s) => s.service === f.service && s.atMs >= f.startMs && s.atMs <= f.endMs + catchAfterEndMs).sort((a, b) => a.atMs - b.atMs)[0];
    return { service: f.service, kind: f.kind, startS: +((f.startMs - t0) / 1000).toFixed(1), latencyS: first ? +((first.atMs - f.startMs) / 1000).toFixed(2) : null, metric: first?.metric ?? null };
  });
  const falses = signals.filter((s) => s.atMs >= measureStart && s.atMs <= measureEnd && !faults.some((f) => f.service === s.service && s.atMs >= f.startMs && s.atMs <= f.endMs + recoveryMs));
  const episodes: typeof falses = [];
  for (const s of [...falses].sort((a, b) => a.atMs - b.atMs)) if (!episodes.some((e) => e.service === s.service && s.atMs - e.atMs < 300_000)) episodes.push(s);
  const lat = perFault.filter((p) => p.latencyS !== null).map((p) => p.latencyS!);
  return {
    seed: spec.seed,
    faults: perFault,
    falseTriggers: falses.map((s) => ({ service: s.service, metric: s.metric, atS: +((s.atMs - t0) / 1000).toFixed(1), score: +s.score.toFixed(4), observed: +s.observed.toFixed(5), component: s.component })),
    falseEpisodes: episodes.length,
    caught: lat.length,
    missed: perFault.length - lat.length,
    p50S: quantile(lat, 0.5),
    p95S: quantile(lat, 0.95),
    recorded,
  };
}

function parseSeeds(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(-?\d+)\.\.(-?\d+)$/.exec(part.trim());
    if (m) for (let i = Number(m[1]); i <= Number(m[2]); i++) out.push(i);
    else out.push(Number(part));
  }
  if (out.some((n) => !Number.isSafeInteger(n))) throw new Error(`bad --seeds ${s}`);
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let seeds = [7];
  let faults: number | undefined;
  let scrapeS: number | undefined;
  let startupS = 10;
  let deliveryS = 1.5;
  let json: string | undefined;
  let dump: string | undefined;
  let verbose = false;
  let quick = false;
  let compareModel: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--seeds' || k === '--seed') seeds = parseSeeds(v());
    else if (k === '--faults') faults = Number(v());
    else if (k === '--scrape') scrapeS = Number(v());
    else if (k === '--startup') startupS = Number(v());
    else if (k === '--delivery') deliveryS = Number(v());
    else if (k === '--json') json = v();
    else if (k === '--dump') dump = v();
    else if (k === '--verbose') verbose = true;
    else if (k === '--quick') quick = true;
    else if (k === '--compare-model') compareModel = v();
    else throw new Error(`unknown argument ${k}`);
  }
  const config = configSchema.parse({});
  const { detector } = await createDetectorAsync(config.detect);
  const compared = compareModel === undefined ? undefined : (await createDetectorAsync({ ...config.detect, ensemble: { ...config.detect.ensemble, modelDir: path.resolve(compareModel) } })).detector;
  const started = Date.now();
  const results: OfflineResult[] = [];
  const comparedResults: OfflineResult[] = [];
  for (const seed of seeds) {
    const spec = { seed, faults: faults ?? (quick ? 6 : 20), scrapeS: scrapeS ?? (quick ? 5 : 15), startupS, deliveryS };
    const r = runOffline(spec, detector, config);
    results.push(r);
    if (compared) comparedResults.push(runOffline(spec, compared, config));
    const ft = r.falseTriggers.map((f) => `${f.service}/${f.metric.split(':')[1]}@${f.atS}s(${f.score})`).join(' ');
    process.stdout.write(`seed ${String(seed).padStart(3)}: caught ${r.caught}/${r.faults.length} p50 ${r.p50S} p95 ${r.p95S}  false ${r.falseTriggers.length} (episodes ${r.falseEpisodes}) ${ft}\n`);
    if (verbose) for (const f of r.faults) process.stdout.write(`    ${f.kind.padEnd(18)} ${f.service} @${f.startS}s → ${f.latencyS ?? 'MISSED'} ${f.metric ?? ''}\n`);
    if (dump) {
      mkdirSync(dump, { recursive: true });
      const obj: Record<string, Record<string, Array<[number, number]>>> = {};
      for (const [m, per] of r.recorded) obj[m] = Object.fromEntries(per);
      writeFileSync(path.join(dump, `seed${seed}.json`), JSON.stringify(obj));
    }
  }
  const summary = { ...summarizeRuns(detector.version, results), seconds: +((Date.now() - started) / 1000).toFixed(1) };
  const comparison =
    compared === undefined
      ? undefined
      : { ...summarizeRuns(compared.version, comparedResults), paired: pairLatencies(results.flatMap((r) => r.faults), comparedResults.flatMap((r) => r.faults)) };
  process.stdout.write(JSON.stringify(summary) + '\n');
  if (comparison) process.stdout.write(JSON.stringify({ compared: { ...comparison, paired: { ...comparison.paired, deltasS: undefined } } }) + '\n');
  if (json) {
    const runs = (rs: OfflineResult[]) => rs.map(({ recorded: _r, ...rest }) => rest);
    writeFileSync(json, JSON.stringify({ summary, runs: runs(results), ...(comparison ? { compared: { ...comparison, runs: runs(comparedResults) } } : {}) }, null, 2) + '\n');
  }
}

/** Pooled figures of one detector's replays. */
function summarizeRuns(version: string, results: readonly OfflineResult[]) {
  const lat = results.flatMap((r) => r.faults.filter((f) => f.latencyS !== null).map((f) => f.latencyS!));
  return {
    detector: version,
    seeds: results.length,
    faults: results.reduce((a, r) => a + r.faults.length, 0),
    missed: results.reduce((a, r) => a + r.missed, 0),
    falseTriggers: results.reduce((a, r) => a + r.falseTriggers.length, 0),
    falseEpisodes: results.reduce((a, r) => a + r.falseEpisodes, 0),
    seedsWithFalse: results.filter((r) => r.falseTriggers.length > 0).length,
    pooledP50S: quantile(lat, 0.5),
    pooledP95S: quantile(lat, 0.95),
    medianRunP50S: quantile(results.map((r) => r.p50S).filter((x): x is number => x !== null), 0.5),
    medianRunP95S: quantile(results.map((r) => r.p95S).filter((x): x is number => x !== null), 0.5),
    falseByMetric: Object.fromEntries(METRICS.map((m) => [m, results.reduce((a, r) => a + r.falseTriggers.filter((f) => f.metric === m).length, 0)])),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`offline replay failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
