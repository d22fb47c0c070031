/** Experiment 14: cache the ensemble-3 components per file (value, residual, seasonal-difference novelty) and diagnose the default. */
import { writeFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { initBackend } from '../../src/detect/backend.js';
import { loadForecaster } from '../../src/detect/model.js';
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { defaultModelDir } from '../../src/detect/registry.js';
import { diagnose, loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
await initBackend('auto');
const fc = await loadForecaster(defaultModelDir());
const cache: Record<string, { f: number[]; v: number[]; e: number[]; s: number[] }> = {};
for (const f of corpus) {
  const ws: Float64Array[] = [];
  for (let i = 0; i < f.values.length; i++) ws.push(f.values.subarray(Math.max(0, i - 999), i + 1));
  const fcs = fc.forecast(ws);
  const vn = new IntervalNovelty(16), en = new IntervalNovelty(16), sn = new IntervalNovelty(8);
  const v: number[] = [], e: number[] = [], s: number[] = [];
  for (let i = 0; i < f.values.length; i++) {
    v.push(vn.update(f.values[i]!));
    e.push(i === 0 ? 0 : en.update(f.values[i]! - fcs[i]!));
    s.push(i < 288 ? 0 : sn.update(f.values[i]! - f.values[i - 288]!));
  }
  cache[f.key] = { f: Array.from(fcs), v, e, s };
}
writeFileSync('/tmp/e3/base3.json', JSON.stringify(cache));
const sc = new Map<string, Float64Array>();
run(corpus, 'ensemble-3', (_vals, k) => {
  const c = new ExcessCalibrator({ historyPoints: 15 }); const r = cache[k]!;
  const o = Float64Array.from(r.v, (x, i) => c.update(x + r.e[i]! + 0.5 * r.s[i]!)); sc.set(k, o); return o;
});
diagnose(corpus, sc);
