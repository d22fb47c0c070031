import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badRequest } from '../../lib/errors.js';
import { isStreamingDetector, type Detector, type StreamingDetector } from '../detector.js';
import { readNabCsv, timestampMillis } from './csv.js';
import { listNabFiles } from './layout.js';
import { scoreAllProfiles, type CorpusScore, type NabFileInput, type ProfileName } from './scorer.js';
import { loadNabLabels, windowRows, type RowWindow } from './windows.js';

export const DEFAULT_WINDOW_POINTS = 512;
export const DEFAULT_BATCH_SIZE = 512;

export interface NabBenchOptions {
  /** Directory in NAB layout: <category>/<file>.csv. */
  readonly dataDir: string;
  /** labels/combined_windows.json; when given, the three profile scores are computed. */
  readonly labelsFile?: string;
  /** Where to write { "<category>/<file>.csv": [score per row] } (NAB published-scores format). */
  readonly scoresOut?: string;
  readonly detector: Detector;
  /** Points per window handed to the detector (the newest is scored). Default 512. */
  readonly windowPoints?: number;
  /** Windows per detector.score() call. Default 512. */
  readonly batchSize?: number;
  readonly onProgress?: (doneRows: number, totalRows: number) => void;
}

export interface NabBenchResult {
  readonly detector: string;
  readonly version: string;
  readonly files: number;
  readonly rows: number;
  readonly seconds: number;
  /** Anomaly score per row, by file key, in key order. */
  readonly fileScores: Map<string, Float64Array>;
  /** Scores under the three NAB profiles; null without labels. */
  readonly profiles: Record<ProfileName, CorpusScore> | null;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw badRequest('bad_bench_option', `${name} must be a positive integer, got ${value}`, { [name]: value });
  }
  return value;
}

/**
 * Score every row of one series online and causally: row i is scored from the window of values
 * [max(0, i − windowPoints + 1) .. i] only (subarray views of `values`, no copies). Rows whose window is
 * shorter than detector.minPoints score 0; NaN scores become 0. `onRows(n)` reports rows finished.
 */
export async function scoreSeriesOnline(
  detector: Detector,
  values: Float64Array,
  windowPoints: number = DEFAULT_WINDOW_POINTS,
  batchSize: number = DEFAULT_BATCH_SIZE,
  onRows?: (rows: number) => void,
): Promise<Float64Array> {
  positiveInt('windowPoints', windowPoints);
  positiveInt('batchSize', batchSize);
  if (windowPoints < detector.minPoints) {
    throw badRequest(
      'bad_bench_option',
      `windowPoints ${windowPoints} is below detector ${detector.name}'s minPoints ${detector.minPoints}: every row would score 0`,
      { windowPoints, minPoints: detector.minPoints },
    );
  }
  const n = values.length;
  const out = new Float64Array(n);
  // Rows 0 .. first-1 have fewer than minPoints points: score 0.
  const first = Math.min(n, Math.max(0, detector.minPoints - 1));
  if (first > 0) onRows?.(first);
  const batch: Float64Array[] = new Array<Float64Array>(batchSize);
  for (let start = first; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    for (let b = 0; b < count; b++) {
      const i = start + b;
      batch[b] = values.subarray(Math.max(0, i - windowPoints + 1), i + 1);
    }
    const windows = count === batchSize ? batch : batch.slice(0, count);
    const { scores } = detector.score(windows);
    if (scores.length !== count) {
      throw new Error(`detector ${detector.name} returned ${scores.length} scores for ${count} windows`);
    }
    for (let b = 0; b < count; b++) {
      const s = scores[b]!;
      out[start + b] = Number.isNaN(s) ? 0 : s;
    }
    onRows?.(count);
    await yieldToLoop();
  }
  return out;
}

/**
 * Streaming form of {@link scoreSeriesOnline} for detectors that split into a pure batched half and a
 * per-series online calibration: raw scores of row i come from the window ending at i, then one
 * calibration state is fed rows in order, each with its timestamp (`timesMs`, ms since the epoch) when
 * given, as the daemon's DetectionStage does. Causal: row i's score depends on rows ≤ i only.
 */
