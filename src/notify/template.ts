/**
 * The message template language: `{{field.path}}` substitution and nothing else — no expressions,
 * no calls, no loops. A missing path renders as the empty string; objects render as JSON.
 * Paths are letters, digits, _ and dots (array indexes as numbers: events.0.summary).
 */
const TOKEN = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

export function renderTemplate(template: string, context: unknown): string {
  return template.replace(TOKEN, (_m, path: string) => {
    const v = lookup(context, path);
    if (v === undefined || v === null) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Checks a template at config load: every {{…}} must be a plain path. */
export function validateTemplate(template: string): string | undefined {
  const stripped = template.replace(TOKEN, '');
  return /\{\{|\}\}/.test(stripped) ? 'only {{field.path}} substitutions are allowed' : undefined;
}

function lookup(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
