/** Experiment 2: diagnostics of NN novelty + excess calibration. */
import { novelty, windowStd } from '../../src/detect/features.js';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { diagnose, loadCorpus } from './harness.js';

const corpus = await loadCorpus();
const scores = new Map<string, Float64Array>();
for (const f of corpus) {
  const c = new ExcessCalibrator({ historyPoints: 100 });
  const out = new Float64Array(f.values.length);
  for (let i = 10; i < f.values.length; i++) {
    const w = f.values.subarray(Math.max(0, i - 1999), i + 1);
    out[i] = c.update(novelty(w, 4) / windowStd(w, w.length - 1));
  }
  scores.set(f.key, out);
}
diagnose(corpus, scores);
