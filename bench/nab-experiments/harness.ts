/**
 * Tiny NAB experiment harness: load the subset once, score every file with a per-file causal scoring
 * function (values → score per row), print the three normalised NAB profile scores.
 */
import { join } from 'node:path';
import type { TrainOptions } from '../../src/cli/train.js';
import { readNabCsv, timestampMillis } from '../../src/detect/nab/csv.js';
import { listNabFiles } from '../../src/detect/nab/layout.js';
import { PROFILE_NAMES, scoreAllProfiles, type NabFileInput } from '../../src/detect/nab/scorer.js';
import { loadNabLabels, windowRows, type RowWindow } from '../../src/detect/nab/windows.js';

export interface Loaded {
  key: string;
  values: Float64Array;
  /** Row timestamps, ms since the epoch (UTC). */
  times: Float64Array;
  windows: RowWindow[];
}

export const NAB_DIR = process.env.NAB_DIR ?? '/work/shared/datasets/nab';

export async function loadCorpus(dir = NAB_DIR): Promise<Loaded[]> {
  const labels = await loadNabLabels(join(dir, 'labels', 'combined_windows.json'));
  const out: Loaded[] = [];
  for (const f of await listNabFiles(join(dir, 'data'))) {
    const s = await readNabCsv(f.path, f.key);
    out.push({ key: f.key, values: s.values, times: Float64Array.from(s.timestamps, timestampMillis), windows: windowRows(s.timestamps, labels.get(f.key) ?? [], f.key) });
  }
  return out;
}

/**
 * Cross-validation fold of every file key: files are taken in order within each category and dealt to
 * folds 0, 1, …, so every fold has files of every category. (Related files, e.g. exchange-2 cpc and cpm,
 * can land in different folds: a model trained on one has seen its sibling.)
 */
export function foldsOf(keys: readonly string[], folds = 2): Map<string, number> {
  const byCategory = new Map<string, string[]>();
  for (const k of [...keys].sort()) {
    const c = k.split('/')[0]!;
    byCategory.set(c, [...(byCategory.get(c) ?? []), k]);
  }
  const out = new Map<string, number>();
  for (const ks of byCategory.values()) ks.forEach((k, i) => out.set(k, i % folds));
  return out;
}

/**
 * `aiopsd train` options of an exp28/exp30 variant name: `s<seed>i<inputPoints>e<epochs>n<samples>y<synthetic>`
 * and `h<w1.w2>` (hidden widths; `h0` linear; no h = the shipped shape), each part optional.
 */
export function variantTrainOptions(v: string, data: string, out: string): TrainOptions {
  const num = (k: string, d: number): number => Number(new RegExp(`${k}(\\d+)`).exec(v)?.[1] ?? d);
  const hidden = /h([\d.]*)/.exec(v)?.[1];
  return {
    data, out, seed: num('s', 42), epochs: num('e', 6), samples: num('n', 60000), inputPoints: num('i', 32), synthetic: num('y', 40), backend: 'wasm',
    ...(hidden === undefined ? {} : { hiddenUnits: hidden.split('.').filter(Boolean).map(Number).filter((u) => u > 0) }),
  };
}

/**
 * Leave-one-category-out folds: fold k = the k-th category in sorted order. A model for fold k never saw
 * any file of that category — the closest stand-in we have for NAB files of categories we do not have.
 */
export function categoryFoldsOf(keys: readonly string[]): Map<string, number> {
  const categories = [...new Set(keys.map((k) => k.split('/')[0]!))].sort();
  return new Map(keys.map((k) => [k, categories.indexOf(k.split('/')[0]!)]));
}

export type ScoreFn = (values: Float64Array, key: string) => Float64Array;

export function evaluate(corpus: Loaded[], scores: Map<string, Float64Array>): Record<string, number> {
  const files = new Map<string, NabFileInput>();
  for (const f of corpus) files.set(f.key, { scores: scores.get(f.key)!, windows: f.windows, rows: f.values.length });
  const r = scoreAllProfiles({ files });
  return Object.fromEntries(PROFILE_NAMES.map((p) => [p, Math.round((r[p].normalised ?? 0) * 100) / 100]));
}

export function run(corpus: Loaded[], name: string, fn: ScoreFn): Record<string, number> {
  const t0 = performance.now();
  const scores = new Map<string, Float64Array>();
  for (const f of corpus) scores.set(f.key, fn(f.values, f.key));
  const res = evaluate(corpus, scores);
  const s = Object.values(res);
  console.log(`${name.padEnd(48)} std ${s[0]!.toFixed(2)}  lowFP ${s[1]!.toFixed(2)}  lowFN ${s[2]!.toFixed(2)}   (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
  return res;
}

/** The standard profile's best threshold for these scores. */
export function standardThreshold(corpus: Loaded[], scores: Map<string, Float64Array>): number {
  const files = new Map<string, NabFileInput>();
  for (const f of corpus) files.set(f.key, { scores: scores.get(f.key)!, windows: f.windows, rows: f.values.length });
  return scoreAllProfiles({ files }).standard.threshold;
}

/** One file at threshold t, after the probationary period: each window's first detection row (−1 = missed) and the false rows. */
export function fileOutcome(f: Loaded, s: Float64Array, t: number): { firstHits: number[]; fpRows: number[] } {
  const prob = Math.min(Math.floor(0.15 * f.values.length), 750);
  const firstHits = f.windows.map(([L, R]) => {
    for (let i = Math.max(L, prob); i <= R; i++) if (s[i]! >= t) return i;
    return -1;
  });
  const fpRows: number[] = [];
  for (let i = prob; i < f.values.length; i++) if (s[i]! >= t && !f.windows.some(([L, R]) => i >= L && i <= R)) fpRows.push(i);
  return { firstHits, fpRows };
}

/** Per-file diagnostics at the standard profile's best threshold: tp/fn windows, fp rows, first detection lag. */
export function diagnose(corpus: Loaded[], scores: Map<string, Float64Array>, threshold?: number): void {
  const t = threshold ?? standardThreshold(corpus, scores);
  console.log(`threshold ${t}`);
  for (const f of corpus) {
    const { firstHits, fpRows } = fileOutcome(f, scores.get(f.key)!, t);
    const det = f.windows.map(([L, R], w) => (firstHits[w]! < 0 ? `MISS[${L}-${R}]` : `${((firstHits[w]! - L) / (R - L + 1)).toFixed(2)}`));
    console.log(`${f.key.padEnd(55)} n ${f.values.length} win ${det.join(' ')}  fp ${fpRows.length} ${fpRows.slice(0, 6).join(',')}`);
  }
}
