import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createStartCommand, findElectron, packageRoot, startCommand } from '../../src-main/cli/commands/start.js';
import { main } from '../../src-main/cli/main.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
let workdir: string;
let electronDir: string;
/** A module in `workdir`, so `require.resolve('electron')` from it finds the stand-in package below. */
let from: URL;

beforeEach(() => {
  workdir = mkdtempSync(join(tmpdir(), 'esmc-start-'));
  electronDir = join(workdir, 'node_modules', 'electron');
  mkdirSync(electronDir, { recursive: true });
  writeFileSync(join(electronDir, 'package.json'), JSON.stringify({ name: 'electron', main: 'index.js' }));
  // Loading the real index.js starts a download; this one leaves a mark instead.
  writeFileSync(
    join(electronDir, 'index.js'),
    `require('fs').writeFileSync(${JSON.stringify(join(workdir, 'loaded'))}, 'yes');`,
  );
  from = pathToFileURL(join(workdir, 'caller.js'));
  vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(workdir, { recursive: true, force: true });
});

/** An executable that records its arguments and ELECTRON_RUN_AS_NODE, and exits with `code`. */
function fakeBinary(path: string, code = 0): string {
  const script = `printf '%s\\n' "$@" > "${path}.args"\necho "\${ELECTRON_RUN_AS_NODE:-unset}" > "${path}.env"`;
  writeFileSync(path, `#!/bin/sh\n${script}\nexit ${code}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function captured(run: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  try {
    return { code: await run(), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('finding the Electron binary', () => {
  it('says why when the download never ran, without loading the package (which would download)', () => {
    const found = findElectron(from);
    expect(found).toEqual({ missing: expect.stringContaining(join(electronDir, 'path.txt')) });
    expect(existsSync(join(workdir, 'loaded'))).toBe(false);
  });

  it('says why when path.txt names a binary that is not there', () => {
    writeFileSync(join(electronDir, 'path.txt'), 'electron');
    expect(findElectron(from)).toEqual({ missing: `${join(electronDir, 'dist', 'electron')} does not exist` });
  });

  it('finds the binary under dist/, or under ELECTRON_OVERRIDE_DIST_PATH', () => {
    writeFileSync(join(electronDir, 'path.txt'), 'electron');
    mkdirSync(join(electronDir, 'dist'));
    const binary = fakeBinary(join(electronDir, 'dist', 'electron'));
    expect(findElectron(from)).toEqual({ path: binary });

    const elsewhere = join(workdir, 'unpacked');
    mkdirSync(elsewhere);
    vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', elsewhere);
    expect(findElectron(from)).toEqual({ missing: `${join(elsewhere, 'electron')} does not exist` });
    const override = fakeBinary(join(elsewhere, 'electron'));
    expect(findElectron(from)).toEqual({ path: override });
    expect(existsSync(join(workdir, 'loaded'))).toBe(false);
  });

  it('says so when the electron package is not installed at all', () => {
    rmSync(electronDir, { recursive: true });
    expect(findElectron(from)).toEqual({ missing: 'the electron package is not installed' });
  });

  it('runs Electron on the package root, whose "main" is the built main process', () => {
    expect(packageRoot()).toBe(repoRoot);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/src-main/electron/main.js');
  });
});

describe('esmc-lab start', () => {
  function command(overrides: { electron?: boolean } = {}) {
    const runServe = vi.fn(async (_args: string[]) => 0);
    const launchElectron = vi.fn(async (_binary: string, _args: string[]) => 0);
    const start = createStartCommand({
      findElectron: () => (overrides.electron ? { path: '/opt/electron' } : findElectron(from)),
      launchElectron,
      runServe,
    });
    return { start, runServe, launchElectron };
  }

  it('without the Electron binary, says so in one sentence and opens browser mode (serve --open)', async () => {
    const { start, runServe, launchElectron } = command();
    const { code, stdout } = await captured(() => start.run({ browser: false, project: '/p/lab.duckdb' }, []));
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^The Electron binary is not installed \(.*path\.txt.*\), so ESMC Lab opens in your browser instead\.$/,
    );
    expect(runServe).toHaveBeenCalledWith(['--open', '--project', '/p/lab.duckdb']);
    expect(launchElectron).not.toHaveBeenCalled();
  });

  it('launches the desktop app when the binary is there, passing the project on', async () => {
    const { start, runServe, launchElectron } = command({ electron: true });
    launchElectron.mockResolvedValueOnce(3);
    const { code, stdout } = await captured(() => start.run({ browser: false, project: '/p/lab.duckdb' }, []));
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(launchElectron).toHaveBeenCalledWith('/opt/electron', ['--project', '/p/lab.duckdb']);
    expect(runServe).not.toHaveBeenCalled();
  });

  it('opens browser mode when asked to, even with Electron installed', async () => {
    const { start, runServe, launchElectron } = command({ electron: true });
    const { stdout } = await captured(() => start.run({ browser: true }, []));
    expect(stdout).toBe('');
    expect(runServe).toHaveBeenCalledWith(['--open']);
    expect(launchElectron).not.toHaveBeenCalled();
  });

  it('spawns the real binary with the app root and returns its exit code', async () => {
    const unpacked = join(workdir, 'unpacked');
    mkdirSync(unpacked);
    const binary = fakeBinary(join(unpacked, process.platform === 'win32' ? 'electron.exe' : 'electron'), 7);
    vi.stubEnv('ELECTRON_OVERRIDE_DIST_PATH', unpacked);
    vi.stubEnv('ELECTRON_RUN_AS_NODE', '1');
    const code = await startCommand.run({ browser: false, project: 'lab.duckdb' }, []);
    expect(code).toBe(7);
    expect(readFileSync(`${binary}.args`, 'utf8').trim().split('\n')).toEqual([repoRoot, '--project', 'lab.duckdb']);
    // Left set, it would make Electron run the main process as plain Node.
    expect(readFileSync(`${binary}.env`, 'utf8').trim()).toBe('unset');
  });

  it('is listed by esmc-lab --help and explains itself', async () => {
    const overview = await captured(() => main(['--help']));
    expect(overview.stdout).toMatch(/\n {2}start +open the desktop app/);
    const help = await captured(() => main(['start', '--help']));
    expect(help.stdout).toContain('Usage: esmc-lab start [--project FILE] [--browser]');
  });
});
