import type { Worker } from 'node:worker_threads';
import { RAW_STRIDE } from './features.js';
import type { EnsembleOptions } from './ensemble.js';
import type { BackendName, BackendPreference } from './backend.js';
import type { PoolTask, PoolWorkerData } from './pool-worker.js';
import type { ModelWeights } from './weights.js';
import { spawnModuleWorker } from './worker-spawn.js';

/**
 * A worker_threads pool computing the ensemble's raw scores (TF.js forecast + features) off the main
 * event loop. A batch of windows is split across the workers; each part is one message (windows packed
 * into one Float64Array, results transferred back). A worker that crashes, errors, or does not answer
 * within `timeoutMs` is terminated and replaced, and its part retried once on the new worker.
 * {@link ScoringPool.swapModel} replaces the forecaster's weights in every worker between batches: each
 * batch is scored whole by one version, which raw() returns for the anomalies' evidence.
 */
export interface ScoringPoolOptions extends PoolWorkerData {
  readonly workers: number;
  readonly timeoutMs: number;
  /** Parts smaller than this are not split further (default 64 windows). */
  readonly minPart?: number;
}

interface Pending {
  readonly task: Omit<PoolTask, 'attempt'>;
  attempt: number;
  resolve(r: { raw: Float64Array; expected: Float64Array }): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: Pending | null;
  timer: NodeJS.Timeout | null;
  generation: number;
  started: boolean;
  /** Detector version the worker reported when ready. */
  version: string | null;
}

/** Raw scores of a batch and the detector version (weights) that computed them. */
export interface PoolBatch {
  readonly raw: Float64Array;
  readonly expected: Float64Array;
  readonly version: string | null;
}

type WorkerMessage =
  | { ready: true; backend: BackendName; version: string }
  | { fatal: string }
  | { id: number; raw: Float64Array; expected: Float64Array }
  | { id: number; error: string };

