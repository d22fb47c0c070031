/**
 * How fast does `aiopsd bench nab` score a corpus the size of the whole NAB (≈365 k rows; we have the
 * 41-file, 137 k-row development subset)? Builds a NAB-layout corpus of ~412 k rows in a temporary
 * directory from the subset: each file twice, plus one long file per five files of a category (their
 * values end to end on fresh 5-minute timestamps, ~20 k rows, the length of NAB's longest files); then
 * runs `aiopsd bench nab --data DIR --scores-out FILE` on it (the built CLI, default config) --runs
 * times. Prints JSON: rows, files, the CLI's own seconds, the wall seconds of the whole command (start-up
 * and writing the scores included) and rows/s of each run, and their medians.
 * Usage: npm run build && npx tsx bench/nab-scale.ts [--data DIR] [--runs 3]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { listNabFiles } from '../src/detect/nab/layout.js';
import { median } from './latency/summarize.js';

const cli = new URL('../bin/aiopsd.js', import.meta.url).pathname;
if (!existsSync(new URL('../dist/main.js', import.meta.url))) throw new Error('nab-scale: dist/main.js is missing; run `npm run build` first');

const { values } = parseArgs({ options: { data: { type: 'string', default: '../shared/datasets/nab/data' }, runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`nab-scale: --runs must be a positive integer, not ${values.runs}`);

const dir = await mkdtemp(join(tmpdir(), 'nab-scale-'));
try {
  const byCategory = new Map<string, string[]>();
  for (const f of await listNabFiles(values.data)) {
    const [category] = f.key.split('/') as [string];
    await mkdir(join(dir, category), { recursive: true });
    const text = await readFile(f.path, 'utf8');
    const name = basename(f.key, '.csv');
    await writeFile(join(dir, category, `${name}.csv`), text);
    await writeFile(join(dir, category, `${name}-copy.csv`), text);
    byCategory.set(category, [...(byCategory.get(category) ?? []), text]);
  }
  for (const [category, texts] of byCategory) {
    for (let g = 0; g < texts.length; g += 5) {
      const vals = texts.slice(g, g + 5).flatMap((t) => t.trim().split('\n').slice(1).map((l) => l.split(',')[1]));
      const t0 = Date.UTC(2015, 0, 1);
      const rows = vals.map((v, i) => `${new Date(t0 + i * 300_000).toISOString().slice(0, 19).replace('T', ' ')},${v}`);
      await writeFile(join(dir, category, `long-${g / 5}.csv`), ['timestamp,value', ...rows].join('\n') + '\n');
    }
  }
  const results = [];
  let version = '';
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'bench', 'nab', '--data', dir, '--scores-out', join(dir, 'scores.json')], { maxBuffer: 1 << 24 });
    const wallSeconds = (performance.now() - started) / 1000;
    const out = JSON.parse(stdout) as { version: string; files: number; rows: number; seconds: number };
    version = out.version;
    results.push({ files: out.files, rows: out.rows, seconds: out.seconds, wallSeconds: Math.round(wallSeconds * 1000) / 1000, rowsPerSecond: Math.round(out.rows / out.seconds) });
  }
  console.log(JSON.stringify({ version, runs: results, medianWallSeconds: median(results.map((r) => r.wallSeconds)), medianRowsPerSecond: median(results.map((r) => r.rowsPerSecond)) }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
