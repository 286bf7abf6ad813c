import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The built files the shell loads, under the app's root (the checkout in development, app.asar when packaged). */
export interface AppFiles {
  /** The sandboxed preload; CommonJS, since a sandboxed preload cannot be an ES module. */
  preload: string;
  /** The Vite build of src-renderer (index.html and assets/). */
  renderer: string;
  /** The utility process's entry, which hosts the API service. */
  serviceEntry: string;
}

export function appFiles(appRoot: string): AppFiles {
  const built = join(appRoot, 'dist');
  return {
    preload: join(built, 'src-main/electron/preload.cjs'),
    renderer: join(built, 'renderer'),
    serviceEntry: join(built, 'src-main/electron/service-process.js'),
  };
}

/** The built files that are not there (a checkout that was never built, or a build without the renderer). */
export function missingAppFiles(files: AppFiles): string[] {
  return [files.preload, join(files.renderer, 'index.html'), files.serviceEntry].filter((file) => !existsSync(file));
}

/**
 * `--project PATH` or `--project=PATH` among launch arguments: the app's own (Chromium may add switches of its
 * own) and the utility process's, which the main process starts with `--project=PATH`.
 */
export function projectArgument(argv: readonly string[]): string | null {
  for (const [index, arg] of argv.entries()) {
    if (arg.startsWith('--project=')) return arg.slice('--project='.length) || null;
    if (arg === '--project') return argv[index + 1] ?? null;
  }
  return null;
}
