import { readFileSync } from 'node:fs';

/** The fenced block after `<!-- snippet: NAME -->` in docs/INGEST.md (the tests run what the docs show). */
export function docSnippet(name: string): string {
  const doc = readFileSync(new URL('../../../docs/INGEST.md', import.meta.url), 'utf8');
  const marker = `<!-- snippet: ${name} -->`;
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`docs/INGEST.md has no snippet ${name}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(doc.slice(at + marker.length));
  if (!m) throw new Error(`snippet ${name} has no fenced block`);
  return m[1]!;
}
