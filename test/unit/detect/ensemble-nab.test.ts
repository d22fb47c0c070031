import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/detect/backend.js';
import { EnsembleDetector } from '../../../src/detect/ensemble.js';
import { loadForecaster } from '../../../src/detect/model.js';
import { readNabCsv, timestampMillis } from '../../../src/detect/nab/csv.js';
import { runNabBench, scoreSeriesStreaming } from '../../../src/detect/nab/runner.js';
import { defaultModelDir } from '../../../src/detect/registry.js';
import { RobustDetector } from '../../../src/detect/robust.js';
import { nabDatasetDir } from './nab/helpers.js';

const nab = nabDatasetDir();
let detector: EnsembleDetector;
beforeAll(async () => {
  await initBackend('auto');
  detector = new EnsembleDetector(await loadForecaster(defaultModelDir()), { components: ['model', 'seasonal'] });
});

describe('ensemble detector', () => {
  it.skipIf(nab === null)('is causal: scores of rows < k are identical when the file is cut at k', async () => {
    const { values, timestamps } = await readNabCsv(join(nab!, 'data', 'realTraffic', 'speed_7578.csv'));
    const times = Float64Array.from(timestamps, timestampMillis);
    const full = await scoreSeriesStreaming(detector, values, 2000, 128, undefined, times);
    for (const k of [50, 333, 700]) {
      const cut = await scoreSeriesStreaming(detector, values.slice(0, k), 2000, 97, undefined, times.slice(0, k));
      expect(Array.from(cut)).toEqual(Array.from(full.subarray(0, k)));
    }
    // the window-only Detector.score() (no timestamps: seasonPoints to the day) gives the same score for a
    // point as the streaming path without timestamps
    const untimed = await scoreSeriesStreaming(detector, values, 2000, 128);
    const w = values.subarray(0, 400);
    expect(detector.score([w]).scores[0]).toBeCloseTo(untimed[399]!, 12);
    for (const s of full) expect(s >= 0 && s <= 1).toBe(true);
  });

  it.skipIf(nab === null)('scores the same with the daemon\'s 240-point window as with 2000 points (the season is per-series state)', async () => {
    const { values, timestamps } = await readNabCsv(join(nab!, 'data', 'realAWSCloudwatch', 'iio_us-east-1_i-a2eb1cd9_NetworkIn.csv'));
    const times = Float64Array.from(timestamps, timestampMillis);
    const model = new EnsembleDetector(detector.forecaster);
    const long = await scoreSeriesStreaming(model, values, 2000, 128, undefined, times);
    const short = await scoreSeriesStreaming(model, values, 240, 128, undefined, times);
    expect(Array.from(short)).toEqual(Array.from(long));
  });

  it.skipIf(nab === null)('beats the robust baseline on the NAB subset under all three profiles', async () => {
    const opts = { dataDir: join(nab!, 'data'), labelsFile: join(nab!, 'labels', 'combined_windows.json') };
    const mine = await runNabBench({ ...opts, detector: new EnsembleDetector(detector.forecaster), windowPoints: 2000 });
    const base = await runNabBench({ ...opts, detector: new RobustDetector(), windowPoints: 512 });
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      expect(mine.profiles![p].normalised!).toBeGreaterThan(base.profiles![p].normalised! + 20);
    }
  }, 120_000);
});
