import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { print, type Command } from '../command.js';

/** Where the Electron binary is, or why it cannot be used. */
export type ElectronBinary = { path: string } | { missing: string };

/**
 * Finds the Electron binary the way the `electron` package's index.js does (path.txt names it under dist/,
 * ELECTRON_OVERRIDE_DIST_PATH replaces dist/), without loading index.js: loading it starts the download when the
 * binary is missing, and there may be no network.
 */
export function findElectron(from: string | URL = import.meta.url): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(from).resolve('electron'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (!name && !override) return { missing: `its download never completed: ${pathFile} does not exist` };
  const binary = override ? join(override, name || 'electron') : join(packageDir, 'dist', name!);
  return existsSync(binary) ? { path: binary } : { missing: `${binary} does not exist` };
}

/** The folder with esmc-lab's package.json: Electron's app root (its "main" is the built main process). */
export function packageRoot(from: string | URL = import.meta.url): string {
  for (let dir = dirname(fileURLToPath(from)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'esmc-lab')
      return dir;
  }
  throw new Error('the esmc-lab package folder was not found above this file');
}

export interface StartDependencies {
  findElectron(): ElectronBinary;
  /** Runs Electron on the app and resolves with its exit code. */
  launchElectron(binary: string, args: string[]): Promise<number>;
  /** Runs `esmc-lab serve` with these arguments and resolves with its exit code. */
  runServe(args: string[]): Promise<number>;
}

function launchElectron(binary: string, args: string[]): Promise<number> {
  // Set by some tools; it would make Electron run our main process as plain Node.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [packageRoot(), ...args], { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function runServe(args: string[]): Promise<number> {
  // Through the command table, so `serve` parses and checks its own options; imported late to avoid a cycle.
  const { main } = await import('../main.js');
  return main(['serve', ...args]);
}

export function createStartCommand(dependencies: StartDependencies): Command {
  return {
    summary: 'open the desktop app (or, without the Electron binary, the app in your browser)',
    usage: 'esmc-lab start [--project FILE] [--browser]',
    options: { project: { type: 'string' }, browser: { type: 'boolean', default: false } },
    help: `  --project FILE  the project to open (a .duckdb file; created when missing)
  --browser       open the app in your browser (esmc-lab serve --open) even where Electron is installed

Without --project the desktop app reopens the last project. \`npm start\` builds first, then runs this.`,
    run: async (values) => {
      const project = typeof values.project === 'string' ? ['--project', values.project] : [];
      if (!values.browser) {
        const electron = dependencies.findElectron();
        if ('path' in electron) return dependencies.launchElectron(electron.path, project);
        print(`The Electron binary is not installed (${electron.missing}), so ESMC Lab opens in your browser instead.`);
      }
      return dependencies.runServe(['--open', ...project]);
    },
  };
}

export const startCommand = createStartCommand({ findElectron: () => findElectron(), launchElectron, runServe });
