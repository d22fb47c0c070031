/** Default ensemble with and without the TF.js model (value novelty only) on the NAB subset. */
import { join } from 'node:path';
import { initBackend } from '../../src/detect/backend.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { runNabBench } from '../../src/detect/nab/runner.js';
import { defaultModelDir } from '../../src/detect/registry.js';
import { NAB_DIR } from './harness.js';

await initBackend('auto');
const fc = await loadForecaster(defaultModelDir());
const opts = { dataDir: join(NAB_DIR, 'data'), labelsFile: join(NAB_DIR, 'labels', 'combined_windows.json'), windowPoints: 1000 };
for (const [name, det] of [
  ['with model', new EnsembleDetector(fc, { computeComponents: ['model'] })],
  ['without model', new EnsembleDetector(null, { computeComponents: ['model'] })],
  ['with model, [model, seasonal]', new EnsembleDetector(fc, { components: ['model', 'seasonal'] })],
  ['with model, [model, robust]', new EnsembleDetector(fc, { components: ['model', 'robust'] })],
] as const) {
  const r = await runNabBench({ ...opts, detector: det });
  const p = r.profiles!;
  console.log(`${name.padEnd(32)} std ${p.standard.normalised!.toFixed(2)}  lowFP ${p.reward_low_FP_rate.normalised!.toFixed(2)}  lowFN ${p.reward_low_FN_rate.normalised!.toFixed(2)}  (${r.seconds.toFixed(1)} s)`);
}
