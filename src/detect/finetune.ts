import type { Worker } from 'node:worker_threads';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { mulberry32 } from '../lib/random.js';
import type { SeriesStore } from '../series/store.js';
import type { BackendPreference } from './backend.js';
import type { FineTuneFailure, FineTuneJob, FineTuneReply } from './finetune-job.js';
import { fineTunedVersion, type ModelWeights } from './weights.js';
import { spawnModuleWorker } from './worker-spawn.js';

/**
 * Periodic online fine-tuning of the TF.js forecaster (config detect.fineTune, off by default). Every
 * `intervalMs`: sample recent windows from the series store, fine-tune a copy of the current weights in
 * a worker thread, compare the copy with the current weights on a held-out (newer) part of the same
 * series, and adopt it — swapped into every scoring worker between batches, with a new model version in
 * the anomalies' evidence — only when the holdout error improves by at least `minImprovementRatio`.
 * A failed round (too little data, NaN loss, worker error, crash or timeout) is counted and logged with
 * its reason; the current weights keep scoring. Rounds never overlap and never throw.
 */
export interface FineTuneSettings {
  readonly intervalMs: number;
  readonly maxSeries: number;
  readonly maxWindows: number;
  readonly minWindows: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly holdoutFraction: number;
  readonly minImprovementRatio: number;
  readonly seed: number;
  readonly timeoutMs: number;
}

export interface FineTunerDeps {
  readonly store: Pick<SeriesStore, 'all' | 'window'>;
  /** The scoring pool: receives adopted weights. */
  readonly pool: { swapModel(weights: ModelWeights): Promise<string> };
  readonly modelDir: string;
  readonly backend: BackendPreference;
  /** The forecaster's input length and version as loaded (the base of fine-tuned versions). */
  readonly inputPoints: number;
  readonly baseVersion: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Test hook passed to the worker (see FineTuneJob.testFault). */
  readonly testFault?: FineTuneJob['testFault'];
}

export type RoundOutcome = 'adopted' | 'rejected' | 'failed';

export interface RoundReport {
  readonly round: number;
  readonly outcome: RoundOutcome;
  readonly reason: 'improved' | 'no_improvement' | FineTuneFailure;
  readonly series: number;
  readonly trainWindows: number;
  readonly holdoutWindows: number;
  readonly currentError: number;
  readonly candidateError: number;
  readonly durationMs: number;
  /** Forecaster version scoring after the round. */
  readonly version: string;
  readonly message?: string;
}

/** Adopt when the candidate's holdout error is finite and at least `minImprovementRatio` below the current one's. */
export function decideAdoption(
  r: { currentError: number; candidateError: number; finalLoss: number },
  minImprovementRatio: number,
): { outcome: RoundOutcome; reason: RoundReport['reason'] } {
  if (!Number.isFinite(r.finalLoss) || !Number.isFinite(r.candidateError) || !Number.isFinite(r.currentError)) return { outcome: 'failed', reason: 'nan_loss' };
  const improvement = r.currentError > 0 ? (r.currentError - r.candidateError) / r.currentError : 0;
  return improvement >= minImprovementRatio && improvement > 0 ? { outcome: 'adopted', reason: 'improved' } : { outcome: 'rejected', reason: 'no_improvement' };
}

/**
 * Up to `maxSeries` series (chosen by `rand` among those with more than `inputPoints + 1` points, in key
 * order so the choice does not depend on arrival order) and their recent values.
 */
export function sampleSeries(store: FineTunerDeps['store'], maxSeries: number, inputPoints: number, rand: () => number): Float64Array[] {
  const keys: string[] = [];
  for (const s of store.all()) if (s.points > inputPoints + 1) keys.push(s.key);
  keys.sort();
  // Partial Fisher–Yates: the first maxSeries keys become a uniform random subset.
  const take = Math.min(maxSeries, keys.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rand() * (keys.length - i));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return keys.slice(0, take).map((k) => store.window(k).values);
}

/** Distinct forecaster windows the series hold (each point after the first inputPoints is one target). */
export function windowsAvailable(series: readonly Float64Array[], inputPoints: number): number {
  let n = 0;
  for (const s of series) n += Math.max(0, s.length - inputPoints);
  return n;
}

export class FineTuner {
  private round = 0;
  private adoptions = 0;
  private current: ModelWeights | null = null;
  private version: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RoundReport> | null = null;
  private stopped = false;
  /** The training worker of the round in progress (stop() ends it rather than wait for a long fit). */
  private worker: Worker | null = null;

  constructor(
    private readonly settings: FineTuneSettings,
    private readonly deps: FineTunerDeps,
  ) {
    this.version = deps.baseVersion;
    deps.metrics.detectModelInfo.set({ version: this.version }, 1);
  }

  /** Forecaster version scoring now. */
  get modelVersion(): string {
    return this.version;
  }

  /** Run a round every intervalMs (self-scheduling: rounds never overlap). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stop scheduling, end a training worker in progress (its round fails, nothing is adopted) and wait for the round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.worker?.terminate();
    if (this.running) await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runRound().then(() => this.schedule());
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  /** One round now (tests call it directly); never rejects. A round already running is joined. */
  runRound(): Promise<RoundReport> {
    this.running ??= this.roundSafely().finally(() => (this.running = null));
    return this.running;
  }

