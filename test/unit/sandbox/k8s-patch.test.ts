import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch, deepEqual, JsonPatchApplyError, JsonPatchDecodeError, mergePatch, strategicMergePatch,
} from '../../../src/sandbox/k8s/patch.js';
import { parseLabelSelector } from '../../../src/sandbox/k8s/selectors.js';

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it('never modifies its inputs and is idempotent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const t = structuredClone(target);
        const p = structuredClone(patch);
        const once = mergePatch(target, patch);
        expect(target).toEqual(t);
        expect(patch).toEqual(p);
        expect(deepEqual(mergePatch(once, patch), once)).toBe(true);
      }),
    );
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { spec: { minReplicas: 2, list: ['a', 'b'] }, metadata: { name: 'x', 'a/b': 1 } };

  it('applies add, remove, replace, move, copy and a passing test', () => {
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/spec/minReplicas', value: 2 },
      { op: 'replace', path: '/spec/minReplicas', value: 4 },
      { op: 'add', path: '/spec/list/-', value: 'c' },
      { op: 'add', path: '/spec/list/0', value: 'z' },
      { op: 'remove', path: '/metadata/a~1b' },
      { op: 'copy', from: '/spec/minReplicas', path: '/spec/copy' },
      { op: 'move', from: '/spec/copy', path: '/spec/moved' },
    ]);
    expect(out).toEqual({ spec: { minReplicas: 4, list: ['z', 'a', 'b', 'c'], moved: 4 }, metadata: { name: 'x' } });
    expect(doc.spec.minReplicas).toBe(2);
  });

  it('fails atomically on a failed test, with the library message the apiserver reports', () => {
    expect(() => applyJsonPatch(doc, [
      { op: 'replace', path: '/spec/minReplicas', value: 9 },
      { op: 'test', path: '/spec/minReplicas', value: 3 },
    ])).toThrow(new JsonPatchApplyError('testing value /spec/minReplicas failed: test failed'));
    expect(doc.spec.minReplicas).toBe(2);
  });

  it('treats a test for null on a missing path as passing, for a value as failing', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/nope', value: null }])).not.toThrow();
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/nope', value: 1 }])).toThrow(JsonPatchApplyError);
  });

  it('rejects missing paths and malformed documents', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/missing', value: 1 }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec/list/5' }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/no/parent', value: 1 }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/spec' }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch(doc, { op: 'add' })).toThrow(JsonPatchDecodeError);
  });
});

describe('strategic merge patch (approximation)', () => {
  it('merges lists of named objects by name and honours $patch: delete', () => {
    const target = { spec: { containers: [{ name: 'app', image: 'a:1', ports: [80] }, { name: 'side', image: 's:1' }] } };
    const out = strategicMergePatch(target, {
      spec: { containers: [{ name: 'app', image: 'a:2' }, { name: 'side', $patch: 'delete' }, { name: 'new', image: 'n:1' }] },
    });
    expect(out).toEqual({ spec: { containers: [{ name: 'app', image: 'a:2', ports: [80] }, { name: 'new', image: 'n:1' }] } });
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', track: 'stable', tier: 'fe' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web,track=stable', true],
    ['app=api', false],
    ['track!=canary', true],
    ['missing!=x', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['track in (stable, canary)', true],
    ['track notin (stable)', false],
    ['app=web, track in (canary)', false],
  ])('%s → %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('rejects malformed selectors with a 400 Status', () => {
    expect(() => parseLabelSelector('app=we b')).toThrow(/unable to parse requirement/);
  });
});
