import { readFile } from 'node:fs/promises';
import { badRequest, errorMessage } from '../../lib/errors.js';

/** Labelled anomaly windows by file key: inclusive [startTimestamp, endTimestamp] pairs. */
export type NabLabels = Map<string, [string, string][]>;

/** Inclusive row indices [L, R] of one window. */
export type RowWindow = [number, number];

/**
 * Canonical form of a timestamp for exact matching: "T" separator becomes a space and a fractional
 * second loses its trailing zeros (all-zero fraction disappears), so "2014-02-19 10:50:00.000000",
 * "2014-02-19T10:50:00" and "2014-02-19 10:50:00" are the same, while "…:00.5" stays distinct.
 */
export function normaliseTimestamp(ts: string): string {
  let t = ts.trim().replace('T', ' ');
  const m = /^(.*:\d{2})\.(\d+)(.*)$/.exec(t);
  if (m !== null) {
    const frac = m[2]!.replace(/0+$/, '');
    t = `${m[1]!}${frac === '' ? '' : `.${frac}`}${m[3]!}`;
  }
  return t;
}

/** Validate the parsed content of combined_windows.json; `source` names it in errors. */
export function parseNabLabels(json: unknown, source = '<labels>'): NabLabels {
  const fail = (problem: string): never => {
    throw badRequest('bad_labels', `${source}: ${problem}`, { source });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('expected an object { "<category>/<file>.csv": [[start, end], ...] }');
  }
  const labels: NabLabels = new Map();
  for (const [key, windows] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(windows)) return fail(`${key}: expected an array of [start, end] pairs`);
    const pairs: [string, string][] = [];
    windows.forEach((w: unknown, i) => {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        fail(`${key}: window ${i} is not a [start, end] pair of timestamp strings`);
      }
      const pair = w as [string, string];
      pairs.push([pair[0], pair[1]]);
    });
    labels.set(key, pairs);
  }
  return labels;
}

/** Read labels/combined_windows.json. Unreadable file or bad JSON → 400 `bad_labels`. */
export async function loadNabLabels(file: string): Promise<NabLabels> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badRequest('bad_labels', `cannot read labels file ${file}: ${errorMessage(err)}`, { source: file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw badRequest('bad_labels', `${file}: invalid JSON: ${errorMessage(err)}`, { source: file });
  }
  return parseNabLabels(json, file);
}

/**
 * Map a file's windows from timestamps to inclusive row indices, by exact match of the normalised
 * timestamps (first occurrence, as NAB's `timestamps.index`). A window timestamp absent from the file,
 * an end before its start, or windows out of order / overlapping → 400 `bad_window` naming file and window.
 */
export function windowRows(timestamps: readonly string[], windows: readonly [string, string][], file: string): RowWindow[] {
  const index = new Map<string, number>();
  for (let i = 0; i < timestamps.length; i++) {
    const key = normaliseTimestamp(timestamps[i]!);
    if (!index.has(key)) index.set(key, i);
  }
  const out: RowWindow[] = [];
  windows.forEach(([start, end], w) => {
    const fail = (problem: string): never => {
      throw badRequest('bad_window', `${file}: window ${w} [${start}, ${end}]: ${problem}`, {
        file,
        window: w,
        start,
        end,
      });
    };
    const L = index.get(normaliseTimestamp(start));
    if (L === undefined) return fail(`start timestamp ${start} is not a row of the file`);
    const R = index.get(normaliseTimestamp(end));
    if (R === undefined) return fail(`end timestamp ${end} is not a row of the file`);
    if (R < L) return fail(`ends (row ${R}) before it starts (row ${L})`);
    const prev = out[out.length - 1];
    if (prev !== undefined && L <= prev[1]) return fail(`overlaps or precedes the previous window (rows ${prev[0]}..${prev[1]})`);
    out.push([L, R]);
  });
  return out;
}
