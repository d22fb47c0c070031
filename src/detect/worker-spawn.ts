import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start a worker thread on a module next to this file (`name` without extension). From TypeScript
 * sources (tsx, vitest) the worker registers tsx's loader before importing its entry; from dist/ it
 * loads the compiled .js directly.
 */
export function spawnModuleWorker(name: string, workerData: unknown): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(isTs ? `./${name}.ts` : `./${name}.js`, import.meta.url);
  if (!isTs) return new Worker(url, { workerData });
  return new Worker(
    `(async () => { const { register } = await import(${JSON.stringify(tsxApi())}); register(); await import(${JSON.stringify(url.href)}); })().catch((e) => { throw e; });`,
    { eval: true, workerData },
  );
}

function tsxApi(): string {
  // import.meta.resolve is not available under vitest; resolve the package and use its ESM entry.
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}
