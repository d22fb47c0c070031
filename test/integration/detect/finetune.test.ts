import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock } from '../../../src/lib/clock.js';
import { mulberry32 } from '../../../src/lib/random.js';
import { initBackend } from '../../../src/detect/backend.js';
import { ENSEMBLE_REVISION, EnsembleDetector } from '../../../src/detect/ensemble.js';
import { FineTuner, type FineTuneSettings, type FineTunerDeps } from '../../../src/detect/finetune.js';
import { loadForecaster } from '../../../src/detect/model.js';
import { ScoringPool } from '../../../src/detect/pool.js';
import { defaultModelDir } from '../../../src/detect/registry.js';
import { DetectionStage } from '../../../src/detect/stage.js';
import { captureWeights } from '../../../src/detect/weights.js';
import { SeriesStore } from '../../../src/series/store.js';
import { createTestMetrics, type Metrics } from '../../../src/telemetry/metrics.js';

/**
 * The scoring pool with online fine-tuning on synthetic series: a round that adopts (the model version
 * in the anomalies changes, scoring goes on), a round the data cannot improve (kept), failed rounds
 * (worker throws, worker dies, NaN loss, too little data) that leave the old weights scoring, and a
 * swap racing batches (no batch lost, none scored twice or by two versions).
 */

const STEP_MS = 10_000;
const WINDOW = 240;
const ensembleOptions = { windowPoints: WINDOW };
const BASE = 'mlp32-h32-s42-e6-n60000';

/** Sixteen series of `shape(i, series, rand)`, `points` each, appended to a fresh store. */
function storeOf(metrics: Metrics, clock: ManualClock, points: number, shape: (i: number, s: number, rand: () => number) => number): { store: SeriesStore; more: (n: number) => void } {
  const store = new SeriesStore({ windowPoints: WINDOW, maxSeries: 100, staleAfterMs: 1e12 }, clock, metrics);
  const rand = mulberry32(9);
  let next = 0;
  const more = (n: number): void => {
    for (let i = next; i < next + n; i++) {
      const samples = Array.from({ length: 16 }, (_, s) => ({ labels: { __name__: 'latency_seconds', service: `svc${s}` }, timestampMs: i * STEP_MS, value: shape(i, s, rand) }));
      store.append(samples);
    }
    next += n;
    clock.set((next - 1) * STEP_MS);
  };
  more(points);
  return { store, more };
}

/** A period-4 pattern the NAB-trained forecaster does not know: fine-tuning learns it. */
const square = (i: number, s: number, rand: () => number): number => 50 + s + (i % 4 < 2 ? 10 : -10) + 0.2 * (rand() - 0.5);
/** Independent noise: no forecaster can do much better than the one it has. */
const noise = (_i: number, s: number, rand: () => number): number => 50 + s + 5 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const settings: FineTuneSettings = {
  intervalMs: 3_600_000,
  maxSeries: 16,
  maxWindows: 2400,
  minWindows: 400,
  epochs: 4,
  learningRate: 3e-3,
  holdoutFraction: 0.25,
  minImprovementRatio: 0.05,
  seed: 42,
  timeoutMs: 60_000,
};

