import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/**
 * Writes through `fill` into `<path>.partial-<pid>` and renames it into place once complete and synced, so the
 * user's path only ever holds a whole file; a failure or an abort removes the partial file and rethrows.
 */
export async function writeAtomically<T>(path: string, fill: (file: FileHandle) => Promise<T>): Promise<T> {
  const partial = `${path}.partial-${process.pid}`;
  const file = await open(partial, 'w');
  try {
    const result = await fill(file);
    await file.sync();
    await file.close();
    await rename(partial, path);
    return result;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}

export function writeTextAtomically(path: string, text: string): Promise<void> {
  return writeAtomically(path, async (file) => {
    await file.writeFile(text);
  });
}
