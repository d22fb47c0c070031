import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { initBackend, type BackendPreference } from '../detect/backend.js';
import { buildForecaster, DEFAULT_HIDDEN_UNITS, fileSaveHandler, MODEL_FORMAT, type ForecasterMeta } from '../detect/model.js';
import { fitForecaster, sampleTrainingWindows, trainingPairs } from '../detect/training.js';
import { listNabFiles } from '../detect/nab/layout.js';
import { readNabCsv } from '../detect/nab/csv.js';
import { mulberry32 } from '../lib/random.js';

const TRAIN_BATCH_SIZE = 256;

export interface TrainOptions {
  readonly data: string;
  readonly out: string;
  readonly seed: number;
  readonly epochs: number;
  readonly samples: number;
  readonly inputPoints: number;
  readonly synthetic: number;
  /** Hidden layer widths (default DEFAULT_HIDDEN_UNITS, [32]); [] = linear. */
  readonly hiddenUnits?: readonly number[];
  readonly backend: BackendPreference;
  readonly onProgress?: (done: number, total: number, loss: number) => void;
}

export interface TrainResult {
  readonly series: number;
  readonly samples: number;
  readonly finalLoss: number;
  readonly seconds: number;
  readonly backend: string;
  readonly version: string;
}


/** A synthetic operational series: level + daily/weekly seasonality + trend + noise + occasional steps. */
export function syntheticSeries(rand: () => number, n: number): Float64Array {
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const level = rand() * 100;
  const period = [24, 96, 144, 288][Math.floor(rand() * 4)]!;
  const amp = rand() < 0.7 ? rand() * 20 : 0;
  const noise = 0.2 + rand() * 5;
  const trend = (rand() - 0.5) * 0.01;
  const ar = rand() * 0.9;
  const out = new Float64Array(n);
  let e = 0;
  let step = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < 0.001) step += gauss() * 10;
    e = ar * e + gauss() * noise;
    out[i] = level + step + trend * i + amp * Math.sin((2 * Math.PI * i) / period) + e;
  }
  return out;
}

/** Train the forecaster on every CSV under `data` (NAB layout) plus synthetic series, and save it. */
export async function trainForecaster(opts: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const backend = await initBackend(opts.backend);
  const rand = mulberry32(opts.seed);
  const series: Float64Array[] = [];
  for (const f of await listNabFiles(opts.data)) series.push((await readNabCsv(f.path, f.key)).values);
  for (let s = 0; s < opts.synthetic; s++) series.push(syntheticSeries(rand, 4000));
  const L = opts.inputPoints;
  const usable = series.filter((s) => s.length > L + 1);
  if (usable.length === 0) throw new Error(`no series longer than ${L + 1} points under ${opts.data}`);

  // Sample windows uniformly over series, then uniformly within the series.
  const { windows, targets } = sampleTrainingWindows(usable, L, opts.samples, rand);
  const pairs = trainingPairs(windows, targets, L);
  const hidden = opts.hiddenUnits ?? DEFAULT_HIDDEN_UNITS;
  const model = buildForecaster(L, opts.seed, hidden);
  const total = Math.ceil(pairs.count / TRAIN_BATCH_SIZE) * opts.epochs;
  let done = 0;
  const lastLoss = await fitForecaster(model, pairs, {
    epochs: opts.epochs,
    learningRate: 1e-3,
    batchSize: TRAIN_BATCH_SIZE,
    onBatchEnd: (loss) => opts.onProgress?.(++done, total, loss),
  });
  const version = forecasterVersion(L, hidden, opts);
  const meta: ForecasterMeta = { format: MODEL_FORMAT, inputPoints: L, version };
  await model.save(fileSaveHandler(opts.out, meta));
  model.dispose();
  const result: TrainResult = {
    series: usable.length,
    samples: pairs.count,
    finalLoss: lastLoss,
    seconds: (performance.now() - started) / 1000,
    backend,
    version,
  };
  await writeFile(join(opts.out, 'MODEL_CARD.md'), modelCard(opts, result));
  return result;
}

/**
 * `mlp<input points>-h<widths>-s<seed>-e<epochs>-n<samples>`, e.g. mlp32-h32-s42-e6-n60000 (h0 = linear).
 * Models trained before the shape was a flag were [32, 16] and are named without the h part.
 */
