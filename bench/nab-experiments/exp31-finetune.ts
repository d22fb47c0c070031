/**
 * Experiment 31: does the daemon's online fine-tuning (detect.fineTune, off by default) win back what a
 * model loses on series it was not trained on? Cross-validated (exp30-cv.ts): for fold k, the model that
 * never saw fold k's files, `/tmp/e28/<variant>-cv<k>`, is fine-tuned exactly as a daemon round does
 * (runFineTuneJob: default settings — up to 20 000 windows, 2 epochs, Adam 1e-4, newest 20 % held out,
 * adopted only if the holdout error drops ≥ 2 %) on the probationary part of fold k's files (the first
 * min(15 %, 750) rows, which NAB does not score), and saved as `<variant>-cv<k>-ft`. Score with
 * exp27-state.ts `<variant>@cvft`: rows before the probation end use the fold model, later rows the
 * fine-tuned one, so every score still depends only on earlier rows.
 *   VARIANTS=s42h32 npx tsx bench/nab-experiments/exp30-cv.ts   # first
 *   VARIANTS=s42h32 npx tsx bench/nab-experiments/exp31-finetune.ts
 *   SEEDS=s42h32@cv,s42h32@cvft npx tsx bench/nab-experiments/exp27-state.ts base
 */
import { loadConfig } from '../../src/config/load.js';
import { decideAdoption } from '../../src/detect/finetune.js';
import { runFineTuneJob } from '../../src/detect/finetune-job.js';
import { fileSaveHandler, loadForecaster } from '../../src/detect/model.js';
import { probationaryLength } from '../../src/detect/nab/scorer.js';
import { applyWeights } from '../../src/detect/weights.js';
import { foldsOf, loadCorpus } from './harness.js';

const ft = loadConfig({ env: {} }).detect.fineTune;
const corpus = await loadCorpus();
const folds = foldsOf(corpus.map((f) => f.key));
for (const v of (process.env.VARIANTS ?? 's42h32').split(',')) {
  for (const fold of [0, 1]) {
    const dir = `/tmp/e28/${v}-cv${fold}`;
    const series = corpus.filter((f) => folds.get(f.key) === fold).map((f) => f.values.subarray(0, probationaryLength(f.values.length)));
    const r = await runFineTuneJob({
      modelDir: dir, backend: 'wasm', current: null, series, windows: ft.maxWindows, holdoutFraction: ft.holdoutFraction,
      epochs: ft.epochs, learningRate: ft.learningRate, seed: ft.seed, candidateVersion: 'ft',
    });
    if (!r.ok) throw new Error(`${v} fold ${fold}: ${r.reason} ${r.message}`);
    const adopted = decideAdoption(r, ft.minImprovementRatio).outcome === 'adopted';
    const fc = await loadForecaster(dir);
    if (adopted) applyWeights(fc.model, r.candidate);
    await fc.model.save(fileSaveHandler(`${dir}-ft`, { ...fc.meta, version: `${fc.meta.version}+ft` }));
    fc.dispose();
    console.log(`FT ${v} fold ${fold}: ${r.trainWindows} train / ${r.holdoutWindows} holdout windows, holdout error ${r.currentError.toFixed(4)} → ${r.candidateError.toFixed(4)}: ${adopted ? 'adopted' : 'kept'}`);
  }
}
