import { readFile } from 'node:fs/promises';

/**
 * A file of the installation, found by walking up from this file (which runs from src-main/ in tests and from
 * dist/src-main/ when built); undefined when no folder above has it.
 */
export async function readInstalled(relative: string, accept: (bytes: Buffer) => boolean = () => true) {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const bytes = await readFile(new URL(relative, dir)).catch(() => undefined);
    if (bytes && accept(bytes)) return bytes;
  }
  return undefined;
}

/** The version in ESMC Lab's package.json. */
export async function appVersion(): Promise<string> {
  const isOurs = (bytes: Buffer) => (JSON.parse(bytes.toString('utf8')) as { name?: string }).name === 'esmc-lab';
  const bytes = await readInstalled('package.json', isOurs);
  return bytes ? ((JSON.parse(bytes.toString('utf8')) as { version?: string }).version ?? 'unknown') : 'unknown';
}
