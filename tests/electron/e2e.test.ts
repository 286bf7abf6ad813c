import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { findElectron, packageRoot } from '../../src-main/cli/commands/start.js';
import { appFiles, missingAppFiles } from '../../src-main/electron/paths.js';

const root = packageRoot();
const electron = findElectron();

/** Why the desktop app cannot be driven here, or null when it can. */
function cannotRun(): string | null {
  if (!('path' in electron)) return `Electron binary not installed: ${electron.missing}`;
  if (process.platform === 'linux' && !process.env.DISPLAY) return 'no X display: run under xvfb-run';
  const missing = missingAppFiles(appFiles(root));
  if (missing.length) return `the app is not built (${missing.join(', ')}): run \`npm run build\``;
  return null;
}

const reason = cannotRun();
let app: ElectronApplication;
let page: Page;
let workdir: string;

beforeAll(async () => {
  if (reason) return;
  workdir = mkdtempSync(join(tmpdir(), 'esmc-e2e-'));
  app = await _electron.launch({
    executablePath: (electron as { path: string }).path,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      `--user-data-dir=${join(workdir, 'userData')}`,
      root,
      '--project',
      join(workdir, 'lab.duckdb'),
    ],
  });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});
afterAll(async () => {
  await app?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('the desktop app (Playwright, real Electron)', () => {
  it('gives the page window.esmc and nothing of Node', async (context) => {
    if (reason) context.skip(reason);
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as { esmc: object }).esmc).sort())).toEqual([
      'call',
      'onEvent',
      'pathForFile',
    ]);
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  });

  it('answers API calls from the computation process with the project it was started with', async (context) => {
    if (reason) context.skip(reason);
    const reply = await page.evaluate(() =>
      (globalThis as unknown as { esmc: { call(m: string, p: unknown): Promise<unknown> } }).esmc.call('app.info', {}),
    );
    expect(reply).toMatchObject({
      ok: true,
      result: { shell: 'electron', project: { path: join(workdir, 'lab.duckdb') } },
    });
    expect(existsSync(join(workdir, 'lab.duckdb'))).toBe(true);
    const title = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0].getTitle());
    expect(title).toMatch(/^lab — ESMC Lab · \S+: /);
  });

  it('loads nothing remote and opens no windows', async (context) => {
    if (reason) context.skip(reason);
    const fetched = await page.evaluate(() =>
      fetch('https://example.com/').then(
        () => 'loaded',
        () => 'blocked',
      ),
    );
    expect(fetched).toBe('blocked');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { open(url: string): unknown }).open('https://example.com/') === null,
      ),
    ).toBe(true);
    expect(app.windows()).toHaveLength(1);
  });
});
