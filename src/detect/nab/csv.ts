import { readFile } from 'node:fs/promises';
import { badRequest, type AppError } from '../../lib/errors.js';

/** One NAB data file: row i has timestamp `timestamps[i]` and value `values[i]`, in time order. */
export interface NabSeries {
  readonly timestamps: string[];
  readonly values: Float64Array;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][Z|±HH:MM]
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function csvError(file: string, line: number, problem: string): AppError {
  return badRequest('bad_csv', `${file}:${line}: ${problem}`, { file, line });
}

/**
 * Milliseconds since the epoch (UTC unless the timestamp carries an offset) of a NAB-style timestamp,
 * or NaN when it is not one (used to reject malformed timestamps).
 */
export function timestampMillis(ts: string): number {
  const m = TIMESTAMP_RE.exec(ts);
  if (m === null) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (frac !== '') ms += Number(`0.${frac}`) * 1000;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

function unquote(field: string): string {
  const t = field.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * Parse the text of a NAB CSV: a `timestamp,value` header, then one `timestamp,value` row per point.
 * Row order is kept as is and not checked: NAB files do repeat timestamps (DST steps). Accepts a UTF-8 BOM, CRLF line ends and trailing blank lines; anything
 * else that is not a well-formed row is a 400 `bad_csv` error naming `file` and the 1-based line number.
 */
export function parseNabCsv(text: string, file = '<csv>'): NabSeries {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  // Drop trailing blank lines (a final newline, or several).
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) throw csvError(file, 1, 'empty file: expected a "timestamp,value" header');

  const header = lines[0]!.split(',').map(unquote);
  if (header.length !== 2 || header[0] !== 'timestamp' || header[1] !== 'value') {
    throw csvError(file, 1, `expected header "timestamp,value", found ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  }

  const timestamps: string[] = new Array<string>(end - 1);
  const values = new Float64Array(end - 1);
  for (let li = 1; li < end; li++) {
    const line = lines[li]!;
    const lineNo = li + 1;
    const fields = line.split(',');
    if (fields.length !== 2) {
      throw csvError(file, lineNo, `expected 2 columns (timestamp,value), found ${fields.length}`);
    }
    const ts = unquote(fields[0]!);
    const raw = unquote(fields[1]!);
    const millis = timestampMillis(ts);
    if (Number.isNaN(millis)) {
      throw csvError(file, lineNo, `bad timestamp ${JSON.stringify(ts.slice(0, 40))}`);
    }
    if (!NUMBER_RE.test(raw)) {
      throw csvError(file, lineNo, `value ${JSON.stringify(raw.slice(0, 40))} is not a number`);
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) throw csvError(file, lineNo, `value ${raw.slice(0, 40)} is not finite`);
    timestamps[li - 1] = ts;
    values[li - 1] = value;
  }
  return { timestamps, values };
}

/** Read and parse one NAB CSV file; errors name `displayName` (defaults to the path). */
export async function readNabCsv(path: string, displayName: string = path): Promise<NabSeries> {
  const text = await readFile(path, 'utf8');
  return parseNabCsv(text, displayName);
}
