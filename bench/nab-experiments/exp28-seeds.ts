/**
 * Experiment 28: how much of the ensemble-8 NAB score is the forecaster's training seed, and do other
 * forecaster shapes score better on average over seeds (not on one lucky seed)? Trains each variant
 * (`s<seed>i<inputPoints>e<epochs>n<samples>y<synthetic>h<units.units>`, h0 = linear, d0 = synthetic series only) into /tmp/e28 and scores the default detector
 * with it. VARIANTS=s42,s1 npx tsx bench/nab-experiments/exp28-seeds.ts
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainForecaster } from '../../src/cli/train.js';
import { loadConfig } from '../../src/config/load.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { loadForecaster } from '../../src/detect/model.js';
import { runNabBench } from '../../src/detect/nab/runner.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { NAB_DIR, variantTrainOptions } from './harness.js';

const options = ensembleOptions(loadConfig({ env: {} }).detect);
const variants = (process.env.VARIANTS ?? 's42').split(',');
/** `d0` in a variant: train on the synthetic series only (no NAB file), so the model has never seen the scored data. */
const emptyDir = await mkdtemp(join(tmpdir(), 'e28-empty-'));
for (const v of variants) {
  const out = `/tmp/e28/${v}`;
  const t = await trainForecaster(variantTrainOptions(v, v.includes('d0') ? emptyDir : join(NAB_DIR, 'data'), out));
  const fc = await loadForecaster(out);
  const r = await runNabBench({ dataDir: join(NAB_DIR, 'data'), labelsFile: join(NAB_DIR, 'labels', 'combined_windows.json'), windowPoints: 240, detector: new EnsembleDetector(fc, options) });
  const p = r.profiles!;
  console.log(`RESULT ${v.padEnd(20)} loss ${t.finalLoss.toFixed(4)} train ${t.seconds.toFixed(0)}s  std ${p.standard.normalised!.toFixed(2)}  lowFP ${p.reward_low_FP_rate.normalised!.toFixed(2)}  lowFN ${p.reward_low_FN_rate.normalised!.toFixed(2)}`);
}
