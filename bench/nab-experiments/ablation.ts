/**
 * Default ensemble with and without the TF.js model, and without the seasonal-difference novelty, on the NAB
 * subset, at the daemon's window (series.windowPoints 240: since ensemble-5 the model component needs no
 * longer window, 240 and 1000 score the same).
 */
import { join } from 'node:path';
import { initBackend } from '../../src/detect/backend.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { runNabBench } from '../../src/detect/nab/runner.js';
import { defaultModelDir } from '../../src/detect/registry.js';
import { NAB_DIR } from './harness.js';

await initBackend('auto');
const fc = await loadForecaster(defaultModelDir());
const opts = { dataDir: join(NAB_DIR, 'data'), labelsFile: join(NAB_DIR, 'labels', 'combined_windows.json'), windowPoints: 240 };
const m = { computeComponents: ['model'] } as const;
for (const [name, det] of [
  ['with model (default)', new EnsembleDetector(fc, m)],
  ['without model', new EnsembleDetector(null, m)],
  ['with model, seasonWeight 0', new EnsembleDetector(fc, { ...m, seasonWeight: 0 })],
  ['without model, seasonWeight 0', new EnsembleDetector(null, { ...m, seasonWeight: 0 })],
  ['with model, seasonWeight 0.25', new EnsembleDetector(fc, { ...m, seasonWeight: 0.25 })],
  ['with model, seasonWeight 1', new EnsembleDetector(fc, { ...m, seasonWeight: 1 })],
  ['with model, history 10', new EnsembleDetector(fc, { ...m, calibration: { historyPoints: 10 } })],
  ['with model, history 20', new EnsembleDetector(fc, { ...m, calibration: { historyPoints: 20 } })],
  ['with model, history 30 (ensemble-2 calib.)', new EnsembleDetector(fc, { ...m, calibration: { historyPoints: 30 } })],
  ['with model, [model, seasonal]', new EnsembleDetector(fc, { components: ['model', 'seasonal'] })],
  ['with model, [model, robust]', new EnsembleDetector(fc, { components: ['model', 'robust'] })],
] as const) {
  const r = await runNabBench({ ...opts, detector: det });
  const p = r.profiles!;
  console.log(`${name.padEnd(44)} std ${p.standard.normalised!.toFixed(2)}  lowFP ${p.reward_low_FP_rate.normalised!.toFixed(2)}  lowFN ${p.reward_low_FN_rate.normalised!.toFixed(2)}  (${r.seconds.toFixed(1)} s)`);
}
