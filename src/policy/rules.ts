import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';

/**
 * The policy file: rules that turn anomalies into decisions. Validated with line numbers so
 * `aiopsd policy check` and startup errors point at the offending line.
 */
const k8sName = z.string().min(1).max(253).regex(/^(\$\{[a-z_.]+\}|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)+$/, 'a DNS-1123 name or a ${label} template');

const ruleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    when: z
      .object({
        metric: z.string().min(1).optional(),
        labels: z.record(z.string(), z.string()).default({}),
        'score>=': z.number().min(0).max(1).default(0.9),
      })
      .strict(),
    action: z
      .object({
        type: z.string().min(1),
        target: z.object({ namespace: k8sName, name: k8sName }).strict(),
        params: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    cooldownMs: z.number().int().min(0).optional(),
    shadow: z.boolean().default(false),
  })
  .strict();

export const policyFileSchema = z
  .object({
    dryRun: z.boolean().optional(),
    cooldownMs: z.number().int().min(0).optional(),
    rules: z.array(ruleSchema).default([]),
  })
  .strict();

export type PolicyRule = z.infer<typeof ruleSchema>;
export type PolicyFile = z.infer<typeof policyFileSchema>;

export class PolicyError extends AppError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super('invalid_policy', `invalid policy (${source}):\n  - ${problems.join('\n  - ')}`, { httpStatus: 400 });
  }
}

export function loadPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parsePolicy(text, path);
}

/** Parse and validate policy YAML; every problem names its key path and line. */
export function parsePolicy(text: string, source = 'policy'): PolicyFile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(source, doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`));
  }
  const result = policyFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new PolicyError(
      source,
      result.error.issues.map((issue) => {
        const path = issue.path.map(String);
        const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
        return `line ${lineOf(doc, text, path)}: ${path.join('.') || '(top level)'}: ${issue.message}${extra}`;
      }),
    );
  }
  const names = new Set<string>();
  for (const rule of result.data.rules) {
    if (names.has(rule.name)) throw new PolicyError(source, [`rules: the name ${rule.name} is used twice`]);
    names.add(rule.name);
  }
  return result.data;
}

/** 1-based line of the node at `path`, or of its closest existing parent. */
function lineOf(doc: Document, text: string, path: string[]): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === part);
      if (!pair) break;
      offset = (pair.key as { range?: [number] })?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)];
      if (!item) break;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return text.slice(0, offset).split('\n').length;
}
