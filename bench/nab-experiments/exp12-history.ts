/** Experiment 12: calibration history length × residual weight × soft rest period (flatness check). */
import { readFileSync } from 'node:fs';
import { ExcessCalibrator } from '../../src/detect/calibrate.js';
import { loadCorpus, run } from './harness.js';

const corpus = await loadCorpus();
const base = JSON.parse(readFileSync('/tmp/e3/base.json', 'utf8')) as Record<string, { f: number[]; v: number[]; e: number[] }>;
const exc = (raw: ArrayLike<number>, h = 30): Float64Array => { const c = new ExcessCalibrator({ historyPoints: h }); return Float64Array.from(raw as number[], (r) => c.update(r)); };
const B = (k: string, w = 1) => base[k]!.v.map((x, i) => x + w * base[k]!.e[i]!);
for (const h of [5, 8, 10, 12, 15, 20, 30]) for (const w of [0, 0.5, 1, 1.5]) run(corpus, `hist${h} resid w${w}`, (_v, k) => exc(B(k, w), h));
