import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecasterVersion, parseHiddenUnits, trainForecaster, type TrainOptions } from '../../../src/cli/train.js';
import { DEFAULT_HIDDEN_UNITS, loadForecaster } from '../../../src/detect/model.js';

/**
 * `aiopsd train`: the same seed gives the same bytes, the shape flag gives the layers asked for, and the
 * version names the shape. Tiny data and sample counts: this checks the contract, not the model's quality
 * (that is bench nab, models/MODEL_CARD.md).
 */

let dir: string;
let data: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiopsd-train-'));
  data = join(dir, 'data');
  await mkdir(join(data, 'cat'), { recursive: true });
  const rows = Array.from({ length: 400 }, (_, i) => `2024-01-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00,${(10 + Math.sin(i / 7) + (i % 5) * 0.1).toFixed(3)}`);
  await writeFile(join(data, 'cat', 'series.csv'), `timestamp,value\n${rows.join('\n')}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { data, out: join(dir, out), seed: 7, epochs: 1, samples: 512, inputPoints: 16, synthetic: 2, backend: 'cpu', ...extra };
}

interface LayerJson {
  class_name: string;
  config: { units: number };
}

async function layerUnits(out: string): Promise<number[]> {
  const json = JSON.parse(await readFile(join(dir, out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: LayerJson[] } } };
  return json.modelTopology.config.layers.map((l) => l.config.units);
}

describe('aiopsd train', () => {
  it('is reproducible: the same seed writes the same weights, another seed different ones', async () => {
    const progress: Array<[number, number]> = [];
    const a = await trainForecaster(options('a', { onProgress: (done, total) => progress.push([done, total]) }));
    await trainForecaster(options('b'));
    await trainForecaster(options('c', { seed: 8 }));
    const [wa, wb, wc] = await Promise.all(['a', 'b', 'c'].map((o) => readFile(join(dir, o, 'weights.bin'))));
    expect(wa!.equals(wb!)).toBe(true);
    expect(wa!.equals(wc!)).toBe(false);
    expect(a.version).toBe(`mlp16-h${DEFAULT_HIDDEN_UNITS.join('x')}-s7-e1-n512`);
    expect(progress.at(-1)).toEqual([2, 2]); // 512 windows / batch 256, one epoch
    expect(await readFile(join(dir, 'a', 'MODEL_CARD.md'), 'utf8')).toContain(`--hidden ${DEFAULT_HIDDEN_UNITS.join(',')}`);
  });

  it('builds the layers --hidden asks for, a linear model for 0, and the result loads and forecasts', async () => {
    await trainForecaster(options('deep', { hiddenUnits: [8, 4] }));
    await trainForecaster(options('linear', { hiddenUnits: [] }));
    expect(await layerUnits('deep')).toEqual([8, 4, 1]);
    expect(await layerUnits('linear')).toEqual([1]);
    const f = await loadForecaster(join(dir, 'linear'));
    expect(f.meta.version).toBe('mlp16-h0-s7-e1-n512');
    const [y] = f.forecast([Float64Array.from({ length: 16 }, (_, i) => 10 + Math.sin(i / 7))]);
    expect(Number.isFinite(y)).toBe(true);
    f.dispose();
  });

  it('names the shape in the version', () => {
    expect(forecasterVersion(32, [32], { seed: 42, epochs: 6, samples: 60000 })).toBe('mlp32-h32-s42-e6-n60000');
    expect(forecasterVersion(32, [32, 16], { seed: 1, epochs: 6, samples: 60000 })).toBe('mlp32-h32x16-s1-e6-n60000');
    expect(forecasterVersion(16, [], { seed: 1, epochs: 2, samples: 512 })).toBe('mlp16-h0-s1-e2-n512');
  });

  it('--hidden accepts widths or 0 and refuses anything else with what it expected', () => {
    expect(parseHiddenUnits('32')).toEqual([32]);
    expect(parseHiddenUnits(' 32, 16 ')).toEqual([32, 16]);
    expect(parseHiddenUnits('0')).toEqual([]);
    for (const bad of ['', '32,', 'a', '-1', '0,4', '1.5', '5000']) {
      expect(() => parseHiddenUnits(bad), bad).toThrow(/expected comma-separated layer widths 1\.\.4096 \(or 0 for a linear model\), got/);
    }
  });
});
