import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** Directory of the static page (HTML, vanilla JS, CSS): no build step, nothing from a CDN. */
export const UI_DIR = resolveUiDir();

/** Next to this module (tsx), or, from the compiled dist/ui/, the shipped src/ui/static (tsc copies no assets). */
function resolveUiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'static');
  if (existsSync(path.join(beside, 'index.html'))) return beside;
  return path.resolve(here, '..', '..', 'src', 'ui', 'static');
}

/** Serves the web page at / (index.html) and its assets at /ui/*. The CSP set by the app forbids inline scripts. */
export function uiRouter(dir = UI_DIR): Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(path.join(dir, 'index.html'));
  });
  router.use('/ui', express.static(dir, { index: false, fallthrough: true, maxAge: 0 }));
  return router;
}
