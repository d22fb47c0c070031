import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, CanonicalJsonError, GENESIS_HASH, hashRecord, type HashedFields } from '../../../src/audit/canonical.js';

/** Deep copy with every object's keys inserted in the order given by `order` (a permutation seed). */
function permuteKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => permuteKeys(v, rand));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  // fromEntries defines own properties, so a "__proto__" key stays a key (as JSON.parse makes it)
  // instead of replacing the prototype as `out[k] = v` would.
  return Object.fromEntries(keys.map((k) => [k, permuteKeys((value as Record<string, unknown>)[k], rand)]));
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Reference: JSON.stringify over a deep copy with sorted keys. */
function sortedStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

const json = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 });

describe('canonicalJson', () => {
  it('is stable under any permutation of object keys', () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        expect(canonicalJson(permuteKeys(value, seeded(seed)))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips through JSON.parse to the same canonical text and value', () => {
    fc.assert(
      fc.property(json, (value) => {
        const c = canonicalJson(value);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
        expect(JSON.parse(c)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(c).toBe(sortedStringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('sorts keys, writes no whitespace, and formats numbers like JSON.stringify', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x y', aa: -0, z: 1e21, y: 0.1 })).toBe(
      '{"a":"x y","aa":0,"b":[1,{"c":2,"d":1}],"y":0.1,"z":1e+21}',
    );
    expect(canonicalJson({ 'é': 1, e: 2, E: 3, '😀': 4 })).toBe('{"E":3,"e":2,"é":1,"😀":4}');
  });

  it('omits object properties whose value is undefined (like an absent optional field)', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it.each([
    ['NaN', { a: Number.NaN }, '$.a'],
    ['Infinity', { a: [1, Number.POSITIVE_INFINITY] }, '$.a[1]'],
    ['undefined in an array', [undefined], '$[0]'],
    ['a function', { f: () => 1 }, '$.f'],
    ['a bigint', { n: 1n }, '$.n'],
    ['a symbol', { s: Symbol('x') }, '$.s'],
    ['a Date', { d: new Date(0) }, '$.d'],
    ['a Map', { m: new Map() }, '$.m'],
    ['a lone surrogate', { s: 'a\uD800b' }, '$.s'],
    ['a lone surrogate in a key', { ['\uDC00']: 1 }, '$.<key>'],
  ])('throws on %s, naming the path', (_name, value, path) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    try {
      canonicalJson(value);
    } catch (err) {
      expect((err as CanonicalJsonError).path).toBe(path);
    }
  });

  it('throws on cycles but accepts a shared (non-cyclic) subobject', () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => canonicalJson(cyc)).toThrow(/cyclic/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('hashRecord', () => {
  const fields: HashedFields = {
    seq: 1,
    id: 'aud_1',
    ts: '2026-01-01T00:00:00.000000Z',
    kind: 'anomaly',
    actor: { type: 'system', id: 'aiopsd' },
    decisionId: null,
    incidentId: 'inc_1',
    jobId: null,
    attempt: null,
    target: null,
    body: { score: 0.97 },
    prevHash: GENESIS_HASH,
  };

  it('is sha256 hex over prevHash, a newline and the canonical fields', () => {
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}\n${canonicalJson(fields)}`)
      .digest('hex');
    expect(hashRecord(GENESIS_HASH, fields)).toBe(expected);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });

  it('changes when any field or the previous hash changes', () => {
    const base = hashRecord(GENESIS_HASH, fields);
    expect(hashRecord('1'.repeat(64), fields)).not.toBe(base);
    for (const [k, v] of Object.entries({ seq: 2, id: 'aud_2', ts: 'x', kind: 'killswitch', decisionId: 'd',
      jobId: 'j', attempt: 0, target: {}, body: { score: 0.98 }, actor: { type: 'person', id: 'a' } })) {
      expect(hashRecord(GENESIS_HASH, { ...fields, [k]: v })).not.toBe(base);
    }
  });
});

describe('canonicalJson and a "__proto__" key', () => {
  it('keeps it as an ordinary key, as JSON.parse does', () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":2}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":2},"b":1}');
  });
});
