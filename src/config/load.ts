import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { configSchema, type Config } from './schema.js';
import { redactUrl } from '../lib/redact.js';

/**
 * Config is resolved field by field: schema defaults < YAML file < AIOPSD_* environment < CLI flags.
 * Every problem is reported at once, each naming its key and what is allowed.
 */

/** Environment variables that are not config paths but well-known conventions. */
const ENV_ALIASES: Record<string, string[]> = {
  AIOPSD_PORT: ['server', 'port'],
  REDIS_URL: ['redis', 'url'],
  DATABASE_URL: ['database', 'url'],
};

/** AIOPSD_* variables read elsewhere (tests, tooling), not config. */
const ENV_NOT_CONFIG = new Set(['AIOPSD_SHARED_DIR', 'AIOPSD_CONFIG', 'AIOPSD_TOKEN', 'AIOPSD_URL']);

export class ConfigError extends AppError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super('invalid_config', `invalid configuration (${source}):\n  - ${problems.join('\n  - ')}`, { httpStatus: 400 });
  }
}

export interface LoadConfigOptions {
  /** YAML file path (--config). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, as config paths. */
  overrides?: Array<{ path: string[]; value: unknown }>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = options.file ? readYamlObject(options.file) : {};
  const problems: string[] = [];
  for (const { path, value } of envValues(env, problems)) setPath(raw, path, value);
  for (const { path, value } of options.overrides ?? []) setPath(raw, path, value);
  if (problems.length > 0) throw new ConfigError('environment', problems);
  return validateConfig(raw, options.file ?? 'defaults and environment');
}

export function validateConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.map(describeIssue));
}

function readYamlObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(file, [`not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, ['the top level must be a mapping of keys to values']);
  return doc as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path.map(String));
    return issue.keys
      .map((k) => `${issue.path.length > 0 ? key + '.' : ''}${k}: unknown key; allowed here: ${allowed.join(', ')}`)
      .join('\n  - ');
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `${key}: ${issue.message}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${key}: ${issue.message}`;
}

/** Walk the schema to a nested object and list its keys (for "allowed here" messages). */
export function allowedKeysAt(path: string[]): string[] {
  let node: z.ZodType | undefined = configSchema;
  for (const part of path) node = objectShape(node)?.[part];
  return Object.keys(objectShape(node) ?? {});
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 8 && s; i++) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType };
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) s = def.innerType;
    else break;
  }
  return s;
}

function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  const s = unwrap(schema);
  const def = s?._zod.def as { type: string; shape?: Record<string, z.ZodType> } | undefined;
  return def?.type === 'object' ? def.shape : undefined;
}

/** Leaf paths of the schema with their zod type name, e.g. [['server','port'],'number']. */
export function configLeaves(): Array<{ path: string[]; type: string; schema: z.ZodType }> {
  const out: Array<{ path: string[]; type: string; schema: z.ZodType }> = [];
  const walk = (schema: z.ZodType, path: string[]): void => {
    const shape = objectShape(schema);
    if (shape) {
      for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
      return;
    }
    out.push({ path, type: (unwrap(schema)?._zod.def as { type: string }).type, schema });
  };
  walk(configSchema, []);
  return out;
}

/** AIOPSD_SERVER_MAX_BODY_BYTES ↔ server.maxBodyBytes. */
export function envNameFor(path: string[]): string {
  return 'AIOPSD_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function envValues(env: NodeJS.ProcessEnv, problems: string[]): Array<{ path: string[]; value: unknown }> {
  const byName = new Map<string, { path: string[]; type: string }>();
  for (const leaf of configLeaves()) byName.set(envNameFor(leaf.path), leaf);
  for (const [alias, path] of Object.entries(ENV_ALIASES)) {
    const leaf = configLeaves().find((l) => l.path.join('.') === path.join('.'));
    if (leaf) byName.set(alias, leaf);
  }
  const out: Array<{ path: string[]; value: unknown }> = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const leaf = byName.get(name);
    if (!leaf) {
      if (name.startsWith('AIOPSD_') && !ENV_NOT_CONFIG.has(name)) {
        problems.push(`${name}: unknown environment variable; config variables are ${[...byName.keys()].filter((n) => n.startsWith('AIOPSD_')).join(', ')}`);
      }
      continue;
    }
    const coerced = coerceEnv(value, leaf.type);
    if (coerced.ok) out.push({ path: leaf.path, value: coerced.value });
    else problems.push(`${name} (${leaf.path.join('.')}): ${coerced.error}`);
  }
  return out;
}

function coerceEnv(value: string, type: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (type === 'number') {
    const n = Number(value);
    return Number.isFinite(n) && value.trim() !== '' ? { ok: true, value: n } : { ok: false, error: `expected a number, got ${JSON.stringify(value)}` };
  }
  if (type === 'boolean') {
    if (value === 'true' || value === '1') return { ok: true, value: true };
    if (value === 'false' || value === '0') return { ok: true, value: false };
    return { ok: false, error: `expected true or false, got ${JSON.stringify(value)}` };
  }
  if (type === 'array' || type === 'object') {
    try {
      return { ok: true, value: JSON.parse(value) };
    } catch {
      return { ok: false, error: 'expected JSON' };
    }
  }
  return { ok: true, value };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** The effective config for printing: secrets and credentials in URLs replaced. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.redis.url) copy.redis.url = redactUrl(copy.redis.url);
  if (copy.database.url) copy.database.url = redactUrl(copy.database.url);
  if (copy.audit.checkpointKey) copy.audit.checkpointKey = '<redacted>';
  if (copy.ingest.alertmanager.token) copy.ingest.alertmanager.token = '<redacted>';
  const slack = copy.slack as Record<string, unknown>;
  for (const key of ['botToken', 'signingSecret', 'appToken']) if (slack[key]) slack[key] = '<redacted>';
  for (const hook of copy.webhooks as unknown as Array<Record<string, unknown>>) if (hook.secret) hook.secret = '<redacted>';
  return copy;
}

