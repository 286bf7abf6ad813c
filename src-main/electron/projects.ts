import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { dialog, type BrowserWindow, type FileFilter } from 'electron';
import { JsonFile } from './json-file.js';

export const PROJECT_EXTENSION = '.duckdb';
const PROJECT_FILTERS: FileFilter[] = [
  { name: 'ESMC Lab project', extensions: [PROJECT_EXTENSION.slice(1)] },
  { name: 'All files', extensions: ['*'] },
];
const DATA_FILTERS: FileFilter[] = [
  { name: 'Data', extensions: ['csv', 'tsv', 'txt', 'parquet', 'jsonl', 'ndjson', 'json', 'gz'] },
  { name: 'All files', extensions: ['*'] },
];
const MAX_RECENT = 10;

/** The recently opened projects, newest first, kept in userData and given to the OS's recent-documents list. */
export class RecentProjects {
  private paths: string[] = [];
  private readonly file: JsonFile<string[]>;

  constructor(path: string) {
    this.file = new JsonFile(path, (value) =>
      Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null,
    );
  }

  async load(): Promise<this> {
    this.paths = ((await this.file.read()) ?? []).slice(0, MAX_RECENT);
    return this;
  }

  /** The ones that still exist (a project may have been moved or deleted since). */
  existing(): string[] {
    return this.paths.filter((path) => existsSync(path));
  }

  add(path: string): Promise<void> {
    this.paths = [path, ...this.paths.filter((item) => item !== path)].slice(0, MAX_RECENT);
    return this.file.write(this.paths);
  }

  clear(): Promise<void> {
    this.paths = [];
    return this.file.write(this.paths);
  }

  flushed(): Promise<void> {
    return this.file.flushed();
  }
}

/** Where new projects go unless the user picks another folder: Documents/ESMC Lab/. */
export function projectsFolder(documents: string): string {
  return join(documents, 'ESMC Lab');
}

export function projectName(path: string): string {
  return basename(path, extname(path));
}

export async function chooseProjectToOpen(window: BrowserWindow, folder: string): Promise<string | null> {
  await mkdir(folder, { recursive: true });
  return chooseFile(window, 'Open project', folder, PROJECT_FILTERS);
}

/** The new project's path, with the project extension added when the name has none. */
export async function chooseNewProject(window: BrowserWindow, folder: string): Promise<string | null> {
  await mkdir(folder, { recursive: true });
  const { canceled, filePath } = await dialog.showSaveDialog(window, {
    title: 'New project',
    defaultPath: join(folder, `Untitled${PROJECT_EXTENSION}`),
    buttonLabel: 'Create',
    filters: PROJECT_FILTERS,
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (canceled || !filePath) return null;
  return extname(filePath) ? filePath : `${filePath}${PROJECT_EXTENSION}`;
}

export function chooseDataFile(window: BrowserWindow, folder: string): Promise<string | null> {
  return chooseFile(window, 'Import data', folder, DATA_FILTERS);
}

async function chooseFile(
  window: BrowserWindow,
  title: string,
  folder: string,
  filters: FileFilter[],
): Promise<string | null> {
  const { canceled, filePaths } = await dialog.showOpenDialog(window, {
    title,
    defaultPath: folder,
    properties: ['openFile'],
    filters,
  });
  return canceled ? null : (filePaths[0] ?? null);
}
