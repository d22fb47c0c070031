import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/detect/backend.js';
import { loadForecaster, ModelFileError, readForecasterMeta } from '../../../src/detect/model.js';
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
