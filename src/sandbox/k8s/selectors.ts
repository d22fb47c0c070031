/**
 * Label selectors as the apiserver parses them from ?labelSelector=: equality (`a=b`, `a==b`),
 * inequality (`a!=b`), existence (`a`, `!a`) and the set forms (`a in (x,y)`, `a notin (x)`).
 */
import { badRequest } from './status.js';

type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = (labels: Readonly<Record<string, string>> | undefined) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, raw: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

function checkValue(value: string, raw: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${raw}"`);
  }
  return value;
}

function parseRequirement(raw: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(raw);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), raw));
    return { op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1] ?? '', raw), values };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(raw);
  if (eq) {
    return {
      op: eq[2] === '!=' ? 'ne' : 'eq',
      key: checkKey(eq[1] ?? '', raw),
      value: checkValue((eq[3] ?? '').trim(), raw),
    };
  }
  if (raw.startsWith('!')) return { op: 'notexists', key: checkKey(raw.slice(1).trim(), raw) };
  return { op: 'exists', key: checkKey(raw, raw) };
}

function matches(req: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq': return has && value === req.value;
    case 'ne': return !has || value !== req.value;
    case 'in': return has && req.values.includes(value ?? '');
    case 'notin': return !has || !req.values.includes(value ?? '');
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

/** Parse a selector; throws a 400 Status for a malformed one. An empty selector matches everything. */
export function parseLabelSelector(selector: string | null | undefined): LabelSelector {
  const requirements = splitTopLevel(selector ?? '').map(parseRequirement);
  return (labels) => requirements.every((req) => matches(req, labels ?? {}));
}
