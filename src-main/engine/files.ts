import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/**
 * Writes through `fill` into `<path>.partial-<pid>-<random>` and renames it into place once complete and synced,
 * so the user's path only ever holds a whole file; a failure or an abort removes the partial file and rethrows.
 * The random part keeps two writes to one path in one process (two jobs) from sharing a partial file.
 */
export async function writeAtomically<T>(path: string, fill: (file: FileHandle) => Promise<T>): Promise<T> {
  const partial = `${path}.partial-${process.pid}-${randomBytes(6).toString('hex')}`;
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
