#!/usr/bin/env node
// Entry for `npx aiopsd`: runs the compiled CLI (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'main.js');
if (!existsSync(compiled)) {
  console.error('aiopsd: dist/main.js is missing; run `npm ci` (or `npm run build`) in ' + root);
  process.exit(1);
}
await import(compiled);
