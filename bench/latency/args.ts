/**
 * Command-line arguments of bench/latency/run.ts, validated: a typo or a non-numeric value fails at
 * once instead of silently running a 23-minute bench with NaN (the fleet's PRNG turns a NaN seed into 0).
 */
export interface LatencyArgs {
  readonly faults: number;
  readonly scrapeS: number;
  readonly out: string | undefined;
  /** Fleet noise seed: any integer; mulberry32 uses it modulo 2^32. */
  readonly seed: number;
  readonly keep: boolean;
  readonly detectIntervalMs: number;
  /**
   * A second forecaster to run beside the shipped one: a second daemon with `detect.ensemble.modelDir`
   * set to it, fed by the same Prometheus (a second remote_write), so both see the very same samples at
   * the same scrape and evaluation phases and their per-fault latencies pair exactly.
   */
  readonly compareModel: string | undefined;
}

const DEFAULTS = { faults: 20, scrapeS: 15, seed: 7, detectIntervalMs: 1000 } as const;
const QUICK = { faults: 6, scrapeS: 5 } as const;

function integer(flag: string, raw: string | undefined, min: number): number {
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs an integer ≥ ${min}, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  return n;
}

export function parseLatencyArgs(argv: readonly string[]): LatencyArgs {
  let faults: number | undefined;
  let scrapeS: number | undefined;
  let out: string | undefined;
  let seed: number = DEFAULTS.seed;
  let detectIntervalMs: number = DEFAULTS.detectIntervalMs;
  let compareModel: string | undefined;
  let keep = false;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string | undefined => argv[++i];
    if (k === '--faults') faults = integer(k, v(), 1);
    else if (k === '--scrape') scrapeS = integer(k, v(), 1);
    else if (k === '--seed') seed = integer(k, v(), Number.MIN_SAFE_INTEGER);
    else if (k === '--detect-interval-ms') detectIntervalMs = integer(k, v(), 100);
    else if (k === '--out') {
      out = v();
      if (out === undefined || out === '') throw new Error('--out needs a file name');
    } else if (k === '--compare-model') {
      compareModel = v();
      if (compareModel === undefined || compareModel === '' || compareModel.startsWith('--')) throw new Error('--compare-model needs a model directory (model.json + weights.bin)');
    } else if (k === '--keep') keep = true;
    else if (k === '--quick') quick = true;
    else throw new Error(`unknown argument ${k}`);
  }
  return {
    faults: faults ?? (quick ? QUICK.faults : DEFAULTS.faults),
    scrapeS: scrapeS ?? (quick ? QUICK.scrapeS : DEFAULTS.scrapeS),
    out,
    seed,
    keep,
    detectIntervalMs,
    compareModel,
  };
}
