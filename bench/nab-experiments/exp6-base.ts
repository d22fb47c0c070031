/** Experiment 6 (base): cache the default raw scores (value + residual novelty) per file, diagnose. */
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
const cache: Record<string, { f: number[]; v: number[]; e: number[] }> = {};
for (const f of corpus) {
  const ws: Float64Array[] = [];
  for (let i = 0; i < f.values.length; i++) ws.push(f.values.subarray(Math.max(0, i - 999), i + 1));
  const fcs = fc.forecast(ws);
  const vn = new IntervalNovelty(16), en = new IntervalNovelty(16);
  const v: number[] = [], e: number[] = [];
  for (let i = 0; i < f.values.length; i++) { v.push(vn.update(f.values[i]!)); e.push(i === 0 ? 0 : en.update(f.values[i]! - fcs[i]!)); }
  cache[f.key] = { f: Array.from(fcs), v, e };
}
writeFileSync(process.env.E3_CACHE ?? '/tmp/e3/base.json', JSON.stringify(cache));
const sc = new Map<string, Float64Array>();
run(corpus, 'default value+resid excess30', (vals, k) => {
  const c = new ExcessCalibrator(); const r = cache[k]!;
  const o = Float64Array.from(r.v, (x, i) => c.update(x + r.e[i]!)); sc.set(k, o); return o;
});
diagnose(corpus, sc);
