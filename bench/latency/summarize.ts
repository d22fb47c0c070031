/**
 * Medians over several latency bench results (bench/latency/run.ts --out FILE), per contender.
 *
 *   npx tsx bench/latency/summarize.ts [FILE…] [--scrape 15] [--out FILE]
 *
 * Without files it reads every *.json in bench/latency/results/. Runs are grouped by their set-up
 * (scrape interval and number of faults): a 5 s smoke run is never averaged with a 15 s run. For each
 * group and contender: the median of the runs' p50, p95, false triggers (and episodes), caught and
 * missed, and every run's figures with its file and seed. The median of an even number of runs is the
 * mean of the middle two. Runs made with --compare-model are also pooled under `pairs`: per pair of
 * detectors, every fault's latency difference on the same samples. Prints one JSON document.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tallyDeltas } from './stats.js';

/** The part of one contender's result that is summarised. */
export interface ContenderFigures {
  readonly faults: number;
  readonly caught: number;
  readonly missed: number;
  readonly p50S: number | null;
  readonly p95S: number | null;
  readonly falseTriggers: number;
  readonly falseTriggerEpisodes?: number;
}

/** A second daemon with other weights on the same samples (run.ts --compare-model). */
export interface ComparedFigures extends ContenderFigures {
  readonly detector: string;
  /** Per fault: compared − shipped latency in seconds; null where either missed. */
  readonly paired: { readonly deltasS: ReadonlyArray<number | null> };
}

export interface LatencyResultFile {
  readonly file: string;
  readonly date?: string;
  readonly setup: { readonly scrapeIntervalS: number; readonly seed: number; readonly detector?: string };
  readonly aiopsd: ContenderFigures;
  readonly baseline: ContenderFigures;
  readonly compared?: ComparedFigures;
}

type Contender = 'aiopsd' | 'baseline';

/** Median; of an even count the mean of the middle two. Null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const m = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return +m.toFixed(2);
}

const present = (xs: ReadonlyArray<number | null | undefined>): number[] => xs.filter((x): x is number => typeof x === 'number');

function summarizeContender(runs: readonly LatencyResultFile[], who: Contender): Record<string, unknown> {
  const figs = runs.map((r) => r[who]);
  return {
    p50SMedian: median(present(figs.map((f) => f.p50S))),
    p95SMedian: median(present(figs.map((f) => f.p95S))),
    falseTriggersMedian: median(figs.map((f) => f.falseTriggers)),
    falseTriggerEpisodesMedian: median(present(figs.map((f) => f.falseTriggerEpisodes))),
    caughtMedian: median(figs.map((f) => f.caught)),
    missedTotal: figs.reduce((n, f) => n + f.missed, 0),
    // a run that caught nothing has no p50/p95: it is left out of those medians, and counted here
    runsWithoutCatches: figs.filter((f) => f.p50S === null).length,
    perRun: runs.map((r) => ({ file: r.file, seed: r.setup.seed, caught: r[who].caught, p50S: r[who].p50S, p95S: r[who].p95S, falseTriggers: r[who].falseTriggers })),
  };
}

const ratio = (slow: unknown, fast: unknown): number | null =>
  typeof slow === 'number' && typeof fast === 'number' && fast > 0 ? +(slow / fast).toFixed(2) : null;

/**
 * The detector a run measured: recorded in setup.detector since ensemble-7 (with the forecaster version,
 * `ensemble-8/mlp32-h32-…`, since 2026-11-23; earlier ensemble-8 runs had the two-layer model); for older results the
 * `ensemble<N>` in their file name, else "unrecorded" (so runs of different detectors are never pooled).
 */
export function detectorOf(r: LatencyResultFile): string {
  if (r.setup.detector !== undefined) return r.setup.detector;
  const m = /ensemble-?(\d+)/.exec(path.basename(r.file));
  return m ? `ensemble-${m[1]}` : 'unrecorded';
}

