// Writes docs/CONFIG.md from the config schema: `npm run docs:config`.
import { writeFileSync } from 'node:fs';
import { renderConfigReference } from '../src/config/docs.js';

writeFileSync(new URL('../docs/CONFIG.md', import.meta.url), renderConfigReference());
console.log('wrote docs/CONFIG.md');
