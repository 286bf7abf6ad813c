import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running `module`. Built (dist/) the module is JavaScript; run from the TypeScript sources
 * (tests, tsx) only the .ts file exists, and the worker registers tsx's loader before importing it.
 */
export function startWorker(module: URL): Worker {
  if (existsSync(fileURLToPath(module))) return new Worker(module);
  const source = new URL(module.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(source))) throw new Error(`the worker module ${fileURLToPath(module)} is missing`);
  const tsx = tsxLoaderUrl();
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

/** tsx's ESM API (its `import` export; require.resolve would give the CommonJS one). */
function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  const manifest = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(require.resolve('tsx/package.json')), manifest.exports['./esm/api'].import.default))
    .href;
}