export function forecasterVersion(inputPoints: number, hidden: readonly number[], opts: Pick<TrainOptions, 'seed' | 'epochs' | 'samples'>): string {
  const shape = hidden.length === 0 ? '0' : hidden.join('x');
  return `mlp${inputPoints}-h${shape}-s${opts.seed}-e${opts.epochs}-n${opts.samples}`;
}

function architecture(hidden: readonly number[]): string {
  return [...hidden.map((u) => `dense ${u} relu`), 'dense 1'].join(' → ');
}

function modelCard(opts: TrainOptions, r: TrainResult): string {
  return `# Model card: ${r.version}

- Architecture: MLP forecaster, input ${opts.inputPoints} points (each window normalised by its median and IQR),
  ${architecture(opts.hiddenUnits ?? DEFAULT_HIDDEN_UNITS)} (the next point, normalised). Huber loss, Adam 1e-3, batch 256.
- Training data: every CSV under \`${opts.data}\` (${r.series - opts.synthetic} series) plus ${opts.synthetic} seeded
  synthetic series (level, seasonality, trend, AR noise, steps); ${r.samples} windows sampled with seed ${opts.seed}.
  Labels are never used: the model only learns to forecast the next point.
- Epochs: ${opts.epochs}; final training loss ${r.finalLoss.toFixed(5)}; backend ${r.backend}; ${r.seconds.toFixed(1)} s.
- Reproduce: \`aiopsd train --data ${opts.data} --out ${opts.out} --seed ${opts.seed} --epochs ${opts.epochs} --samples ${opts.samples} --synthetic ${opts.synthetic} --hidden ${(opts.hiddenUnits ?? DEFAULT_HIDDEN_UNITS).join(',') || '0'}\`
- Use: the forecast error, in units of the window's spread, is one raw score of the "ensemble" detector;
  see models/MODEL_CARD.md for NAB scores and throughput of the shipped default.
`;
}

/** `--hidden 32,16`: hidden layer widths, comma-separated; `0` = no hidden layer (a linear model). */
export function parseHiddenUnits(raw: string): number[] {
  const text = raw.trim();
  if (text === '0') return [];
  const parts = text.split(',').map((p) => p.trim());
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(n) || n < 1 || n > 4096) {
      throw new InvalidArgumentError(`expected comma-separated layer widths 1..4096 (or 0 for a linear model), got "${raw}"`);
    }
  }
  return parts.map(Number);
}

function intArg(min: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

/** `aiopsd train --data DIR --out DIR [--seed N] [--epochs N] [--samples N] [--synthetic N] [--input-points N]`. */
export function registerTrain(program: Command): Command {
  return program
    .command('train')
    .description('train the TensorFlow.js forecaster on series in NAB layout (<category>/<file>.csv) and write a model directory')
    .requiredOption('--data <dir>', 'directory with <category>/<file>.csv training series')
    .requiredOption('--out <dir>', 'output directory (model.json, weights.bin, MODEL_CARD.md)')
    .option('--seed <n>', 'random seed', intArg(0), 42)
    .option('--epochs <n>', 'training epochs', intArg(1), 6)
    .option('--samples <n>', 'training windows sampled', intArg(256), 60_000)
    .option('--synthetic <n>', 'synthetic series added to the data', intArg(0), 40)
    .option('--input-points <n>', 'points of history the model reads', intArg(4), 32)
    .option('--hidden <widths>', 'hidden dense relu layer widths, comma-separated (0 = linear)', parseHiddenUnits, [...DEFAULT_HIDDEN_UNITS])
    .option('--backend <name>', 'auto | wasm | cpu | tensorflow', 'auto')
    .action(async (flags: { data: string; out: string; seed: number; epochs: number; samples: number; synthetic: number; inputPoints: number; hidden: number[]; backend: string }) => {
      if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(flags.backend)) throw new InvalidArgumentError(`unknown backend ${flags.backend}`);
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'train [{bar}] {percentage}% | {value}/{total} batches | loss {loss} | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      try {
        const result = await trainForecaster({
          ...flags,
          hiddenUnits: flags.hidden,
          backend: flags.backend as BackendPreference,
          onProgress: (done, total, loss) => {
            if (!started) {
              bar.start(total, 0, { loss: 'n/a' });
              started = true;
            }
            bar.update(done, { loss: loss.toFixed(4) });
          },
        });
        if (started) bar.stop();
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (err) {
        if (started) bar.stop();
        throw err;
      }
    });
}