export async function scoreSeriesStreaming(
  detector: StreamingDetector,
  values: Float64Array,
  windowPoints: number = DEFAULT_WINDOW_POINTS,
  batchSize: number = DEFAULT_BATCH_SIZE,
  onRows?: (rows: number) => void,
  timesMs?: Float64Array,
): Promise<Float64Array> {
  positiveInt('windowPoints', windowPoints);
  positiveInt('batchSize', batchSize);
  const n = values.length;
  const out = new Float64Array(n);
  const state = detector.createState();
  const res = { score: 0, component: '' };
  const batch: Float64Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    batch.length = 0;
    for (let b = 0; b < count; b++) {
      const i = start + b;
      batch.push(values.subarray(Math.max(0, i - windowPoints + 1), i + 1));
    }
    const { raw } = detector.raw(batch);
    for (let b = 0; b < count; b++) {
      const s = state.update(raw, b, res, timesMs?.[start + b]).score;
      out[start + b] = start + b + 1 < detector.minPoints || Number.isNaN(s) ? 0 : s;
    }
    onRows?.(count);
    await yieldToLoop();
  }
  return out;
}

interface LoadedFile {
  readonly key: string;
  readonly values: Float64Array;
  readonly timesMs: Float64Array;
  readonly windows: RowWindow[] | null;
}

/**
 * Run a detector over a NAB-layout corpus: every file scored online row by row, the scores optionally
 * written in NAB's published-scores format, and, given labels, NAB scores under the three profiles.
 * All files are parsed (and their windows mapped) before scoring starts, so bad input fails fast.
 */
export async function runNabBench(opts: NabBenchOptions): Promise<NabBenchResult> {
  const started = performance.now();
  const windowPoints = positiveInt('windowPoints', opts.windowPoints ?? DEFAULT_WINDOW_POINTS);
  const batchSize = positiveInt('batchSize', opts.batchSize ?? DEFAULT_BATCH_SIZE);
  const { detector } = opts;

  const listed = await listNabFiles(opts.dataDir);
  if (listed.length === 0) {
    throw badRequest('bad_nab_dir', `no <category>/*.csv files under ${opts.dataDir}`, { dataDir: opts.dataDir });
  }
  const labels = opts.labelsFile === undefined ? null : await loadNabLabels(opts.labelsFile);

  const loaded: LoadedFile[] = [];
  let totalRows = 0;
  for (const f of listed) {
    const series = await readNabCsv(f.path, f.key);
    let windows: RowWindow[] | null = null;
    if (labels !== null) {
      const labelled = labels.get(f.key);
      if (labelled === undefined) {
        throw badRequest('labels_missing', `${f.key} has no entry in ${opts.labelsFile ?? 'the labels'}`, {
          file: f.key,
        });
      }
      windows = windowRows(series.timestamps, labelled, f.key);
    }
    loaded.push({ key: f.key, values: series.values, timesMs: Float64Array.from(series.timestamps, timestampMillis), windows });
    totalRows += series.values.length;
  }

  let doneRows = 0;
  opts.onProgress?.(0, totalRows);
  const fileScores = new Map<string, Float64Array>();
  for (const f of loaded) {
    const onRows = (n: number): void => {
      doneRows += n;
      opts.onProgress?.(doneRows, totalRows);
    };
    const scores = isStreamingDetector(detector)
      ? await scoreSeriesStreaming(detector, f.values, windowPoints, batchSize, onRows, f.timesMs)
      : await scoreSeriesOnline(detector, f.values, windowPoints, batchSize, onRows);
    fileScores.set(f.key, scores);
  }

  if (opts.scoresOut !== undefined) await writeScores(opts.scoresOut, fileScores);

  let profiles: Record<ProfileName, CorpusScore> | null = null;
  if (labels !== null) {
    const files = new Map<string, NabFileInput>();
    for (const f of loaded) {
      files.set(f.key, { scores: fileScores.get(f.key)!, windows: f.windows ?? [], rows: f.values.length });
    }
    profiles = scoreAllProfiles({ files });
  }

  return {
    detector: detector.name,
    version: detector.version,
    files: loaded.length,
    rows: totalRows,
    seconds: (performance.now() - started) / 1000,
    fileScores,
    profiles,
  };
}

/** Write per-file scores as { "<category>/<file>.csv": [score per row] }, creating the parent directory. */
export async function writeScores(file: string, fileScores: ReadonlyMap<string, Float64Array>): Promise<void> {
  const obj: Record<string, number[]> = {};
  for (const [key, scores] of fileScores) obj[key] = Array.from(scores);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(obj));
}
