import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { isStreamingDetector, type Detector } from '../detect/detector.js';
import { initDetector } from '../detect/registry.js';
import { DEFAULT_WINDOW_POINTS, runNabBench } from '../detect/nab/runner.js';
import { PROFILE_NAMES, type CorpusScore, type ProfileName } from '../detect/nab/scorer.js';

/** Streams the command writes to; tests pass their own. */
export interface BenchNabIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

interface BenchNabFlags {
  data: string;
  labels?: string;
  scoresOut?: string;
  window?: number;
}

/** What `bench nab` prints on stdout. `scores` are the normalised NAB scores (null without --labels). */
export interface BenchNabOutput {
  detector: string;
  version: string;
  files: number;
  rows: number;
  seconds: number;
  window: number;
  scores: Record<ProfileName, number | null> | null;
  details: Record<ProfileName, CorpusScore> | null;
}

function parsePositiveInt(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return n;
}

/** Progress reporter: a cli-progress bar on a TTY, otherwise one line per ~10% of rows. */
function makeProgress(stderr: BenchNabIo['stderr']): { update(done: number, total: number): void; stop(): void } {
  if (stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stderr as NodeJS.WriteStream,
        format: 'bench nab [{bar}] {percentage}% | {value}/{total} rows | ETA {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else bar.update(done);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let nextDecile = 1;
  return {
    update(done, total) {
      if (total <= 0) return;
      const decile = Math.floor((10 * done) / total);
      if (decile < nextDecile) return;
      nextDecile = decile + 1;
      stderr.write(`bench nab: ${decile * 10}% (${done}/${total} rows)\n`);
    },
    stop() {},
  };
}

/**
 * Add `bench nab --data DIR [--labels FILE] [--scores-out FILE] [--window N]` under the program's
 * `bench` command (created if absent). Runs the detector from `makeDetector` over a NAB-layout corpus
 * and prints a JSON summary on stdout; progress goes to stderr.
 */
export function registerBenchNab(
  program: Command,
  makeDetector: () => Detector | Promise<Detector>,
  io: BenchNabIo = { stdout: process.stdout, stderr: process.stderr },
): Command {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks of the anomaly detectors');
  return bench
    .command('nab')
    .description('score the configured detector on a corpus in NAB layout (Numenta Anomaly Benchmark)')
    .requiredOption('--data <dir>', 'directory with <category>/<file>.csv data files')
    .option('--labels <file>', 'labels/combined_windows.json; when given, NAB scores are computed')
    .option('--scores-out <file>', 'write per-row scores as { "<category>/<file>.csv": [scores] }')
    .option('--window <n>', `points per window handed to the detector (default: the detector's own, else ${DEFAULT_WINDOW_POINTS})`, parsePositiveInt)
    .action(async (flags: BenchNabFlags) => {
      const { detector, backend } = await initDetector(await makeDetector());
      if (backend !== null) io.stderr.write(`bench nab: detector ${detector.name} ${detector.version}, TF.js backend ${backend}\n`);
      const windowPoints = flags.window ?? (isStreamingDetector(detector) ? detector.windowPoints : DEFAULT_WINDOW_POINTS);
      const progress = makeProgress(io.stderr);
      let result;
      try {
        result = await runNabBench({
          dataDir: flags.data,
          labelsFile: flags.labels,
          scoresOut: flags.scoresOut,
          detector,
          windowPoints,
          onProgress: (done, total) => progress.update(done, total),
        });
      } finally {
        progress.stop();
      }
      const profiles = result.profiles;
      const out: BenchNabOutput = {
        detector: result.detector,
        version: result.version,
        files: result.files,
        rows: result.rows,
        seconds: Math.round(result.seconds * 1000) / 1000,
        window: windowPoints,
        scores:
          profiles === null
            ? null
            : (Object.fromEntries(PROFILE_NAMES.map((p) => [p, profiles[p].normalised])) as Record<
                ProfileName,
                number | null
              >),
        details: profiles,
      };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });
}
