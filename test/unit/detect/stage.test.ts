import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/detect/backend.js';
import { EnsembleDetector } from '../../../src/detect/ensemble.js';
import { loadForecaster, type Forecaster } from '../../../src/detect/model.js';
import type { ScoringPool } from '../../../src/detect/pool.js';
import { defaultModelDir } from '../../../src/detect/registry.js';
import { DetectionStage } from '../../../src/detect/stage.js';
import type { StreamingDetector } from '../../../src/detect/detector.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { mulberry32 } from '../../../src/lib/random.js';
import { SeriesStore } from '../../../src/series/store.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

let forecaster: Forecaster;
beforeAll(async () => {
  await initBackend('cpu');
  forecaster = await loadForecaster(defaultModelDir());
});

const T0 = 1.7e12;
/** Rounds of samples for `series` series: round r brings 1–80 new points a series (more than maxNew sometimes). */
function rounds(series: number, count: number, seed: number): Array<Array<{ labels: Record<string, string>; timestampMs: number; value: number }>> {
  const rand = mulberry32(seed);
  const next = Array<number>(series).fill(0);
  return Array.from({ length: count }, (_, r) => {
    const out: Array<{ labels: Record<string, string>; timestampMs: number; value: number }> = [];
    for (let s = 0; s < series; s++) {
      const n = r === 0 ? 5 : rand() < 0.2 ? 1 + Math.floor(rand() * 80) : 1;
      for (let k = 0; k < n; k++) {
        const i = next[s]!++;
        const spike = rand() < 0.02 ? 40 : 0;
        out.push({ labels: { __name__: 'm', instance: `i${s}` }, timestampMs: T0 + i * 15_000, value: 100 + 10 * Math.sin(i / 7 + s) + 3 * rand() + spike });
      }
    }
    return out;
  });
}

/** The ensemble without contextPoints: the stage then reads whole windows (the behaviour before). */
function wholeWindows(d: EnsembleDetector): StreamingDetector {
  return { name: d.name, version: d.version, windowPoints: d.windowPoints, minPoints: d.minPoints, raw: (w) => d.raw(w), createState: (c) => d.createState(c), score: (w) => d.score(w) };
}

function newStage(detector: StreamingDetector, extra: { pool?: ScoringPool; seriesPerBatch?: number } = {}): { store: SeriesStore; stage: DetectionStage } {
  const metrics = createTestMetrics();
  const store = new SeriesStore({ windowPoints: 240, maxSeries: 100, staleAfterMs: 1e15 }, new ManualClock(T0), metrics);
  return { store, stage: new DetectionStage(store, detector, { threshold: 0, ...extra }, metrics) };
}

const summary = (a: Array<{ seriesKey: string; timestampMs: number; score: number; expected: number }>) => a.map((x) => `${x.seriesKey}@${x.timestampMs}:${x.score}:${x.expected}`).sort();

describe('DetectionStage reads only what the new windows need', () => {
  it('the ensemble reads forecaster input + 1 points a window', () => {
    const d = new EnsembleDetector(forecaster, { windowPoints: 240, computeComponents: ['model'] });
    expect(d.contextPoints).toBe(forecaster.inputPoints + 1);
    expect(new EnsembleDetector(forecaster, { windowPoints: 240 }).contextPoints).toBe(240); // the seasonal component needs 3 seasons
  });

  it('scores every new point exactly as whole windows did', () => {
    const d = new EnsembleDetector(forecaster, { windowPoints: 240, computeComponents: ['model'] });
    const a = newStage(d);
    const b = newStage(wholeWindows(d));
    let compared = 0;
    for (const batch of rounds(6, 12, 3)) {
      a.store.append(batch);
      b.store.append(batch);
      const got = summary(a.stage.run());
      expect(got).toEqual(summary(b.stage.run()));
      compared += got.length;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('runAsync scores in batches of seriesPerBatch series, with the same results as one batch', async () => {
    const d = new EnsembleDetector(forecaster, { windowPoints: 240, computeComponents: ['model'] });
    let calls = 0;
    const pool = { raw: (w: readonly Float64Array[]) => (calls++, Promise.resolve({ ...d.raw(w), version: d.version })) } as unknown as ScoringPool;
    const small = newStage(d, { pool, seriesPerBatch: 2 });
    const one = newStage(d);
    for (const batch of rounds(5, 6, 9)) {
      small.store.append(batch);
      one.store.append(batch);
      calls = 0;
      expect(summary(await small.stage.runAsync())).toEqual(summary(one.stage.run()));
      expect(calls).toBe(3); // 5 dirty series, 2 a batch
    }
  });
});

describe('DetectionStage state bookkeeping', () => {
  it('aiopsd_detect_series_states counts the series with state, and drops those the store forgets', async () => {
    const d = new EnsembleDetector(forecaster, { windowPoints: 240, computeComponents: ['model'] });
    const metrics = createTestMetrics();
    const clock = new ManualClock(T0);
    const store = new SeriesStore({ windowPoints: 240, maxSeries: 100, staleAfterMs: 60_000 }, clock, metrics);
    const stage = new DetectionStage(store, d, { threshold: 0 }, metrics);
    const gauge = async (): Promise<number> => (await metrics.seriesStates.get()).values[0]?.value ?? -1;
    const point = (s: number, i: number) => ({ labels: { __name__: 'm', instance: `i${s}` }, timestampMs: T0 + i * 15_000, value: 100 + (i % 7) });
    store.append(Array.from({ length: 3 * 12 }, (_, k) => point(k % 3, Math.floor(k / 3))));
    stage.run();
    expect(await gauge()).toBe(3);
    clock.set(T0 + 120_000);
    store.append([point(0, 12)]); // only series 0 stays fresh
    expect(store.sweep()).toBe(2);
    stage.prune();
    expect(await gauge()).toBe(1);
  });
});