export class ScoringPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a crash or timeout (for metrics and tests). */
  replaced = 0;
  backend: BackendName | null = null;
  /** Detector version of the workers scoring now (changes when swapModel adopts new weights). */
  version: string | null = null;
  /** Weights every (re)started worker loads; null: the model directory's own. */
  private weights: ModelWeights | null;
  /** raw() calls in progress; a swap waits for 0 so no batch mixes versions. */
  private inFlight = 0;
  private drained: (() => void) | null = null;
  /** While set, new raw() calls wait: a swap is switching workers. */
  private gate: Promise<void> | null = null;
  /** Workers started by a swap but not yet scoring (closed with the pool). */
  private incoming: Slot[] = [];

  constructor(private readonly options: ScoringPoolOptions) {
    if (options.workers < 1) throw new Error('ScoringPool needs at least one worker');
    this.weights = options.weights ?? null;
    for (let i = 0; i < options.workers; i++) this.slots.push(this.spawn(0));
  }

  /** Resolves when every worker has loaded its model (rejects if one cannot). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Thread ids of the current workers (tests use them to kill one). */
  workerAt(i: number): Worker {
    return this.slots[i]!.worker;
  }

  private spawn(generation: number, weights: ModelWeights | null = this.weights): Slot {
    const data: PoolWorkerData = { modelDir: this.options.modelDir, backend: this.options.backend, options: this.options.options, weights };
    const worker = spawnModuleWorker('pool-worker', data);
    const slot: Slot = { worker, ready: Promise.resolve(), busy: null, timer: null, generation, started: false, version: null };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: WorkerMessage): void => {
        if ('ready' in m) {
          slot.started = true;
          slot.version = m.version;
          this.backend = m.backend;
          this.version ??= m.version; // the first worker ready; later only swapModel changes it
          worker.off('message', onMsg);
          resolve();
          this.pump();
        } else if ('fatal' in m) {
          worker.off('message', onMsg);
          reject(new Error(`scoring worker failed to start: ${m.fatal}`));
        }
      };
      worker.on('message', onMsg);
      worker.once('error', (err) => {
        if (!slot.started) reject(new Error(`scoring worker failed to start: ${err.message}`));
      });
      worker.once('exit', (code) => {
        if (!slot.started) reject(new Error(`scoring worker exited with code ${code} before it was ready`));
      });
    });
    slot.ready.catch(() => undefined);
    worker.on('message', (m: WorkerMessage) => {
      if (!('id' in m) || slot.busy === null || slot.busy.task.id !== m.id) return;
      const p = slot.busy;
      this.finish(slot);
      if ('error' in m) p.reject(new Error(`scoring worker: ${m.error}`));
      else p.resolve({ raw: m.raw, expected: m.expected });
      this.pump();
    });
    worker.on('error', () => this.replace(slot, 'error'));
    worker.on('exit', () => this.replace(slot, 'exit'));
    return slot;
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.busy = null;
  }

  /** Replace a dead or stuck worker; its in-flight part is retried once, then rejected. */
  private replace(slot: Slot, why: string): void {
    const idx = this.slots.indexOf(slot);
    if (idx < 0) return; // already replaced
    if (!slot.started) {
      // A worker that cannot even start (bad model, missing files) is not respawned in a loop.
      this.closed = true;
      this.failAll(new Error(`scoring worker failed to start (${why})`));
      return;
    }
    const p = slot.busy;
    this.finish(slot);
    this.slots.splice(idx, 1);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
    if (this.closed) {
      p?.reject(new Error('scoring pool closed'));
      return;
    }
    this.replaced++;
    const fresh = this.spawn(slot.generation + 1);
    this.slots.splice(idx, 0, fresh);
    if (p) {
      if (p.attempt === 0) {
        p.attempt = 1;
        this.queue.unshift(p);
      } else p.reject(new Error(`scoring batch failed twice (worker ${why})`));
    }
    fresh.ready.then(() => this.pump(), (err: unknown) => this.failAll(err as Error));
  }

  private failAll(err: Error): void {
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy !== null) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.timer = setTimeout(() => this.replace(slot, `timeout after ${this.options.timeoutMs} ms`), this.options.timeoutMs);
      // Copies are transferred, so the original stays here for a retry if this worker dies.
      const values = p.task.values.slice();
      const starts = p.task.starts.slice();
      const ends = p.task.ends.slice();
      slot.worker.postMessage({ ...p.task, values, starts, ends, attempt: p.attempt } satisfies PoolTask, [values.buffer, starts.buffer, ends.buffer]);
    }
  }

  private submit(task: Omit<PoolTask, 'attempt' | 'id'>): Promise<{ raw: Float64Array; expected: Float64Array }> {
    if (this.closed) return Promise.reject(new Error('scoring pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { ...task, id: this.nextId++ }, attempt: 0, resolve, reject });
      this.pump();
    });
  }

  /**
   * Raw scores (windows × RAW_STRIDE) and expected values of a batch, computed in the workers.
   * `test` carries the crash/delay hooks for tests only.
   */
  async raw(windows: readonly Float64Array[], test: { crash?: boolean; delayMs?: number } = {}): Promise<PoolBatch> {
    while (this.gate) await this.gate;
    this.inFlight++; // synchronously after the gate check: a swap that starts now waits for this batch
    try {
      return await this.rawParts(windows, test);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  private async rawParts(windows: readonly Float64Array[], test: { crash?: boolean; delayMs?: number }): Promise<PoolBatch> {
    const version = this.version;
    const n = windows.length;
    const raw = new Float64Array(n * RAW_STRIDE);
    const expected = new Float64Array(n);
    if (n === 0) return { raw, expected, version };
    const parts = Math.max(1, Math.min(this.slots.length, Math.ceil(n / (this.options.minPart ?? 64))));
    const per = Math.ceil(n / parts);
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < n; start += per) {
      const end = Math.min(n, start + per);
      const { values, starts, ends } = packWindows(windows, start, end);
      jobs.push(
        this.submit({
          values,
          starts,
          ends,
          ...(test.crash === true && start === 0 ? { testCrash: true } : {}),
          ...(test.delayMs !== undefined && start === 0 ? { testDelayMs: test.delayMs } : {}),
        }).then((r) => {
          raw.set(r.raw, start * RAW_STRIDE);
          expected.set(r.expected, start);
        }),
      );
    }
    await Promise.all(jobs);
    return { raw, expected, version };
  }

  /**
   * Adopt new forecaster weights: start a full set of workers with them (the old ones keep scoring
   * meanwhile), then, between batches, switch to the new set and stop the old one. New raw() calls wait
   * only for the switch itself. If a new worker cannot start, nothing changes and this rejects.
   */
  async swapModel(weights: ModelWeights): Promise<string> {
    if (this.closed) throw new Error('scoring pool closed');
    if (this.incoming.length > 0) throw new Error('a model swap is already running');
    const fresh = this.slots.map((s) => this.spawn(s.generation + 1, weights));
    this.incoming = fresh;
    try {
      await Promise.all(fresh.map((s) => s.ready));
      if (this.closed) throw new Error('scoring pool closed');
    } catch (err) {
      this.incoming = [];
      await Promise.all(fresh.map((s) => retire(s)));
      throw err;
    }
    let release: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      if (this.closed) throw new Error('scoring pool closed'); // close() already stopped the new workers
      const old = this.slots.splice(0, this.slots.length, ...fresh);
      this.weights = weights;
      this.version = fresh[0]!.version;
      for (const s of old) retire(s).catch(() => undefined); // idle (no batch in flight): nothing to lose
    } finally {
      this.drained = null;
      this.incoming = [];
      this.gate = null;
      release();
    }
    this.pump();
    return this.version ?? weights.version;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error('scoring pool closed'));
    await Promise.all([...this.slots, ...this.incoming].map((s) => retire(s, 'scoring pool closed')));
  }
}

