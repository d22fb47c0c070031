import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Detector, ScoreBatch } from '../../../../src/detect/detector.js';
import { readNabCsv } from '../../../../src/detect/nab/csv.js';
import { runNabBench, scoreSeriesOnline } from '../../../../src/detect/nab/runner.js';
import { scoreAllProfiles } from '../../../../src/detect/nab/scorer.js';
import { RobustDetector } from '../../../../src/detect/robust.js';
import { csvText, nabDatasetDir, put, syntheticSeries, tempDir, timestamps } from './helpers.js';

/** Records every window it is given; scores the newest point as value/1000. */
class SpyDetector implements Detector {
  readonly name = 'spy';
  readonly version = 'spy-1';
  readonly calls: number[] = [];
  readonly seen: { length: number; last: number }[] = [];
  constructor(readonly minPoints = 3) {}
  score(windows: readonly Float64Array[]): ScoreBatch {
    this.calls.push(windows.length);
    const scores = new Float64Array(windows.length);
    windows.forEach((w, i) => {
      this.seen.push({ length: w.length, last: w[w.length - 1]! });
      scores[i] = w[w.length - 1]! / 1000;
    });
    return { scores, expected: new Float64Array(windows.length) };
  }
}

describe('scoreSeriesOnline', () => {
  it('hands row i the window [max(0, i − W + 1) .. i] in batches; rows before minPoints score 0', async () => {
    const values = Float64Array.from({ length: 23 }, (_, i) => i + 1);
    const spy = new SpyDetector(4);
    const reported: number[] = [];
    const scores = await scoreSeriesOnline(spy, values, 5, 7, (n) => reported.push(n));
    expect(Array.from(scores.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(scores[3]).toBeCloseTo(0.004, 12);
    expect(scores[22]).toBeCloseTo(0.023, 12);
    expect(spy.calls).toEqual([7, 7, 6]);
    expect(spy.seen.map((s) => s.last)).toEqual(Array.from({ length: 20 }, (_, k) => k + 4));
    expect(spy.seen.map((s) => s.length)).toEqual(Array.from({ length: 20 }, (_, k) => Math.min(k + 4, 5)));
    expect(reported.reduce((a, b) => a + b, 0)).toBe(23);
  });
  it('rejects a window shorter than minPoints and bad sizes', async () => {
    const v = new Float64Array(10);
    await expect(scoreSeriesOnline(new RobustDetector(), v, 10)).rejects.toMatchObject({ code: 'bad_bench_option' });
    await expect(scoreSeriesOnline(new SpyDetector(), v, 0)).rejects.toMatchObject({ code: 'bad_bench_option' });
    await expect(scoreSeriesOnline(new SpyDetector(), v, 5, 1.5)).rejects.toMatchObject({ code: 'bad_bench_option' });
  });
});

describe('runNabBench', () => {
  it('runs a tiny NAB-layout dir, ignoring non-data files, and writes published-format scores', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const a = syntheticSeries(300, 3);
      const b = syntheticSeries(200, 5);
      await put(dir, 'data/catA/a.csv', csvText(a));
      await put(dir, 'data/catB/b.csv', csvText(b).replace(/\n/g, '\r\n'));
      await put(dir, 'data/README.txt', 'not data');
      await put(dir, 'data/catA/notes.json', '{}');
      await put(dir, 'data/catA/old/ignored.csv', 'garbage');
      await put(dir, 'data/catB/b.csv.txt', 'garbage');
      const ta = timestamps(300);
      const labels = {
        'catA/a.csv': [[`${ta[140]!}.000000`, `${ta[160]!}.000000`]],
        'catB/b.csv': [],
        'catZ/elsewhere.csv': [['x', 'y']], // labels for files not in this dir are ignored
      };
      const labelsFile = await put(dir, 'labels/combined_windows.json', JSON.stringify(labels));
      const progress: [number, number][] = [];
      const scoresOut = join(dir, 'out', 'nested', 'robust.json');
      const result = await runNabBench({
        dataDir: join(dir, 'data'),
        labelsFile,
        scoresOut,
        detector: new RobustDetector(),
        windowPoints: 200,
        batchSize: 64,
        onProgress: (d, t) => progress.push([d, t]),
      });
      expect(result).toMatchObject({ detector: 'robust', version: 'robust-mad-1', files: 2, rows: 500 });
      expect(result.seconds).toBeGreaterThan(0);
      expect([...result.fileScores.keys()]).toEqual(['catA/a.csv', 'catB/b.csv']);
      const sa = result.fileScores.get('catA/a.csv')!;
      expect(sa.length).toBe(300);
      expect(Array.from(sa.subarray(0, 19)).every((s) => s === 0)).toBe(true);
      expect(sa[50]!).toBeGreaterThan(0.5); // spike at row 50
      expect(progress[0]).toEqual([0, 500]);
      expect(progress[progress.length - 1]).toEqual([500, 500]);
      for (let k = 1; k < progress.length; k++) expect(progress[k]![0]).toBeGreaterThanOrEqual(progress[k - 1]![0]);
      const written = JSON.parse(await readFile(scoresOut, 'utf8')) as Record<string, number[]>;
      expect(Object.keys(written)).toEqual(['catA/a.csv', 'catB/b.csv']);
      expect(written['catA/a.csv']).toEqual(Array.from(sa));
      expect(result.profiles).not.toBeNull();
      expect(result.profiles!.standard.windows).toBe(1);
      const again = scoreAllProfiles({
        files: new Map([
          ['catA/a.csv', { scores: written['catA/a.csv']!, windows: [[140, 160]], rows: 300 }],
          ['catB/b.csv', { scores: written['catB/b.csv']!, windows: [], rows: 200 }],
        ]),
      });
      expect(result.profiles).toEqual(again);

      const noLabels = await runNabBench({ dataDir: join(dir, 'data'), detector: new RobustDetector() });
      expect(noLabels.profiles).toBeNull();
      expect(noLabels.fileScores.get('catA/a.csv')).toEqual(sa); // the window size (≥ 121) does not matter to robust
    } finally {
      await cleanup();
    }
  });

  it('fails fast on missing labels, unknown window timestamps, bad CSV and empty dirs', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await put(dir, 'data/c/a.csv', csvText([1, 2, 3]));
      const detector = new SpyDetector();
      const dataDir = join(dir, 'data');
      const missing = await put(dir, 'l1.json', '{}');
      await expect(runNabBench({ dataDir, labelsFile: missing, detector })).rejects.toMatchObject({ code: 'labels_missing' });
      const unknown = await put(dir, 'l2.json', JSON.stringify({ 'c/a.csv': [['1999-01-01 00:00:00', '1999-01-01 00:05:00']] }));
      await expect(runNabBench({ dataDir, labelsFile: unknown, detector })).rejects.toMatchObject({ code: 'bad_window' });
      expect(detector.calls).toEqual([]); // nothing scored before the inputs were validated
      await put(dir, 'data/c/b.csv', 'timestamp,value\n2020-01-01 00:00:00,oops\n');
      await expect(runNabBench({ dataDir, detector })).rejects.toMatchObject({ code: 'bad_csv', message: expect.stringContaining('c/b.csv:2') });
      await put(dir, 'empty/README.txt', 'x');
      await expect(runNabBench({ dataDir: join(dir, 'empty'), detector })).rejects.toMatchObject({ code: 'bad_nab_dir' });
    } finally {
      await cleanup();
    }
  });

  it('is causal: scores of rows < k are identical when the file is cut at row k', async () => {
    const nab = nabDatasetDir();
    const { dir, cleanup } = await tempDir();
    try {
      let text: string;
      if (nab !== null) {
        const series = await readNabCsv(join(nab, 'data', 'realTraffic', 'speed_6005.csv'));
        text = csvText(Array.from(series.values), series.timestamps);
      } else {
        text = csvText(syntheticSeries(2500, 7));
      }
      const lines = text.trimEnd().split('\n');
      const n = lines.length - 1;
      await put(dir, 'full/cat/f.csv', text);
      const cuts = [1, 19, 20, 21, 333, Math.floor(n / 2), n - 1];
      for (const k of cuts) await put(dir, `cut${k}/cat/f.csv`, `${lines.slice(0, k + 1).join('\n')}\n`);
      const opts = { detector: new RobustDetector(), windowPoints: 150, batchSize: 37 };
      const full = (await runNabBench({ dataDir: join(dir, 'full'), ...opts })).fileScores.get('cat/f.csv')!;
      expect(full.length).toBe(n);
      for (const k of cuts) {
        const cut = (await runNabBench({ dataDir: join(dir, `cut${k}`), ...opts })).fileScores.get('cat/f.csv')!;
        expect(cut.length).toBe(k);
        expect(Array.from(cut)).toEqual(Array.from(full.subarray(0, k)));
      }
    } finally {
      await cleanup();
    }
  });
});
