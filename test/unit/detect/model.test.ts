import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/detect/backend.js';
import fc from 'fast-check';
import { loadForecaster, ModelFileError, prepareInputs, readForecasterMeta } from '../../../src/detect/model.js';
import { defaultModelDir } from '../../../src/detect/registry.js';

let dir: string;
beforeAll(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'aiopsd-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyDefault(name: string): Promise<string> {
  const d = join(dir, name);
  await cp(defaultModelDir(), d, { recursive: true });
  return d;
}

describe('model inputs with non-finite values (±Inf: a ratio over a zero denominator)', () => {
  it('a non-finite input takes the finite value before it (a leading one the first finite), so the row stays finite', () => {
    const { x, centre, scale } = prepareInputs([Float64Array.from([Infinity, 3, 4, -Infinity, 6, 99])], 5);
    expect(Array.from(x, (z) => z * scale[0]! + centre[0]!)).toEqual([3, 3, 4, 4, 6].map((v) => expect.closeTo(v, 5)));
    const none = prepareInputs([Float64Array.from([Infinity, -Infinity, 1])], 2);
    expect(Number.isNaN(none.centre[0])).toBe(true); // no finite input: no forecast
  });

  it('any row with a finite input is finite (scores of finite series are pinned by the ensemble tests)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Infinity), fc.constant(-Infinity)), { minLength: 2, maxLength: 40 }), (vals) => {
        const w = Float64Array.from(vals);
        const { x, centre, scale } = prepareInputs([w], 8);
        const inputs = vals.slice(Math.max(0, vals.length - 9), vals.length - 1);
        if (inputs.some(Number.isFinite)) {
          expect(Number.isFinite(centre[0]) && Number.isFinite(scale[0])).toBe(true);
          expect(Array.from(x).every(Number.isFinite)).toBe(true);
        }
      }),
    );
  });

  it('the shipped model forecasts through an Inf point', async () => {
    const f = await loadForecaster(defaultModelDir());
    const w = Float64Array.from({ length: 40 }, (_, i) => (i === 30 ? Infinity : 10 + Math.sin(i / 3)));
    const [y] = f.forecast([w]);
    expect(y).toBeGreaterThan(8);
    expect(y).toBeLessThan(12);
    f.dispose();
  });
});

describe('model files', () => {
  it('loads the shipped default model and forecasts a flat series as flat', async () => {
    const f = await loadForecaster(defaultModelDir());
    const w = new Float64Array(64).fill(5);
    const [y] = f.forecast([w]);
    expect(y).toBeCloseTo(5, 1);
    f.dispose();
  });

  it('readForecasterMeta gives the shipped version without loading weights, and names a bad file', async () => {
    const meta = await readForecasterMeta(defaultModelDir());
    expect(meta.version).toMatch(/^mlp32-h32-s42-/);
    const d = await copyDefault('metabad');
    await writeFile(join(d, 'model.json'), '{not json');
    await expect(readForecasterMeta(d)).rejects.toThrow(/model file .*metabad\/model\.json: cannot be read as JSON/);
  });

  it('a missing directory names model.json', async () => {
    await expect(loadForecaster(join(dir, 'nope'))).rejects.toThrow(/model file .*nope\/model\.json: cannot be read \(ENOENT\)/);
  });

  it('invalid JSON is named', async () => {
    const d = await copyDefault('badjson');
    await writeFile(join(d, 'model.json'), '{not json');
    await expect(loadForecaster(d)).rejects.toThrow(ModelFileError);
    await expect(loadForecaster(d)).rejects.toThrow(/model\.json: is not valid JSON/);
  });

  it('a truncated weights file is named with the byte counts', async () => {
    const d = await copyDefault('trunc');
    const w = await readFile(join(d, 'weights.bin'));
    await writeFile(join(d, 'weights.bin'), w.subarray(0, 100));
    await expect(loadForecaster(d)).rejects.toThrow(/weights\.bin: holds 100 bytes but model\.json's manifest needs \d+/);
  });

  it('missing weights and missing metadata are named', async () => {
    const d = await copyDefault('noweights');
    await rm(join(d, 'weights.bin'));
    await expect(loadForecaster(d)).rejects.toThrow(/weights\.bin: weights cannot be read \(ENOENT\)/);
    const e = await copyDefault('nometa');
    const json = JSON.parse(await readFile(join(e, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete json.userDefinedMetadata;
    await writeFile(join(e, 'model.json'), JSON.stringify(json));
    await expect(loadForecaster(e)).rejects.toThrow(/userDefinedMetadata\.aiopsd must be/);
    const t = await copyDefault('notopo');
    delete json.modelTopology;
    await writeFile(join(t, 'model.json'), JSON.stringify(json));
    await expect(loadForecaster(t)).rejects.toThrow(/no "modelTopology"/);
  });
});