/** Stop a worker that is no longer (or not yet) in the pool: no replacement, no retry. */
async function retire(slot: Slot, why = 'scoring worker retired'): Promise<void> {
  slot.worker.removeAllListeners('exit');
  if (slot.timer) clearTimeout(slot.timer);
  slot.busy?.reject(new Error(why));
  slot.busy = null;
  await slot.worker.terminate();
}

/** Pool options from the ensemble part of the config. */
export function poolOptionsFrom(modelDir: string | null, backend: BackendPreference, options: EnsembleOptions, workers: number, timeoutMs: number): ScoringPoolOptions {
  return { modelDir, backend, options, workers, timeoutMs };
}

/**
 * Pack windows[from, to) for a worker. Consecutive windows that are views of one buffer (the windows of
 * one series end at successive points and overlap almost entirely) are sent as that buffer's covered range
 * once, with a (start, end) per window: copying every window whole moved ~100× more bytes per cycle and
 * stalled the main thread under heavy ingest.
 */
export function packWindows(windows: readonly Float64Array[], from: number, to: number): { values: Float64Array; starts: Int32Array; ends: Int32Array } {
  const groups: Array<{ buffer: ArrayBufferLike; lo: number; hi: number; first: number; last: number }> = [];
  for (let i = from; i < to; i++) {
    const w = windows[i]!;
    const lo = w.byteOffset / 8;
    const hi = lo + w.length;
    const g = groups[groups.length - 1];
    if (g && g.buffer === w.buffer && lo <= g.hi && hi >= g.lo) {
      g.lo = Math.min(g.lo, lo);
      g.hi = Math.max(g.hi, hi);
      g.last = i;
    } else groups.push({ buffer: w.buffer, lo, hi, first: i, last: i });
  }
  let total = 0;
  for (const g of groups) total += g.hi - g.lo;
  const values = new Float64Array(total);
  const starts = new Int32Array(to - from);
  const ends = new Int32Array(to - from);
  let base = 0;
  for (const g of groups) {
    values.set(new Float64Array(g.buffer, g.lo * 8, g.hi - g.lo), base);
    for (let i = g.first; i <= g.last; i++) {
      const w = windows[i]!;
      const s = base + w.byteOffset / 8 - g.lo;
      starts[i - from] = s;
      ends[i - from] = s + w.length;
    }
    base += g.hi - g.lo;
  }
  return { values, starts, ends };
}
