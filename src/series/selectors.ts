import type { RequestHandler } from 'express';
import { badRequest, AppError } from '../lib/errors.js';
import type { Labels } from '../domain/types.js';
import type { SeriesStore } from './store.js';

/**
 * Prometheus-style series selectors: `metric`, `metric{l="v"}`, `{__name__=~"x.*", job!="a"}`.
 * Matchers =, !=, =~, !~; regexes are fully anchored like Prometheus's RE2 (`^(?:re)$`), and
 * constructs RE2 does not have (look-around, back-references) are rejected. A selector must
 * contain a matcher that does not match the empty string (Prometheus's rule against `{}`).
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  readonly re?: RegExp;
}

export type Selector = readonly Matcher[];

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const RE2_UNSUPPORTED = /\(\?[=!<]|\\[1-9]|\\k</;

function compile(value: string, where: string): RegExp {
  if (RE2_UNSUPPORTED.test(value)) throw badRequest('bad_selector', `${where}: look-around and back-references are not RE2 syntax`);
  try {
    return new RegExp(`^(?:${value})$`, 'su');
  } catch (err) {
    throw badRequest('bad_selector', `${where}: invalid regular expression: ${(err as Error).message}`);
  }
}

export function matches(m: Matcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.re!.test(value);
    case '!~':
      return !m.re!.test(value);
  }
}

export function selectorMatches(sel: Selector, labels: Labels): boolean {
  for (const m of sel) if (!matches(m, labels[m.name] ?? '')) return false;
  return true;
}

/** Parses one selector; throws a 400 `bad_selector` AppError saying where it failed. */
export function parseSelector(input: string): Selector {
  let i = 0;
  const s = input;
  const err = (what: string): never => {
    throw badRequest('bad_selector', `bad selector ${JSON.stringify(input)} at offset ${i}: ${what}`);
  };
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const matchers: Matcher[] = [];
  ws();
  if (i < s.length && NAME_START.test(s[i]!)) {
    const st = i;
    while (i < s.length && NAME_CHAR.test(s[i]!)) i++;
    matchers.push({ name: '__name__', op: '=', value: s.slice(st, i) });
    ws();
  }
  if (i < s.length && s[i] === '{') {
    i++;
    ws();
    while (i < s.length && s[i] !== '}') {
      if (!LABEL_START.test(s[i]!)) err('expected a label name');
      const st = i;
      while (i < s.length && LABEL_CHAR.test(s[i]!)) i++;
      const name = s.slice(st, i);
      ws();
      let op: MatchOp;
      if (s.startsWith('=~', i)) op = '=~';
      else if (s.startsWith('!~', i)) op = '!~';
      else if (s.startsWith('!=', i)) op = '!=';
      else if (s[i] === '=') op = '=';
      else return err('expected one of =, !=, =~, !~');
      i += op.length;
      ws();
      const value = readString();
      matchers.push(op === '=~' || op === '!~' ? { name, op, value, re: compile(value, `label ${name}`) } : { name, op, value });
      ws();
      if (s[i] === ',') {
        i++;
        ws();
      } else if (s[i] !== '}') err('expected , or }');
    }
    if (s[i] !== '}') err('unclosed {');
    i++;
    ws();
  }
  if (i !== s.length) err('unexpected characters');
  if (matchers.length === 0) err('empty selector');
  if (matchers.every((m) => matches(m, ''))) err('at least one matcher must not match the empty string');
  return matchers;

  function readString(): string {
    const q = s[i];
    if (q !== '"' && q !== "'" && q !== '`') return err('expected a quoted string');
    i++;
    let out = '';
    while (i < s.length && s[i] !== q) {
      const c = s[i]!;
      if (c === '\\' && q !== '`') {
        const n = s[i + 1];
        if (n === undefined) err('unterminated escape');
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (map[n!] !== undefined) out += map[n!];
        else out += `\\${n}`; // keep regex escapes such as \d, \. as written
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    if (s[i] !== q) err('unterminated string');
    i++;
    return out;
  }
}

/** Reads `match[]` from an express query object (extended parser: `match`, simple: `match[]`). */
export function matchParams(query: Record<string, unknown>): string[] {
  const raw = query['match[]'] ?? query.match;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => {
    if (typeof v !== 'string') throw badRequest('bad_selector', 'match[] must be a string');
    return v;
  });
}

/**
 * GET /api/v1/series?match[]=…&match[]=…&limit=N: series in the store matching any selector, with
 * their labels, point count and state (ok | insufficient_data | stale | ended).
 */
export function createSeriesHandler(store: SeriesStore, opts: { maxResults?: number } = {}): RequestHandler {
  return (req, res) => {
    const q = req.query as Record<string, unknown>;
    const raw = matchParams(q);
    if (raw.length === 0) throw badRequest('bad_selector', 'at least one match[] selector is required');
    if (raw.length > 64) throw badRequest('bad_selector', 'at most 64 match[] selectors');
    const selectors = raw.map(parseSelector);
    const max = opts.maxResults ?? 10_000;
    let limit = max;
    if (q.limit !== undefined) {
      const n = Number(q.limit);
      if (!Number.isInteger(n) || n < 1) throw new AppError('bad_parameter', 'limit must be a positive integer', { httpStatus: 400 });
      limit = Math.min(n, max);
    }
    const data = [];
    let truncated = false;
    for (const view of store.all()) {
      if (!selectors.some((sel) => selectorMatches(sel, view.labels))) continue;
      if (data.length >= limit) {
        truncated = true;
        break;
      }
      data.push({ key: view.key, labels: view.labels, points: view.points, lastTimestampMs: Number.isFinite(view.lastTimestampMs) ? view.lastTimestampMs : null, state: store.stateOf(view) });
    }
    res.json({ status: 'success', data, truncated });
  };
}
