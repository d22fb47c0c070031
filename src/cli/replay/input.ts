import { readFileSync } from 'node:fs';
import type { Sample } from '../../domain/types.js';
import { AppError } from '../../lib/errors.js';

/**
 * Inputs of `aiopsd replay`:
 * - a JSONL file, one sample per line: {"labels": {"__name__": "...", ...}, "timestamp": <ms>, "value": <number>}
 *   (timestamp may also be an RFC 3339 string; value may be a string such as "NaN");
 * - a Prometheus /api/v1/query_range response saved as JSON ({"status":"success","data":{"resultType":"matrix",...}}),
 *   or a JSON array of such responses;
 * - a live Prometheus base URL (http:// or https://), read with /api/v1/query_range for each --query.
 */
export interface Range {
  readonly startMs: number;
  readonly endMs: number;
}

/** `START..END`; each side RFC 3339, unix seconds, unix milliseconds (13 digits), `now` or `now-1h`. Either side may be empty for files. */
export function parseRange(raw: string, nowMs: number): { startMs: number | undefined; endMs: number | undefined } {
  const m = /^(.*)\.\.(.*)$/.exec(raw.trim());
  if (!m) throw new AppError('bad_range', `--range must be START..END, got "${raw}"`, { httpStatus: 400 });
  const startMs = m[1] ? parseTime(m[1], nowMs) : undefined;
  const endMs = m[2] ? parseTime(m[2], nowMs) : undefined;
  if (startMs !== undefined && endMs !== undefined && endMs <= startMs) throw new AppError('bad_range', `--range: END must be after START (${raw})`, { httpStatus: 400 });
  return { startMs, endMs };
}

export function parseTime(raw: string, nowMs: number): number {
  const s = raw.trim();
  const rel = /^now(?:-(\d+(?:\.\d+)?)(ms|s|m|h|d))?$/.exec(s);
  if (rel) return rel[1] ? nowMs - Number(rel[1]) * unitMs(rel[2]!) : nowMs;
  if (/^\d{13}$/.test(s)) return Number(s);
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new AppError('bad_time', `not a time: "${raw}" (RFC 3339, unix seconds, or now-<n><ms|s|m|h|d>)`, { httpStatus: 400 });
  return t;
}

/** `15s`, `1m`, `500ms`, or a number of seconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new AppError('bad_duration', `not a duration: "${raw}" (e.g. 15s, 1m)`, { httpStatus: 400 });
  return Math.round(Number(m[1]) * unitMs(m[2] ?? 's'));
}

function unitMs(u: string): number {
  return { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[u] ?? 1000;
}

interface MatrixResponse {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ metric: Record<string, string>; values?: Array<[number, string]> }> };
}

export function samplesFromMatrix(body: MatrixResponse, fallbackName?: string): Sample[] {
  if (body.status !== undefined && body.status !== 'success') throw new AppError('bad_input', `Prometheus answered ${body.status}: ${body.error ?? ''}`, { httpStatus: 400 });
  if (body.data?.resultType !== 'matrix') throw new AppError('bad_input', `expected a query_range matrix, got resultType ${String(body.data?.resultType)}`, { httpStatus: 400 });
  const out: Sample[] = [];
  for (const r of body.data.result ?? []) {
    const labels = { ...r.metric };
    if (labels.__name__ === undefined && fallbackName) labels.__name__ = fallbackName;
    for (const [t, v] of r.values ?? []) out.push({ labels, timestampMs: Math.round(t * 1000), value: Number(v) });
  }
  return out;
}

/** Read a JSONL or query_range JSON file. Errors name the line. */
export function readSampleFile(path: string): Sample[] {
  const text = readFileSync(path, 'utf8');
  const head = text.trimStart();
  if (head.startsWith('[') || (head.startsWith('{') && /^\{\s*"(status|data)"/.test(head))) {
    const parsed = JSON.parse(text) as MatrixResponse | MatrixResponse[];
    return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((b) => samplesFromMatrix(b));
  }
  const out: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    let row: { labels?: Record<string, string>; timestamp?: number | string; value?: number | string };
    try {
      row = JSON.parse(line) as typeof row;
    } catch (err) {
      throw new AppError('bad_input', `${path}:${i + 1}: not JSON: ${(err as Error).message}`, { httpStatus: 400 });
    }
    if (!row.labels || typeof row.labels.__name__ !== 'string') throw new AppError('bad_input', `${path}:${i + 1}: labels.__name__ is required`, { httpStatus: 400 });
    const ts = typeof row.timestamp === 'string' ? parseTime(row.timestamp, 0) : row.timestamp;
    const value = Number(row.value);
    if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new AppError('bad_input', `${path}:${i + 1}: timestamp must be milliseconds or RFC 3339`, { httpStatus: 400 });
    if (row.value === undefined || (Number.isNaN(value) && String(row.value) !== 'NaN')) throw new AppError('bad_input', `${path}:${i + 1}: value must be a number`, { httpStatus: 400 });
    out.push({ labels: row.labels, timestampMs: ts, value });
  }
  return out;
}

/** query_range for each query over the range, in chunks of at most 11,000 points per series (Prometheus' limit). */
export async function fetchPrometheus(baseUrl: string, queries: readonly string[], range: Range, stepMs: number, timeoutMs = 30_000): Promise<Sample[]> {
  const out: Sample[] = [];
  const chunkMs = stepMs * 10_000;
  for (const query of queries) {
    for (let from = range.startMs; from <= range.endMs; from += chunkMs + stepMs) {
      const to = Math.min(range.endMs, from + chunkMs);
      const url = new URL('/api/v1/query_range', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
      url.search = new URLSearchParams({ query, start: String(from / 1000), end: String(to / 1000), step: `${stepMs / 1000}s` }).toString();
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}` }))) as MatrixResponse;
      if (!res.ok) throw new AppError('prometheus_error', `Prometheus ${url.origin} ${query}: HTTP ${res.status} ${body.error ?? ''}`, { httpStatus: 502 });
      out.push(...samplesFromMatrix(body, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(query) ? query : undefined));
    }
  }
  return out;
}
