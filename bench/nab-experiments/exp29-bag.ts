/**
 * Experiment 29: a bag of forecasters (the mean of K seeds' forecasts) in the default detector.
 * Models from exp28-seeds.ts (/tmp/e28/<variant>). BAGS="s42+s1+s2;s3+s4+s5" npx tsx bench/nab-experiments/exp29-bag.ts
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster, type Forecaster } from '../../src/detect/model.js';
import { initBackend } from '../../src/detect/backend.js';
import { runNabBench } from '../../src/detect/nab/runner.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { NAB_DIR } from './harness.js';

await initBackend('wasm');
const options = ensembleOptions(loadConfig({ env: {} }).detect);
const mode = process.env.MODE ?? 'mean';
for (const bag of (process.env.BAGS ?? 's42').split(';')) {
  const members = await Promise.all(bag.split('+').map((v) => loadForecaster(`/tmp/e28/${v}`)));
  const first = members[0]!;
  const fc = {
    meta: { ...first.meta, version: `bag(${bag})` },
    inputPoints: first.inputPoints,
    forecast(windows: readonly Float64Array[]): Float64Array {
      const all = members.map((m) => m.forecast(windows));
      const out = new Float64Array(windows.length);
      for (let b = 0; b < windows.length; b++) {
        const v = all.map((a) => a[b]!).sort((x, y) => x - y);
        out[b] = mode === 'median' ? v[v.length >> 1]! : v.reduce((s, x) => s + x, 0) / v.length;
      }
      return out;
    },
  } as unknown as Forecaster;
  const r = await runNabBench({ dataDir: join(NAB_DIR, 'data'), labelsFile: join(NAB_DIR, 'labels', 'combined_windows.json'), windowPoints: 240, detector: new EnsembleDetector(fc, options) });
  const p = r.profiles!;
  console.log(`RESULT ${mode} ${bag.padEnd(24)} std ${p.standard.normalised!.toFixed(2)}  lowFP ${p.reward_low_FP_rate.normalised!.toFixed(2)}  lowFN ${p.reward_low_FN_rate.normalised!.toFixed(2)}`);
}
