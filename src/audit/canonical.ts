/**
 * Canonical JSON for hashing audit records.
 *
 * Rules (close to RFC 8785 / JCS):
 *  - object keys sorted by UTF-16 code units (JS default sort), no whitespace;
 *  - strings and numbers are written exactly as JSON.stringify writes them (shortest round-trip
 *    number form, -0 becomes 0);
 *  - an object property whose value is `undefined` is omitted, as JSON.stringify does, so a TS
 *    optional field set to undefined hashes the same as an absent one;
 *  - everything else that is not plain JSON THROWS a CanonicalJsonError naming the path: undefined
 *    in an array, functions, symbols, bigints, NaN/±Infinity, Dates and other class instances,
 *    cyclic structures, and strings with lone UTF-16 surrogates (those would encode to U+FFFD in
 *    UTF-8, so two different strings could hash alike). We throw instead of writing null so that a
 *    caller's bug (e.g. a NaN score) is seen rather than silently recorded as something else.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`not canonical JSON at ${path}: ${reason}`);
    this.name = 'CanonicalJsonError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(path, 'string contains a lone surrogate');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `number ${String(value)} is not finite`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return writeContainer(value, path, seen);
    default:
      throw new CanonicalJsonError(path, `${typeof value} is not JSON`);
  }
}

function writeContainer(value: object, path: string, seen: Set<object>): string {
  if (seen.has(value)) throw new CanonicalJsonError(path, 'cyclic structure');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((v, i) => write(v, `${path}[${i}]`, seen)).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(path, `${value.constructor?.name ?? 'object'} instance is not plain JSON`);
    }
    const rec = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(rec).sort()) {
      const v = rec[key];
      if (v === undefined) continue;
      const keyJson = write(key, `${path}.<key>`, seen);
      parts.push(`${keyJson}:${write(v, `${path}.${key}`, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

/** The stored columns of one audit record except `hash` (absent optional columns are null). */
export interface HashedFields {
  readonly seq: number;
  readonly id: string;
  readonly ts: string;
  readonly kind: string;
  readonly actor: unknown;
  readonly decisionId: string | null;
  readonly incidentId: string | null;
  readonly jobId: string | null;
  readonly attempt: number | null;
  readonly target: unknown;
  readonly body: unknown;
  readonly prevHash: string;
}

/** sha256 hex over `prevHash + "\n" + canonicalJson(fields)`. */
export function hashRecord(prevHash: string, fields: HashedFields): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalJson(fields)}`, 'utf8').digest('hex');
}
