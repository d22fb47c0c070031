import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const rel = (p: string): string => path.relative(ROOT, p);

export function listFiles(dir: string, suffixes: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, suffixes));
    else if (suffixes.some((s) => name.endsWith(s))) out.push(full);
  }
  return out;
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'));
}

/** Every document of a multi-document YAML file; a syntax error fails loudly with the file name. */
export function readYamlDocs(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${rel(file)}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Walk a plain value by a key path; undefined when any step is missing. */
export function at(v: unknown, ...keys: Array<string | number>): unknown {
  let cur: unknown = v;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isObj(cur) ? cur[k] : undefined;
  }
  return cur;
}

export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Alert/recording rules of a Prometheus rule file. */
export function ruleExprs(file: string): Array<{ name: string; expr: string }> {
  const out: Array<{ name: string; expr: string }> = [];
  for (const group of arr(at(readYaml(file), 'groups'))) {
    for (const rule of arr(at(group, 'rules'))) {
      out.push({ name: String(at(rule, 'alert') ?? at(rule, 'record')), expr: String(at(rule, 'expr')) });
    }
  }
  return out;
}

/** Every panel of a Grafana dashboard, including panels nested in collapsed rows. */
export function dashboardPanels(dashboard: unknown): Json[] {
  const out: Json[] = [];
  for (const p of arr(at(dashboard, 'panels'))) {
    if (!isObj(p)) continue;
    out.push(p);
    for (const inner of arr(p.panels)) if (isObj(inner)) out.push(inner);
  }
  return out;
}

/** PromQL in a dashboard: panel target expressions and query-variable queries. */
export function dashboardQueries(dashboard: unknown): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const panel of dashboardPanels(dashboard)) {
    for (const t of arr(panel.targets)) {
      const expr = at(t, 'expr');
      if (typeof expr === 'string') out.push({ where: `panel "${String(panel.title)}"`, expr });
    }
  }
  for (const v of arr(at(dashboard, 'templating', 'list'))) {
    if (at(v, 'type') !== 'query') continue;
    const q = at(v, 'query');
    const expr = typeof q === 'string' ? q : at(q, 'query');
    if (typeof expr === 'string') out.push({ where: `variable ${String(at(v, 'name'))}`, expr });
  }
  return out;
}