  private async roundSafely(): Promise<RoundReport> {
    const round = ++this.round;
    const started = performance.now();
    const base = { round, series: 0, trainWindows: 0, holdoutWindows: 0, currentError: NaN, candidateError: NaN };
    let report: RoundReport;
    try {
      report = await this.roundBody(round, started, base);
    } catch (err) {
      report = this.report(base, started, 'failed', 'worker_error', errorText(err));
    }
    this.record(report);
    return report;
  }

  private async roundBody(round: number, started: number, base: Omit<RoundReport, 'outcome' | 'reason' | 'durationMs' | 'version'>): Promise<RoundReport> {
    const s = this.settings;
    const rand = mulberry32(s.seed + round);
    const series = sampleSeries(this.deps.store, s.maxSeries, this.deps.inputPoints, rand);
    const available = windowsAvailable(series, this.deps.inputPoints);
    const sampled = { ...base, series: series.length };
    if (available < s.minWindows) {
      return this.report(sampled, started, 'failed', 'insufficient_data', `${available} windows available in ${series.length} series, minWindows is ${s.minWindows}`);
    }
    const reply = await this.runWorker(this.jobFor(series, round));
    if (!reply.ok) return this.report(sampled, started, 'failed', reply.reason, reply.message);
    const measured = { ...sampled, trainWindows: reply.trainWindows, holdoutWindows: reply.holdoutWindows, currentError: reply.currentError, candidateError: reply.candidateError };
    const decision = decideAdoption(reply, s.minImprovementRatio);
    if (decision.outcome !== 'adopted') return this.report(measured, started, decision.outcome, decision.reason, decision.outcome === 'failed' ? `final training loss ${reply.finalLoss}` : undefined);
    try {
      await this.deps.pool.swapModel(reply.candidate);
    } catch (err) {
      return this.report(measured, started, 'failed', 'swap_failed', errorText(err));
    }
    this.adopt(reply.candidate);
    return this.report(measured, started, 'adopted', 'improved');
  }

  private jobFor(series: Float64Array[], round: number): FineTuneJob {
    const s = this.settings;
    return {
      modelDir: this.deps.modelDir,
      backend: this.deps.backend,
      current: this.current,
      series,
      windows: s.maxWindows,
      holdoutFraction: s.holdoutFraction,
      epochs: s.epochs,
      learningRate: s.learningRate,
      seed: s.seed + round,
      candidateVersion: fineTunedVersion(this.version, this.adoptions + 1),
      ...(this.deps.testFault ? { testFault: this.deps.testFault } : {}),
    };
  }

  private adopt(weights: ModelWeights): void {
    this.adoptions++;
    this.current = weights;
    this.deps.metrics.detectModelInfo.reset();
    this.version = weights.version;
    this.deps.metrics.detectModelInfo.set({ version: this.version }, 1);
    this.deps.metrics.detectModelAdoptedTime.set(Date.now() / 1000);
  }

  /** Run the job in a fresh worker thread; every way it can end becomes a reply. */
  private runWorker(job: FineTuneJob): Promise<FineTuneReply> {
    return new Promise((resolve) => {
      const worker = spawnModuleWorker('finetune-worker', job);
      this.worker = worker;
      let settled = false;
      const finish = (reply: FineTuneReply): void => {
        if (settled) return;
        settled = true;
        this.worker = null;
        clearTimeout(timer);
        worker.removeAllListeners();
        worker.on('error', () => undefined); // a late error from a terminating thread must not go unhandled
        void worker.terminate();
        resolve(reply);
      };
      const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', message: `no answer within ${this.settings.timeoutMs} ms` }), this.settings.timeoutMs);
      worker.once('message', (reply: FineTuneReply) => finish(reply));
      worker.once('error', (err) => finish({ ok: false, reason: 'worker_error', message: err.message }));
      worker.once('exit', (code) => {
        const why = this.stopped ? 'stopped: the daemon is shutting down' : `exited with code ${code} before answering`;
        finish({ ok: false, reason: 'worker_crash', message: `fine-tuning worker ${why}` });
      });
    });
  }

  private report(
    r: Omit<RoundReport, 'outcome' | 'reason' | 'durationMs' | 'version'>,
    started: number,
    outcome: RoundOutcome,
    reason: RoundReport['reason'],
    message?: string,
  ): RoundReport {
    return { ...r, outcome, reason, durationMs: performance.now() - started, version: this.version, ...(message !== undefined ? { message } : {}) };
  }

  private record(r: RoundReport): void {
    const m = this.deps.metrics;
    m.fineTuneRounds.inc({ outcome: r.outcome, reason: r.reason });
    m.fineTuneDuration.observe(r.durationMs / 1000);
    if (Number.isFinite(r.currentError)) m.fineTuneHoldoutError.set({ model: 'current' }, r.currentError);
    if (Number.isFinite(r.candidateError)) m.fineTuneHoldoutError.set({ model: 'candidate' }, r.candidateError);
    const fields = { ...r, durationMs: Math.round(r.durationMs) };
    const msg = r.outcome === 'adopted' ? 'fine-tuned forecaster adopted' : r.outcome === 'rejected' ? 'fine-tuned forecaster not adopted: holdout error did not improve enough' : 'fine-tuning round failed; current forecaster keeps scoring';
    if (r.outcome === 'failed') this.deps.logger.warn(fields, msg);
    else this.deps.logger.info(fields, msg);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
