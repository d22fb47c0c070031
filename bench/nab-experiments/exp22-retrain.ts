/** Experiment 22: retrain the forecaster (seed, input length, epochs/samples) and score ensemble-3 with each. Models go to /tmp. */
import { join } from 'node:path';
import { trainForecaster } from '../../src/cli/train.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { runNabBench } from '../../src/detect/nab/runner.js';
import { NAB_DIR } from './harness.js';

const variants = (process.env.VARIANTS ?? 's42,s1,s2').split(',');
for (const v of variants) {
  const seed = Number(/s(\d+)/.exec(v)?.[1] ?? 42);
  const inputPoints = Number(/i(\d+)/.exec(v)?.[1] ?? 32);
  const epochs = Number(/e(\d+)/.exec(v)?.[1] ?? 6);
  const samples = Number(/n(\d+)/.exec(v)?.[1] ?? 60000);
  const out = `/tmp/e3/models/${v}`;
  const t = await trainForecaster({ data: join(NAB_DIR, 'data'), out, seed, epochs, samples, inputPoints, synthetic: 40, backend: 'wasm' });
  const fc = await loadForecaster(out);
  const r = await runNabBench({ dataDir: join(NAB_DIR, 'data'), labelsFile: join(NAB_DIR, 'labels', 'combined_windows.json'), windowPoints: 1000, detector: new EnsembleDetector(fc, { computeComponents: ['model'] }) });
  const p = r.profiles!;
  console.log(`${v.padEnd(20)} loss ${t.finalLoss.toFixed(4)} train ${t.seconds.toFixed(0)}s  std ${p.standard.normalised!.toFixed(2)}  lowFP ${p.reward_low_FP_rate.normalised!.toFixed(2)}  lowFN ${p.reward_low_FN_rate.normalised!.toFixed(2)}`);
}
