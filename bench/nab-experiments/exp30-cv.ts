/**
 * Experiment 30: 2-fold cross-validation of the forecaster over the NAB subset. The shipped model is
 * trained on the same 41 files NAB scores it on (labels never used, but it has seen every anomaly's
 * shape as data to forecast); here each file is scored by a model that never saw it. For each variant
 * (exp28-seeds.ts naming) and fold k, trains `/tmp/e28/<variant>-cv<k>` on the files NOT in fold k
 * (harness.ts foldsOf) plus the synthetic series; then score with exp27-state.ts using `<variant>@cv`:
 *   VARIANTS=s42h32,s1h32 npx tsx bench/nab-experiments/exp30-cv.ts
 *   SEEDS=s42h32@cv,s1h32@cv npx tsx bench/nab-experiments/exp27-state.ts base
 * FOLDS=category: leave one category out instead (harness.ts categoryFoldsOf), models
 * `/tmp/e28/<variant>-cat<k>`, scored with `<variant>@cat`.
 */
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { trainForecaster } from '../../src/cli/train.js';
import { listNabFiles } from '../../src/detect/nab/layout.js';
import { categoryFoldsOf, foldsOf, NAB_DIR, variantTrainOptions } from './harness.js';

const files = await listNabFiles(join(NAB_DIR, 'data'));
const byCategory = process.env.FOLDS === 'category';
const folds = (byCategory ? categoryFoldsOf : foldsOf)(files.map((f) => f.key));
const suffix = byCategory ? 'cat' : 'cv';
for (const fold of [...new Set(folds.values())].sort()) {
  // a NAB-layout directory of symlinks to the files outside this fold
  const dir = await mkdtemp(join(tmpdir(), `e30-train-not-${fold}-`));
  for (const f of files.filter((x) => folds.get(x.key) !== fold)) {
    await mkdir(join(dir, dirname(f.key)), { recursive: true });
    await symlink(f.path, join(dir, f.key));
  }
  for (const v of (process.env.VARIANTS ?? 's42').split(',')) {
    const t = await trainForecaster(variantTrainOptions(v, dir, `/tmp/e28/${v}-${suffix}${fold}`));
    console.log(`TRAINED ${v}-${suffix}${fold} on ${t.series} series (fold ${fold} held out), loss ${t.finalLoss.toFixed(4)}`);
  }
}
