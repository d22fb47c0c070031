import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../src/lib/errors.js';
import { loadNabLabels, normaliseTimestamp, parseNabLabels, windowRows } from '../../../../src/detect/nab/windows.js';
import { nabDatasetDir, put, tempDir, timestamps } from './helpers.js';

describe('normaliseTimestamp', () => {
  it('drops zero fractions and unifies the T separator', () => {
    expect(normaliseTimestamp('2014-02-19 10:50:00.000000')).toBe('2014-02-19 10:50:00');
    expect(normaliseTimestamp('2014-02-19T10:50:00')).toBe('2014-02-19 10:50:00');
    expect(normaliseTimestamp(' 2014-02-19 10:50:00 ')).toBe('2014-02-19 10:50:00');
    expect(normaliseTimestamp('2014-02-19 10:50:00.500000')).toBe('2014-02-19 10:50:00.5');
    expect(normaliseTimestamp('2014-02-19 10:50:00.5')).toBe('2014-02-19 10:50:00.5');
  });
});

describe('windowRows', () => {
  const ts = timestamps(20); // 2020-01-01 00:00:00 + 5 min steps
  it('maps NAB-style window timestamps to inclusive row indices', () => {
    expect(
      windowRows(ts, [['2020-01-01 00:10:00.000000', '2020-01-01 00:20:00.000000'], ['2020-01-01 01:00:00', '2020-01-01 01:35:00']], 'c/f.csv'),
    ).toEqual([[2, 4], [12, 19]]);
    expect(windowRows(ts, [], 'c/f.csv')).toEqual([]);
  });
  it('uses the first occurrence of a repeated timestamp (as NAB)', () => {
    const dup = ['2020-01-01 00:00:00', '2020-01-01 00:05:00', '2020-01-01 00:05:00', '2020-01-01 00:10:00'];
    expect(windowRows(dup, [['2020-01-01 00:05:00', '2020-01-01 00:10:00']], 'c/f.csv')).toEqual([[1, 3]]);
  });
  it('errors clearly on a timestamp that is not a row, reversed or overlapping windows', () => {
    const err = (w: [string, string][]): unknown => {
      try {
        windowRows(ts, w, 'c/f.csv');
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(err([['2020-01-01 00:07:00.000000', '2020-01-01 00:20:00']])).toMatchObject({
      code: 'bad_window',
      httpStatus: 400,
      message: expect.stringMatching(/c\/f\.csv: window 0 .*start timestamp 2020-01-01 00:07:00\.000000 is not a row/),
    });
    expect(err([['2020-01-01 00:00:00', '2021-01-01 00:00:00']])).toMatchObject({ message: expect.stringMatching(/end timestamp/) });
    expect(err([['2020-01-01 00:20:00', '2020-01-01 00:10:00']])).toMatchObject({ message: expect.stringMatching(/before it starts/) });
    expect(
      err([['2020-01-01 00:10:00', '2020-01-01 00:30:00'], ['2020-01-01 00:30:00', '2020-01-01 00:40:00']]),
    ).toMatchObject({ code: 'bad_window', message: expect.stringMatching(/window 1 .*overlaps/) });
  });
  it('arbitrary window strings → bad_window or valid indices (fast-check)', () => {
    const stamp = fc.oneof(fc.constantFrom(...ts, '2020-01-01 00:10:00.000000', '2020-01-01T00:15:00'), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(stamp, stamp), { maxLength: 5 }), (windows) => {
        try {
          const rows = windowRows(ts, windows, 'fuzz.csv');
          let prev = -1;
          for (const [L, R] of rows) {
            expect(L).toBeGreaterThan(prev);
            expect(R).toBeGreaterThanOrEqual(L);
            expect(R).toBeLessThan(ts.length);
            prev = R;
          }
        } catch (e) {
          expect(isAppError(e) && e.code === 'bad_window').toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('labels', () => {
  it('parseNabLabels: any JSON → bad_labels or a map of string pairs (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.array(fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }), { maxLength: 3 }))), (json) => {
        try {
          const labels = parseNabLabels(json, 'fuzz.json');
          for (const windows of labels.values()) {
            for (const w of windows) expect(w.length === 2 && typeof w[0] === 'string' && typeof w[1] === 'string').toBe(true);
          }
        } catch (e) {
          expect(isAppError(e) && e.code === 'bad_labels').toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('loadNabLabels reports unreadable files and bad JSON', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await expect(loadNabLabels(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'bad_labels' });
      const bad = await put(dir, 'bad.json', '{"a": [[1,');
      await expect(loadNabLabels(bad)).rejects.toMatchObject({ code: 'bad_labels', message: expect.stringContaining('invalid JSON') });
      const wrong = await put(dir, 'wrong.json', '{"c/f.csv": [["2020-01-01 00:00:00"]]}');
      await expect(loadNabLabels(wrong)).rejects.toMatchObject({ message: expect.stringContaining('c/f.csv: window 0') });
      const ok = await put(dir, 'ok.json', '\ufeff{"c/f.csv": [["a", "b"]], "c/g.csv": []}');
      expect(await loadNabLabels(ok)).toEqual(new Map([['c/f.csv', [['a', 'b']]], ['c/g.csv', []]]));
    } finally {
      await cleanup();
    }
  });
  it('loads the dataset labels: 41 files, 64 windows', async () => {
    const dir = nabDatasetDir();
    if (dir === null) return;
    const labels = await loadNabLabels(join(dir, 'labels', 'combined_windows.json'));
    expect(labels.size).toBe(41);
    expect([...labels.values()].reduce((n, w) => n + w.length, 0)).toBe(64);
  });
});
