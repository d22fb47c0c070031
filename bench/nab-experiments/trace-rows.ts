/** Print the model component's terms around given rows of one NAB file (analysis only).
 *  FILE=realAWSCloudwatch/x.csv ROWS=729,1099 npx tsx bench/nab-experiments/trace-rows.ts */
import { initBackend } from '../../src/detect/backend.js';
import { loadConfig } from '../../src/config/load.js';
import { EnsembleDetector, type SeriesStateShape } from '../../src/detect/ensemble.js';
import { RAW_STRIDE } from '../../src/detect/features.js';
import { loadForecaster } from '../../src/detect/model.js';
import { ensembleOptions } from '../../src/detect/registry.js';
import { rawFeatures } from '../lib/stream-scores.js';
import { loadCorpus } from './harness.js';

await initBackend('wasm');
const det = new EnsembleDetector(await loadForecaster(process.env.MODEL ?? '/tmp/e28/s42'), ensembleOptions(loadConfig({ env: {} }).detect));
const f = (await loadCorpus()).find((x) => x.key === process.env.FILE)!;
const rows = (process.env.ROWS ?? '').split(',').map(Number);
const span = Number(process.env.SPAN ?? 3);
const n = f.values.length;
const raw = rawFeatures(det, f.values);
const st = det.createState();
const shape = (st as unknown as { shape: SeriesStateShape }).shape;
const rec: Record<string, number> = {};
const wrap = (name: string, k: { update: (...a: never[]) => number } | null): void => {
  if (!k) return;
  const orig = k.update.bind(k);
  k.update = ((...a: never[]) => { const r = orig(...a); rec[name] = r; return r; }) as typeof k.update;
};
wrap('val', shape.values as never); wrap('res', shape.residuals as never); wrap('sea', shape.seasonDiffs as never); wrap('cal', shape.calibrators[0] as never);
const res = { score: 0, component: '' };
for (let i = 0; i < n; i++) {
  for (const k of Object.keys(rec)) rec[k] = Number.NaN;
  const sc = st.update(raw, i, res, f.times[i]).score;
  if (rows.some((r) => Math.abs(r - i) <= span)) {
    console.log(`${i} x ${f.values[i]!.toPrecision(5)} fc ${(f.values[i]! - raw[i * RAW_STRIDE]!).toPrecision(5)} val ${rec.val!.toFixed(2)} res ${rec.res!.toFixed(2)} sea ${rec.sea!.toFixed(2)} n ${shape.values!.count(st)} score ${sc.toFixed(3)}`);
  }
}
