import { readFile } from 'node:fs/promises';
import { writeTextAtomically } from '../engine/files.js';

/**
 * A small JSON file in userData (window state, recent projects). Reads never throw: a missing or damaged file
 * is as if there were none. Writes are atomic and run one after another, so the last one wins and a crash
 * mid-write leaves the previous file.
 */
export class JsonFile<T> {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly parse: (value: unknown) => T | null,
  ) {}

  async read(): Promise<T | null> {
    try {
      return this.parse(JSON.parse(await readFile(this.path, 'utf8')));
    } catch {
      return null;
    }
  }

  write(value: T): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    // A failed write (disk full, folder removed) must not stop later ones, nor the app.
    this.writing = this.writing.then(() => writeTextAtomically(this.path, text)).catch(() => undefined);
    return this.writing;
  }

  /** Resolves when every write so far has finished. */
  flushed(): Promise<void> {
    return this.writing;
  }
}
