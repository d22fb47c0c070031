import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNabCsv, readNabCsv } from '../../../../src/detect/nab/csv.js';
import { isAppError } from '../../../../src/lib/errors.js';
import { csvText, put, tempDir, timestamps } from './helpers.js';

function errorOf(fn: () => unknown): { code: string; message: string; httpStatus: number; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('parseNabCsv', () => {
  it('parses NAB rows', () => {
    const s = parseNabCsv('timestamp,value\n2014-02-19 10:50:00,1.5\n2014-02-19 10:55:00,-2e3\n');
    expect(s.timestamps).toEqual(['2014-02-19 10:50:00', '2014-02-19 10:55:00']);
    expect(Array.from(s.values)).toEqual([1.5, -2000]);
    expect(s.values).toBeInstanceOf(Float64Array);
  });
  it('handles CRLF, BOM, no trailing newline and several trailing blank lines', () => {
    const expected = { timestamps: ['2020-01-01 00:00:00', '2020-01-01 00:05:00'], values: Float64Array.from([1, 2]) };
    for (const text of [
      'timestamp,value\r\n2020-01-01 00:00:00,1\r\n2020-01-01 00:05:00,2\r\n',
      '\ufefftimestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,2',
      'timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,2\n\n\r\n',
    ]) {
      expect(parseNabCsv(text)).toEqual(expected);
    }
  });
  it('accepts a header only (no rows) and repeated timestamps (DST steps in NAB)', () => {
    expect(parseNabCsv('timestamp,value\n').values.length).toBe(0);
    expect(parseNabCsv('timestamp,value\n2014-03-09 03:00:00,0\n2014-03-09 03:00:00,0\n').values.length).toBe(2);
  });
  it('reports a missing header on line 1', () => {
    const e = errorOf(() => parseNabCsv('2020-01-01 00:00:00,1\n', 'cat/a.csv'));
    expect(e.code).toBe('bad_csv');
    expect(e.httpStatus).toBe(400);
    expect(e.message).toMatch(/^cat\/a\.csv:1: /);
    expect(e.details).toEqual({ file: 'cat/a.csv', line: 1 });
    expect(errorOf(() => parseNabCsv('', 'e.csv')).message).toMatch(/e\.csv:1/);
    expect(errorOf(() => parseNabCsv('time,value\n', 'e.csv')).code).toBe('bad_csv');
  });
  it('reports non-numeric values and wrong column counts with the line number', () => {
    const bad = (row: string): { code: string; message: string } =>
      errorOf(() => parseNabCsv(`timestamp,value\n2020-01-01 00:00:00,1\n${row}\n`, 'cat/b.csv'));
    for (const row of ['2020-01-01 00:05:00,abc', '2020-01-01 00:05:00,', '2020-01-01 00:05:00,NaN', '2020-01-01 00:05:00,0x10']) {
      expect(bad(row)).toMatchObject({ code: 'bad_csv', message: expect.stringMatching(/^cat\/b\.csv:3: value/) });
    }
    expect(bad('2020-01-01 00:05:00,1,2').message).toMatch(/cat\/b\.csv:3: expected 2 columns/);
    expect(bad('2020-01-01 00:05:00').message).toMatch(/cat\/b\.csv:3: expected 2 columns/);
    // A trailing blank line is fine, a blank line in the middle is not.
    expect(parseNabCsv('timestamp,value\n2020-01-01 00:05:00,1\n\n').values.length).toBe(1);
    expect(errorOf(() => parseNabCsv('timestamp,value\n\n2020-01-01 00:05:00,1\n', 'x.csv')).message).toMatch(/x\.csv:2:/);
    expect(bad('yesterday,1').message).toMatch(/cat\/b\.csv:3: bad timestamp/);
  });
  it('reads a file from disk, naming it in errors', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const ok = await put(dir, 'cat/ok.csv', csvText([1, 2, 3]));
      expect(Array.from((await readNabCsv(ok, 'cat/ok.csv')).values)).toEqual([1, 2, 3]);
      const bad = await put(dir, 'cat/bad.csv', 'timestamp,value\n2020-01-01 00:00:00,x\n');
      await expect(readNabCsv(bad, 'cat/bad.csv')).rejects.toMatchObject({ code: 'bad_csv', message: expect.stringContaining('cat/bad.csv:2') });
    } finally {
      await cleanup();
    }
  });
});

describe('parseNabCsv on arbitrary input (fast-check)', () => {
  const check = (text: string): void => {
    let result;
    try {
      result = parseNabCsv(text, 'fuzz.csv');
    } catch (err) {
      expect(isAppError(err) && err.code === 'bad_csv' && err.httpStatus === 400).toBe(true);
      return;
    }
    expect(result.timestamps.length).toBe(result.values.length);
    for (const v of result.values) expect(Number.isFinite(v)).toBe(true);
  };
  it('any string → bad_csv or a valid series, never a crash', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 300 });
  });
  it('mutated valid files → bad_csv or a valid series', () => {
    const line = fc.oneof(
      fc.constantFrom('2020-01-01 00:00:00,1', '2020-01-01 00:05:00,2.5', ',', '2020-01-01,1e5', '"2020-01-01 00:00:00","3"'),
      fc.string({ maxLength: 30 }),
      fc.tuple(fc.string({ maxLength: 20 }), fc.double()).map(([t, v]) => `${t},${v}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), (lines, eol, bom) => {
        check(`${bom ? '\ufeff' : ''}timestamp,value${eol}${lines.join(eol)}`);
      }),
      { numRuns: 500 },
    );
  });
  it('round-trips generated series', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 50 }), fc.constantFrom('\n', '\r\n'), (values, eol) => {
        const ts = timestamps(values.length);
        const text = `timestamp,value${eol}${values.map((v, i) => `${ts[i]!},${v}`).join(eol)}${eol}`;
        const s = parseNabCsv(text);
        expect(s.timestamps).toEqual(ts);
        expect(Array.from(s.values)).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
      }),
    );
  });
});