function logSink(): { logger: FineTunerDeps['logger']; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

let pool: ScoringPool;
beforeAll(async () => {
  pool = new ScoringPool({ modelDir: defaultModelDir(), backend: 'cpu', options: ensembleOptions, workers: 2, timeoutMs: 20_000 });
  await pool.ready();
});
afterAll(async () => {
  await pool.close();
});

function tuner(store: FineTunerDeps['store'], metrics: Metrics, logger: FineTunerDeps['logger'], over: Partial<FineTuneSettings> = {}, testFault?: FineTunerDeps['testFault']): FineTuner {
  return new FineTuner({ ...settings, ...over }, { store, pool, modelDir: defaultModelDir(), backend: 'cpu', inputPoints: 32, baseVersion: BASE, metrics, logger, ...(testFault ? { testFault } : {}) });
}

describe('online fine-tuning with the scoring pool', () => {
  it('adopts weights that forecast the holdout better; anomalies then carry the new version and scoring goes on', async () => {
    const metrics = createTestMetrics();
    const clock = new ManualClock(0);
    const { store, more } = storeOf(metrics, clock, WINDOW, square);
    const stage = new DetectionStage(store, new EnsembleDetector(null, ensembleOptions), { threshold: 0, pool }, metrics); // threshold 0: every reported point is an "anomaly"
    const before = await stage.runAsync();
    more(5);
    const before2 = await stage.runAsync();
    expect(before2.length).toBe(16 * 5);
    expect(new Set([...before, ...before2].map((a) => a.modelVersion))).toEqual(new Set([`${ENSEMBLE_REVISION}/${BASE}`]));

    const { logger, lines } = logSink();
    const ft = tuner(store, metrics, logger);
    const r = await ft.runRound();
    expect(r).toMatchObject({ round: 1, outcome: 'adopted', reason: 'improved', series: 16, trainWindows: 1800, holdoutWindows: 600, version: `${BASE}+ft1` });
    expect(r.candidateError).toBeLessThan(r.currentError * 0.95);
    expect(pool.version).toBe(`${ENSEMBLE_REVISION}/${BASE}+ft1`);

    more(5);
    const after = await stage.runAsync();
    expect(after.length).toBe(16 * 5); // every new point scored once, none lost
    expect(new Set(after.map((a) => a.modelVersion))).toEqual(new Set([`${ENSEMBLE_REVISION}/${BASE}+ft1`]));

    const text = await metrics.registry.metrics();
    expect(text).toContain('aiopsd_detect_finetune_rounds_total{outcome="adopted",reason="improved"} 1');
    expect(text).toContain(`aiopsd_detect_model_info{version="${BASE}+ft1"} 1`);
    expect(text).not.toContain(`aiopsd_detect_model_info{version="${BASE}"}`);
    expect(text).toMatch(/aiopsd_detect_model_adopted_timestamp_seconds [1-9]/);
    expect(lines.find((l) => l.msg === 'fine-tuned forecaster adopted')).toMatchObject({ round: 1, series: 16, trainWindows: 1800, outcome: 'adopted' });

    // Deterministic: the same data and seed give the same candidate (errors equal to the last bit).
    const again = await tuner(storeOf(createTestMetrics(), new ManualClock(0), WINDOW + 5, square).store, createTestMetrics(), logger, { minImprovementRatio: 1 }).runRound();
    expect(again.outcome).toBe('rejected'); // minImprovementRatio 1: nothing is adopted
    expect([again.currentError, again.candidateError]).toEqual([r.currentError, r.candidateError]);
  });

  it('keeps the current weights when the data cannot improve them, and counts and logs why', async () => {
    const metrics = createTestMetrics();
    const { store } = storeOf(metrics, new ManualClock(0), WINDOW, noise);
    const { logger, lines } = logSink();
    const version = pool.version;
    const r = await tuner(store, metrics, logger, { minImprovementRatio: 0.3, epochs: 1 }).runRound();
    expect(r).toMatchObject({ outcome: 'rejected', reason: 'no_improvement' });
    expect(r.candidateError).toBeGreaterThan(r.currentError * 0.7);
    expect(pool.version).toBe(version);
    expect(await metrics.registry.metrics()).toContain('aiopsd_detect_finetune_rounds_total{outcome="rejected",reason="no_improvement"} 1');
    const line = lines.find((l) => l.outcome === 'rejected');
    expect(line).toMatchObject({ reason: 'no_improvement', series: 16 });
    expect(typeof line?.currentError).toBe('number');
    expect(typeof line?.durationMs).toBe('number');
  });

  it('a failed round (worker throws, worker dies, NaN loss, too little data, shutdown) never adopts; the old weights keep scoring', async () => {
    const metrics = createTestMetrics();
    const clock = new ManualClock(0);
    const { store, more } = storeOf(metrics, clock, WINDOW, square);
    const stage = new DetectionStage(store, new EnsembleDetector(null, ensembleOptions), { threshold: 0, pool }, metrics);
    await stage.runAsync();
    const version = pool.version;
    const { logger, lines } = logSink();
    const thrown = await tuner(store, metrics, logger, {}, 'throw').runRound();
    expect(thrown).toMatchObject({ outcome: 'failed', reason: 'worker_error' });
    expect(thrown.message).toMatch(/fine-tuning worker throws/);
    const died = await tuner(store, metrics, logger, {}, 'exit').runRound();
    expect(died).toMatchObject({ outcome: 'failed', reason: 'worker_crash' });
    const nan = await tuner(store, metrics, logger, { epochs: 1 }, 'nan').runRound();
    expect(nan).toMatchObject({ outcome: 'failed', reason: 'nan_loss' });
    const short = await tuner(store, metrics, logger, { minWindows: 1_000_000 }).runRound();
    expect(short).toMatchObject({ outcome: 'failed', reason: 'insufficient_data', series: 16 });
    const stopping = tuner(store, metrics, logger);
    const pending = stopping.runRound(); // the training worker is running now
    await stopping.stop(); // shutdown ends it rather than wait for the fit
    expect(await pending).toMatchObject({ outcome: 'failed', reason: 'worker_crash', message: 'fine-tuning worker stopped: the daemon is shutting down' });
    expect(pool.version).toBe(version);

    more(3);
    const scored = await stage.runAsync();
    expect(scored.length).toBe(16 * 3);
    expect(new Set(scored.map((a) => a.modelVersion))).toEqual(new Set([version]));
    const text = await metrics.registry.metrics();
    for (const reason of ['worker_error', 'nan_loss', 'insufficient_data']) expect(text).toContain(`aiopsd_detect_finetune_rounds_total{outcome="failed",reason="${reason}"} 1`);
    expect(text).toContain('aiopsd_detect_finetune_rounds_total{outcome="failed",reason="worker_crash"} 2');
    expect(lines.filter((l) => l.msg === 'fine-tuning round failed; current forecaster keeps scoring').length).toBe(5);
  });

  it('a swap racing batches: each batch is scored whole by one version, none lost or scored twice', async () => {
    await initBackend('cpu');
    const f = await loadForecaster(defaultModelDir());
    const shipped = captureWeights(f.model, `${BASE}+race`);
    f.dispose();
    const weights = { ...shipped, tensors: shipped.tensors.map((t) => t.map((v) => v * 1.1)) }; // visibly different numbers
    const windows = Array.from({ length: 600 }, (_, i) => Float64Array.from({ length: 120 }, (_, k) => Math.sin((k + i) / 5) * 10 + (i % 7)));
    const old = pool.version;
    const first = await pool.raw(windows);
    // Two scoring loops (like detection cycles) keep submitting batches while the swap runs.
    let swapped = false;
    const loop = async (): Promise<Array<Awaited<ReturnType<ScoringPool['raw']>>>> => {
      const out = [];
      do out.push(await pool.raw(windows));
      while (!swapped);
      out.push(await pool.raw(windows));
      return out;
    };
    const loops = [loop(), loop()];
    const version = await pool.swapModel(weights);
    swapped = true;
    const streams = await Promise.all(loops);
    expect(version).toBe(`${ENSEMBLE_REVISION}/${BASE}+race`);
    const last = await pool.raw(windows);
    expect(Array.from(last.expected)).not.toEqual(Array.from(first.expected));
    // Each batch is wholly one version's numbers (a batch split over both workers across the switch
    // would show a mix), versions only move forward, and every window of every batch is answered.
    const reference = new Map([[old, Array.from(first.expected)], [version, Array.from(last.expected)]]);
    for (const stream of streams) {
      expect(stream[0]!.version).toBe(old);
      expect(stream[stream.length - 1]!.version).toBe(version);
      const switchedAt = stream.findIndex((b) => b.version === version);
      expect(stream.slice(switchedAt).every((b) => b.version === version)).toBe(true);
      for (const b of stream) expect(Array.from(b.expected)).toEqual(reference.get(b.version!));
    }
  });
});
