import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNabCsv } from '../../../../src/detect/nab/csv.js';
import { listNabFiles } from '../../../../src/detect/nab/layout.js';
import {
  PROFILE_NAMES,
  scoreAllProfiles,
  scoreCorpus,
  type NabFileInput,
  type ProfileName,
} from '../../../../src/detect/nab/scorer.js';
import { loadNabLabels, windowRows, type RowWindow } from '../../../../src/detect/nab/windows.js';
import { nabDatasetDir } from './helpers.js';

/** The table in shared/datasets/nab/README.md: standard / reward_low_FP_rate / reward_low_FN_rate. */
const PUBLISHED: Record<string, [number, number, number]> = {
  contextOSE: [75.892, 72.409, 79.241],
  numenta: [75.519, 70.682, 78.992],
  windowedGaussian: [41.424, 26.477, 48.45],
  random: [14.8, 6.959, 22.715],
  null: [0, 0, 0],
};

const nabDir = nabDatasetDir();

describe.skipIf(nabDir === null)('NAB scorer reproduces the published table (subset)', () => {
  const dir = nabDir ?? '';
  const base = new Map<string, { rows: number; windows: RowWindow[] }>();
  const published = new Map<string, Record<string, number[]>>();
  let loadMs = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    const labels = await loadNabLabels(join(dir, 'labels', 'combined_windows.json'));
    const files = await listNabFiles(join(dir, 'data'));
    expect(files.length).toBe(41);
    for (const f of files) {
      const series = await readNabCsv(f.path, f.key);
      const windows = windowRows(series.timestamps, labels.get(f.key) ?? [], f.key);
      base.set(f.key, { rows: series.values.length, windows });
    }
    for (const det of Object.keys(PUBLISHED)) {
      const gz = readFileSync(join(dir, 'published-scores', `${det}.json.gz`));
      published.set(det, JSON.parse(gunzipSync(gz).toString('utf8')) as Record<string, number[]>);
    }
    loadMs = performance.now() - t0;
  });

  function corpus(det: string): Map<string, NabFileInput> {
    const scores = published.get(det)!;
    const files = new Map<string, NabFileInput>();
    for (const [key, b] of base) {
      const s = scores[key];
      expect(s, `${det} has scores for ${key}`).toBeDefined();
      files.set(key, { scores: s!, windows: b.windows, rows: b.rows });
    }
    return files;
  }

  it('has 64 windows over 41 files', () => {
    let windows = 0;
    for (const b of base.values()) windows += b.windows.length;
    expect(windows).toBe(64);
  });

  for (const [det, expected] of Object.entries(PUBLISHED)) {
    it(`${det}: ${expected.join(' / ')}`, () => {
      const result = scoreAllProfiles({ files: corpus(det) });
      PROFILE_NAMES.forEach((profile: ProfileName, i) => {
        const got = result[profile].normalised!;
        expect(Math.round(got * 1000) / 1000, `${det} ${profile} = ${got}`).toBeCloseTo(expected[i]!, 3);
        expect(Math.abs(got - expected[i]!)).toBeLessThan(5e-4);
      });
    });
  }

  it('scoreCorpus per profile agrees with scoreAllProfiles', () => {
    const files = corpus('numenta');
    const all = scoreAllProfiles({ files });
    for (const profile of PROFILE_NAMES) {
      expect(scoreCorpus({ files, profile })).toEqual(all[profile]);
    }
  });

  it('scores all five detectors × three profiles in well under 10 s', () => {
    const t0 = performance.now();
    for (const det of Object.keys(PUBLISHED)) scoreAllProfiles({ files: corpus(det) });
    const scoreMs = performance.now() - t0;
    console.log(`[nab] load+parse ${loadMs.toFixed(0)} ms, scoring 5 detectors × 3 profiles ${scoreMs.toFixed(0)} ms`);
    expect(loadMs + scoreMs).toBeLessThan(10_000);
  });
});
