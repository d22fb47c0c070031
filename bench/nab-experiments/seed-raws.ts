/**
 * Raw features of every NAB file under several forecaster seeds (exp28-seeds.ts / exp30-cv.ts write the
 * models to /tmp/e28/<variant>), computed once so that a variant of the per-series state replays only the
 * state: shared by exp27-state.ts and exp32-context.ts.
 * A seed name is `<variant>` (the model in /tmp/e28/<variant>), `<variant>@cv` (each file scored by the
 * 2-fold model that never saw it), `<variant>@cat` (by the model that never saw its category),
 * `<variant>@cvft` (the @cv model before the file's probation end, its fine-tuned copy after), or one of
 * the non-learned forecasters last / mean / median (of the 32 points before).
 */
import type { EnsembleOptions } from '../../src/detect/ensemble.js';
import { EnsembleDetector } from '../../src/detect/ensemble.js';
import { RAW_STRIDE } from '../../src/detect/features.js';
import { loadForecaster, type Forecaster } from '../../src/detect/model.js';
import { probationaryLength } from '../../src/detect/nab/scorer.js';
import { categoryFoldsOf, foldsOf, type Loaded } from './harness.js';

/** Non-learned forecasters for comparison: the previous value, the mean / median of the 32 before. */
function naive(kind: string): Forecaster {
  return {
    meta: { format: 'x', inputPoints: 32, version: kind },
    inputPoints: 32,
    forecast(windows: readonly Float64Array[]): Float64Array {
      return Float64Array.from(windows, (w) => {
        const n = w.length;
        if (n < 2) return w[n - 1] ?? 0;
        if (kind === 'last') return w[n - 2]!;
        const h = Array.from(w.subarray(Math.max(0, n - 33), n - 1));
        if (kind === 'mean') return h.reduce((a, b) => a + b, 0) / h.length;
        h.sort((a, b) => a - b);
        return h[h.length >> 1]!;
      });
    },
  } as unknown as Forecaster;
}

/** seed name → file key → raw features (RAW_STRIDE per row), as the daemon's pool computes them. */
export async function seedRaws(corpus: readonly Loaded[], seeds: readonly string[], options: EnsembleOptions = {}): Promise<Map<string, Map<string, Float64Array>>> {
  const raws = new Map<string, Map<string, Float64Array>>();
  const keys = corpus.map((f) => f.key);
  for (const seed of seeds) {
    const [name, mode = ''] = seed.split('@') as [string, string?];
    const folds = mode === 'cat' ? categoryFoldsOf(keys) : foldsOf(keys);
    const load = async (dir: string): Promise<EnsembleDetector> =>
      new EnsembleDetector(['last', 'mean', 'median'].includes(seed) ? naive(seed) : await loadForecaster(dir), options);
    const fold = (k: number, ft: boolean): Promise<EnsembleDetector> => load(`/tmp/e28/${name}-${mode === 'cat' ? 'cat' : 'cv'}${k}${ft ? '-ft' : ''}`);
    // per fold: [detector for the probationary rows, detector for the rest]
    const dets: Array<[EnsembleDetector, EnsembleDetector]> =
      mode === '' ? [await load(`/tmp/e28/${seed}`)].map((d) => [d, d] as [EnsembleDetector, EnsembleDetector])
        : await Promise.all([...new Set(folds.values())].sort().map(async (k) => [await fold(k, false), await fold(k, mode === 'cvft')] as [EnsembleDetector, EnsembleDetector]));
    const m = new Map<string, Float64Array>();
    for (const f of corpus) {
      const [early, late] = dets[mode === '' ? 0 : folds.get(f.key)!]!;
      const n = f.values.length;
      const prob = probationaryLength(n);
      const all = new Float64Array(n * RAW_STRIDE);
      // batches of 512 rows (as bench nab), split at the probation end where the detector changes
      for (let s = 0, end = 0; s < n; s = end) {
        end = Math.min(n, s + 512, s < prob ? prob : n);
        const det = s < prob ? early : late;
        const wins: Float64Array[] = [];
        for (let i = s; i < end; i++) wins.push(f.values.subarray(Math.max(0, i - det.windowPoints + 1), i + 1));
        all.set(det.raw(wins).raw.subarray(0, wins.length * RAW_STRIDE), s * RAW_STRIDE);
      }
      m.set(f.key, all);
    }
    raws.set(seed, m);
  }
  return raws;
}
