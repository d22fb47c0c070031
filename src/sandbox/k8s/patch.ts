/**
 * The three patch formats the apiserver accepts besides server-side apply:
 * - JSON merge patch (RFC 7386): objects merge, null deletes, arrays and scalars replace whole;
 * - JSON patch (RFC 6902): add/remove/replace/move/copy/test on JSON pointers, all or nothing;
 * - strategic merge patch (built-in kinds only): approximated as a merge patch in which lists of objects
 *   that all carry `name` merge by name (containers, ports, env, volumes), and `$patch: delete` on such an
 *   item removes it. Real SMP uses per-field merge keys from the Go types; the sandbox does not model those.
 */
import { clone, isRecord } from './types.js';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386. Returns a new value; neither argument is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isNamedList(list: unknown): list is Record<string, unknown>[] {
  return Array.isArray(list) && list.length > 0 && list.every((x) => isRecord(x) && typeof x.name === 'string');
}

/** Approximate strategic merge patch (see the file comment). */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const current = result[key];
    if (value === null) {
      delete result[key];
    } else if (isNamedList(value) && (current === undefined || isNamedList(current))) {
      const merged = (current ?? []).map((x) => clone(x));
      for (const item of value) {
        const at = merged.findIndex((x) => x.name === item.name);
        if (item.$patch === 'delete') {
          if (at >= 0) merged.splice(at, 1);
        } else if (at >= 0) {
          merged[at] = strategicMergePatch(merged[at], item) as Record<string, unknown>;
        } else {
          merged.push(strategicMergePatch({}, item) as Record<string, unknown>);
        }
      }
      result[key] = merged;
    } else {
      result[key] = strategicMergePatch(current, value);
    }
  }
  return result;
}

/** A JSON patch could be decoded but not applied: the apiserver answers 422 with this message as the cause. */
export class JsonPatchApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchApplyError';
  }
}

/** The body is not a JSON patch document at all: the apiserver answers 400. */
export class JsonPatchDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchDecodeError';
  }
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
  hasValue: boolean;
}

function decode(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) {
    throw new JsonPatchDecodeError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return ops.map((raw) => {
    if (!isRecord(raw)) throw new JsonPatchDecodeError('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    return {
      op: typeof raw.op === 'string' ? raw.op : '',
      path: typeof raw.path === 'string' ? raw.path : '',
      ...(typeof raw.from === 'string' ? { from: raw.from } : {}),
      value: raw.value,
      hasValue: Object.hasOwn(raw, 'value'),
    };
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchApplyError(`invalid JSON pointer: "${pointer}"`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** Walk to the parent of the pointer's last token. */
function parentOf(doc: unknown, tokens: string[], op: string, pointer: string): { parent: Container; key: string } {
  let node: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length - 1, op, pointer)];
    else if (isRecord(node) && Object.hasOwn(node, token)) node = node[token];
    else node = undefined;
    if (node === undefined) break;
  }
  if (!(Array.isArray(node) || isRecord(node))) {
    throw new JsonPatchApplyError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  }
  return { parent: node, key: tokens[tokens.length - 1] ?? '' };
}

function arrayIndex(token: string, max: number, op: string, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > max) {
    throw new JsonPatchApplyError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  }
  return Number(token);
}

function getAt(doc: unknown, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, op, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length - 1, op, pointer)];
  if (!Object.hasOwn(parent, key)) {
    throw new JsonPatchApplyError(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`);
  }
  return parent[key];
}

function removeAt(doc: unknown, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new JsonPatchApplyError(`${op} operation does not apply: cannot remove the root`);
  const { parent, key } = parentOf(doc, tokens, op, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(key, parent.length - 1, op, pointer), 1)[0];
  if (!Object.hasOwn(parent, key)) throw new JsonPatchApplyError(`unable to remove nonexistent key: ${key}: missing value`);
  const old = parent[key];
  delete parent[key];
  return old;
}

/** Returns the new document (the root may be replaced). */
function addAt(doc: unknown, pointer: string, value: unknown, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, op, pointer);
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else parent.splice(arrayIndex(key, parent.length, op, pointer), 0, value);
  } else {
    parent[key] = value;
  }
  return doc;
}

/** RFC 6902, atomic: the input is not modified and nothing is returned when any operation fails. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  const ops = decode(patch);
  let doc = clone(document);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        if (!o.hasValue) throw new JsonPatchApplyError('add operation does not apply: missing value');
        doc = addAt(doc, o.path, clone(o.value), 'add');
        break;
      case 'remove':
        removeAt(doc, o.path, 'remove');
        break;
      case 'replace':
        if (!o.hasValue) throw new JsonPatchApplyError('replace operation does not apply: missing value');
        getAt(doc, o.path, 'replace');
        if (parsePointer(o.path).length === 0) doc = clone(o.value);
        else {
          removeAt(doc, o.path, 'replace');
          doc = addAt(doc, o.path, clone(o.value), 'replace');
        }
        break;
      case 'move': {
        const value = removeAt(doc, o.from ?? '', 'move');
        doc = addAt(doc, o.path, value, 'move');
        break;
      }
      case 'copy':
        doc = addAt(doc, o.path, clone(getAt(doc, o.from ?? '', 'copy')), 'copy');
        break;
      case 'test': {
        let found = true;
        let actual: unknown;
        try {
          actual = getAt(doc, o.path, 'test');
        } catch {
          found = false;
        }
        const expected = o.hasValue ? o.value : null;
        if (!(found ? deepEqual(actual, expected) : expected === null)) {
          throw new JsonPatchApplyError(`testing value ${o.path} failed: test failed`);
        }
        break;
      }
      default:
        throw new JsonPatchApplyError(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}
