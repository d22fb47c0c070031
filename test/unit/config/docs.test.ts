import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference } from '../../../src/config/docs.js';
import { configLeaves } from '../../../src/config/load.js';
import { REPO_ROOT } from '../../support/env.js';

describe('config reference', () => {
  it('docs/CONFIG.md is generated from the current schema (run `npm run docs:config`)', () => {
    expect(readFileSync(path.join(REPO_ROOT, 'docs/CONFIG.md'), 'utf8')).toBe(renderConfigReference());
  });

  it('every field is documented', () => {
    for (const leaf of configLeaves()) expect(leaf.schema.description, leaf.path.join('.')).toBeTruthy();
  });
});
