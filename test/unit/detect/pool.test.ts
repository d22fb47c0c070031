import { afterEach, describe, expect, it } from 'vitest';
import { ScoringPool } from '../../../src/detect/pool.js';
import { defaultModelDir } from '../../../src/detect/registry.js';
import { EnsembleDetector } from '../../../src/detect/ensemble.js';

function windows(n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) out.push(Float64Array.from({ length: 120 }, (_, k) => Math.sin((k + i) / 7) + (k === 119 && i % 50 === 0 ? 5 : 0)));
  return out;
}

let pool: ScoringPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('scoring pool', () => {
  it('matches in-process raw scores, survives a worker crash mid-batch and a stuck worker', async () => {
    pool = new ScoringPool({ modelDir: null, backend: 'cpu', options: {}, workers: 2, timeoutMs: 4000, minPart: 16 });
    await pool.ready();
    const w = windows(200);
    const local = new EnsembleDetector(null).raw(w);
    const ok = await pool.raw(w);
    expect(Array.from(ok.raw)).toEqual(Array.from(local.raw));

    const crashed = await pool.raw(w, { crash: true }); // first part's worker exits mid-batch
    expect(pool.replaced).toBe(1);
    expect(Array.from(crashed.raw)).toEqual(Array.from(local.raw));

    const stuck = await pool.raw(w, { delayMs: 30_000 }); // first part's worker hangs past the timeout (a wide margin: a loaded machine must not make a healthy batch look stuck)
    expect(pool.replaced).toBe(2);
    expect(Array.from(stuck.raw)).toEqual(Array.from(local.raw));
  });

  it('a killed worker is replaced and the batch retried; a bad model fails ready() with the file named', async () => {
    pool = new ScoringPool({ modelDir: defaultModelDir(), backend: 'cpu', options: {}, workers: 1, timeoutMs: 5000 });
    await pool.ready();
    const w = windows(300);
    const first = await pool.raw(w);
    const pending = pool.raw(w);
    await pool.workerAt(0).terminate(); // killed from outside while the batch is in flight
    const again = await pending;
    expect(Array.from(again.raw)).toEqual(Array.from(first.raw));
    expect(pool.replaced).toBe(1);
    await pool.close();

    pool = new ScoringPool({ modelDir: '/nonexistent/model', backend: 'cpu', options: {}, workers: 1, timeoutMs: 5000 });
    await expect(pool.ready()).rejects.toThrow(/nonexistent\/model\/model\.json: cannot be read/);
  });
});

describe('packWindows', () => {
  it('sends overlapping views of one buffer once, and every window unchanged', async () => {
    const { packWindows } = await import('../../../src/detect/pool.js');
    const a = Float64Array.from({ length: 300 }, (_, i) => i);
    const b = Float64Array.from({ length: 50 }, (_, i) => 1000 + i);
    const windows = [a.subarray(0, 240), a.subarray(1, 241), a.subarray(60, 300), b.subarray(0, 10), b.subarray(0, 50), new Float64Array([7, 8])];
    const { values, starts, ends } = packWindows(windows, 0, windows.length);
    expect(values.length).toBe(300 + 50 + 2);
    windows.forEach((w, i) => expect([...values.subarray(starts[i]!, ends[i]!)]).toEqual([...w]));
    const part = packWindows(windows, 2, 5);
    expect(part.values.length).toBe(240 + 50);
    windows.slice(2, 5).forEach((w, i) => expect([...part.values.subarray(part.starts[i]!, part.ends[i]!)]).toEqual([...w]));
  });
});
