import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';

/**
 * The policy file: rules that turn anomalies into decisions. Validated with line numbers so
 * `aiopsd policy check` and startup errors point at the offending line. See docs/POLICY.md.
 */
const k8sName = z.string().min(1).max(253).regex(/^(\$\{[a-z_.]+\}|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)+$/, 'a DNS-1123 name or a ${label} template');

/** A regular expression that must compile; Prometheus semantics: fully anchored. */
const regex = z.string().min(1).refine((s) => compiles(s), { message: 'not a valid regular expression' });

/**
 * A label matcher value: `value` (equality), `=value`, `!=value`, `=~regex`, `!~regex`
 * (Prometheus operators; regexes are fully anchored as in PromQL).
 */
const labelMatcher = z.string().refine((s) => parseLabelMatcher(s) !== undefined, { message: 'a value, or =value, !=value, =~regex, !~regex with a valid regex' });

const ruleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    when: z
      .object({
        service: z.string().min(1).optional(),
        metric: z.string().min(1).optional(),
        metric_re: regex.optional(),
        labels: z.record(z.string(), labelMatcher).default({}),
        'score>=': z.number().min(0).max(1).default(0.9),
        forMs: z.number().int().min(0).optional(),
      })
      .strict()
      .refine((w) => !(w.metric !== undefined && w.metric_re !== undefined), { message: 'use either metric or metric_re, not both' }),
    action: z
      .object({
        type: z.string().min(1),
        target: z.object({ namespace: k8sName, name: k8sName }).strict(),
        params: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    risk: z.enum(['low', 'high']).optional(),
    approval: z.object({ required: z.boolean() }).strict().optional(),
    cooldownMs: z.number().int().min(0).optional(),
    shadow: z.boolean().default(false),
    dryRun: z.boolean().optional(),
  })
  .strict()
  .refine((r) => !(r.risk === 'high' && r.approval?.required === false), {
    message: 'a high-risk rule always needs approval (remove approval.required: false)',
    path: ['approval', 'required'],
  });

export const policyFileSchema = z
  .object({
    dryRun: z.boolean().optional(),
    cooldownMs: z.number().int().min(0).optional(),
    rules: z.array(ruleSchema).default([]),
  })
  .strict();

export type PolicyRule = z.infer<typeof ruleSchema>;
export type PolicyFile = z.infer<typeof policyFileSchema>;

export type LabelOp = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  readonly op: LabelOp;
  readonly value: string;
  readonly re?: RegExp;
}

/** `=~a|b` → {op: '=~', re: /^(?:a|b)$/}; a bare value is equality. Undefined when the regex is invalid. */
export function parseLabelMatcher(raw: string): LabelMatcher | undefined {
  for (const op of ['=~', '!~', '!=', '='] as const) {
    if (!raw.startsWith(op)) continue;
    const value = raw.slice(op.length);
    if (op === '=~' || op === '!~') {
      const re = anchored(value);
      return re ? { op, value, re } : undefined;
    }
    return { op, value };
  }
  return { op: '=', value: raw };
}

/** Prometheus label matching: a missing label is the empty string. */
export function labelMatches(m: LabelMatcher, actual: string | undefined): boolean {
  const v = actual ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function anchored(source: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    return undefined;
  }
}

function compiles(source: string): boolean {
  return anchored(source) !== undefined;
}

/** Whether decisions of this rule need a person: explicit, else implied by high risk. */
export function ruleRequiresApproval(rule: PolicyRule): boolean {
  return rule.approval?.required ?? (rule.risk ?? 'low') === 'high';
}

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
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // e.g. an alias to an undefined anchor, or an alias bomb
    throw new PolicyError(source, [`line ?: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = policyFileSchema.safeParse(js ?? {});
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
  for (const [i, rule] of result.data.rules.entries()) {
    if (names.has(rule.name)) throw new PolicyError(source, [`line ${lineOf(doc, text, ['rules', String(i), 'name'])}: rules.${i}.name: the name ${rule.name} is used twice`]);
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
