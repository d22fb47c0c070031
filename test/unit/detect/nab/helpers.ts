import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The NAB development subset, or null (with a visible message) when the shared folder is absent. */
export function nabDatasetDir(): string | null {
  const shared = process.env.AIOPSD_SHARED_DIR ?? resolve(repoRoot, '../shared');
  const dir = join(shared, 'datasets', 'nab');
  if (!existsSync(join(dir, 'labels', 'combined_windows.json'))) {
    console.warn(`[nab tests] SKIPPED: NAB dataset not found at ${dir} (set AIOPSD_SHARED_DIR)`);
    return null;
  }
  return dir;
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'aiopsd-nab-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Write `content` at `root/rel`, creating folders. */
export async function put(root: string, rel: string, content: string): Promise<string> {
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/** Timestamps "2020-01-01 00:00:00" + i × 5 min, NAB style. */
export function timestamps(n: number): string[] {
  const out: string[] = [];
  const t0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) out.push(new Date(t0 + i * 300_000).toISOString().slice(0, 19).replace('T', ' '));
  return out;
}

/** A NAB CSV text for the given values. */
export function csvText(values: readonly number[], ts: readonly string[] = timestamps(values.length)): string {
  return `timestamp,value\n${values.map((v, i) => `${ts[i]!},${v}`).join('\n')}\n`;
}

/** Deterministic test series: noisy daily-ish wave with a few spikes. */
export function syntheticSeries(n: number, seed = 1): number[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (rnd() - 0.5);
    if (i % 97 === 50) v += 40;
    out.push(Math.round(v * 1000) / 1000);
  }
  return out;
}
