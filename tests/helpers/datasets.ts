import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('../..', import.meta.url));

/** Where the sample datasets are looked for: ../shared/datasets beside the repository, then the workplace's copy. */
export const SAMPLE_FOLDERS = [resolve(repository, '../shared/datasets'), '/work/shared/datasets'];

/** The sample datasets folder, or undefined when neither place has one. */
export const sampleDatasets: string | undefined = SAMPLE_FOLDERS.find((folder) => existsSync(folder));

/** A sample's path ("taobao-userbehavior/userbehavior_first_4321_lines.csv"), in the folder found (or the first). */
export function samplePath(path: string): string {
  return resolve(sampleDatasets ?? SAMPLE_FOLDERS[0], path);
}