function groupKey(r: LatencyResultFile): string {
  return `scrape ${r.setup.scrapeIntervalS}s, ${r.aiopsd.faults} faults, ${detectorOf(r)}`;
}

/**
 * Runs with a compared model, pooled per pair of detectors: every fault's latency difference (compared −
 * shipped) on the same samples, how many faults each signalled at least a second first, and both
 * detectors' p50 / p95 run by run.
 */
export function summarizePairs(results: readonly LatencyResultFile[]): Array<Record<string, unknown>> {
  const groups = new Map<string, LatencyResultFile[]>();
  for (const r of results) {
    if (!r.compared) continue;
    const key = `scrape ${r.setup.scrapeIntervalS}s: ${r.compared.detector} − ${detectorOf(r)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups].map(([pair, runs]) => {
    const deltas = runs.flatMap((r) => r.compared!.paired.deltasS).filter((d): d is number => d !== null);
    return {
      pair,
      runs: runs.length,
      seeds: runs.map((r) => r.setup.seed),
      pairedFaults: deltas.length,
      ...tallyDeltas(deltas),
      perRun: runs.map((r) => ({
        file: r.file,
        seed: r.setup.seed,
        shipped: { caught: r.aiopsd.caught, p50S: r.aiopsd.p50S, p95S: r.aiopsd.p95S, falseTriggers: r.aiopsd.falseTriggers },
        compared: { caught: r.compared!.caught, p50S: r.compared!.p50S, p95S: r.compared!.p95S, falseTriggers: r.compared!.falseTriggers },
      })),
    };
  });
}

export function summarizeLatency(results: readonly LatencyResultFile[]): Record<string, unknown> {
  const groups = new Map<string, LatencyResultFile[]>();
  for (const r of results) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);
  const pairs = summarizePairs(results);
  return {
    bench: 'latency-summary',
    ...(pairs.length > 0 ? { pairs } : {}),
    groups: [...groups].map(([setup, runs]) => {
      const aiopsd = summarizeContender(runs, 'aiopsd');
      const baseline = summarizeContender(runs, 'baseline');
      return {
        setup,
        runs: runs.length,
        seeds: [...new Set(runs.map((r) => r.setup.seed))],
        aiopsd,
        baseline,
        speedupOfMedians: { p50: ratio(baseline.p50SMedian, aiopsd.p50SMedian), p95: ratio(baseline.p95SMedian, aiopsd.p95SMedian) },
      };
    }),
  };
}

/** Reads one result file; anything that is not a latency result is an error naming the file. */
export function readLatencyResult(file: string): LatencyResultFile {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<Omit<LatencyResultFile, 'file'>> & { bench?: string };
  if (doc.bench !== 'latency' || !doc.setup || !doc.aiopsd || !doc.baseline) throw new Error(`${file} is not a bench/latency result`);
  return {
    file: path.relative(process.cwd(), file),
    setup: doc.setup,
    aiopsd: doc.aiopsd,
    baseline: doc.baseline,
    ...(doc.date !== undefined && { date: doc.date }),
    ...(doc.compared !== undefined && { compared: doc.compared }),
  };
}

function main(argv: readonly string[]): void {
  const files: string[] = [];
  let scrapeS: number | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--scrape') scrapeS = Number(argv[++i]);
    else if (argv[i] === '--out') out = argv[++i];
    else files.push(argv[i]!);
  }
  const resultsDir = path.resolve(import.meta.dirname, 'results');
  const inputs = files.length > 0 ? files : readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(resultsDir, f));
  const results = inputs.map(readLatencyResult).filter((r) => scrapeS === undefined || r.setup.scrapeIntervalS === scrapeS);
  if (results.length === 0) throw new Error('no latency results to summarise');
  const json = JSON.stringify(summarizeLatency(results), null, 2);
  process.stdout.write(json + '\n');
  if (out) writeFileSync(out, json + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`latency summary failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
