import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, type ReplyFrame } from '../../src-shared/api/index.js';
import { appFiles } from '../../src-main/electron/paths.js';
import {
  BACKEND,
  answeringService,
  createFakeElectron,
  fakeEvent,
  FakeWebContents,
  type FakeElectron,
  type FakeElectronOptions,
} from './fake-electron.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let workdir: string;
let appRoot: string;

beforeEach(() => {
  workdir = mkdtempSync(join(tmpdir(), 'esmc-electron-'));
  appRoot = join(workdir, 'app');
  // The built files the shell checks for before it opens a window.
  for (const file of Object.values(appFiles(appRoot))) mkdirSync(file, { recursive: true });
  writeFileSync(join(appFiles(appRoot).renderer, 'index.html'), '<!doctype html><title>ESMC Lab</title>');
  mkdirSync(join(workdir, 'userData'));
});
afterEach(() => {
  vi.doUnmock('electron');
  rmSync(workdir, { recursive: true, force: true });
});

/** Loads the main process's entry with the stand-in electron, makes the app ready and waits for its window. */
async function launch(
  options: Partial<FakeElectronOptions> = {},
  waitForWindow = true,
  beforeReady: (fake: FakeElectron) => void = () => undefined,
): Promise<FakeElectron> {
  const fake = createFakeElectron({ userData: join(workdir, 'userData'), appRoot, ...options });
  vi.resetModules();
  vi.doMock('electron', () => fake.module);
  await import('../../src-main/electron/main.js');
  beforeReady(fake);
  fake.ready();
  if (waitForWindow) await vi.waitFor(() => expect(fake.windows[0]?.title).toContain(BACKEND.device));
  return fake;
}

function invoke(
  fake: FakeElectron,
  method: unknown,
  params: unknown,
  sender: FakeWebContents = fake.windows[0].webContents,
  senderFrame: unknown = sender.mainFrame,
): Promise<ReplyFrame> {
  return fake.handlers.get('esmc:call')!({ sender, senderFrame }, method, params) as Promise<ReplyFrame>;
}

function failure(reply: ReplyFrame) {
  expect(reply.ok).toBe(false);
  return (reply as Extract<ReplyFrame, { ok: false }>).error;
}

function menuItem(fake: FakeElectron, top: string, label: string) {
  const menu = fake.menu().find((item) => item.label === top || item.role === top.toLowerCase());
  const item = (menu!.submenu as Electron.MenuItemConstructorOptions[]).find((entry) => entry.label === label);
  if (!item) throw new Error(`no menu item ${top} › ${label}`);
  return item;
}

function click(item: Electron.MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('the window', () => {
  it('is isolated and sandboxed, with no Node, and loads our page through the app protocol', async () => {
    const fake = await launch();
    expect(fake.windows).toHaveLength(1);
    const { webPreferences } = fake.windows[0].options;
    expect(webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(webPreferences!.preload).toBe(appFiles(appRoot).preload);
    expect(fake.windows[0].webContents.mainFrame.url).toBe('esmc://app/index.html');
    expect(fake.privilegedSchemes).toEqual([
      { scheme: 'esmc', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  it('points at a preload that `npm run build` emits as CommonJS', () => {
    const preload = appFiles(repoRoot).preload;
    expect(preload.endsWith('.cjs')).toBe(true);
    expect(existsSync(preload), `${preload} is missing: run \`npm run build\``).toBe(true);
  });

  it('titles itself with the open project and the backend training uses', async () => {
    const fake = await launch();
    expect(fake.windows[0].title).toBe(`ESMC Lab · wasm: ${BACKEND.device}`);
    const page = fakeEvent();
    fake.windows[0].emit('page-title-updated', page, 'something else');
    expect(page.defaultPrevented).toBe(true);
  });

  it('refuses to start without its built files, saying which are missing', async () => {
    rmSync(join(appFiles(appRoot).renderer, 'index.html'));
    const fake = await launch({}, false);
    await vi.waitFor(() => expect(fake.dialog.showErrorBox).toHaveBeenCalled());
    const [title, message] = fake.dialog.showErrorBox.mock.calls[0] as unknown as [string, string];
    expect(title).toBe('ESMC Lab could not start');
    expect(message).toContain('index.html');
    expect(message).toContain('npm run build');
    expect(fake.app.exit).toHaveBeenCalledWith(1);
    expect(fake.windows).toHaveLength(0);
  });
});

describe('security', () => {
  it('serves only files under the renderer build, each with the Content-Security-Policy', async () => {
    const fake = await launch();
    writeFileSync(join(appRoot, 'dist', 'secret.txt'), 'not for the page');
    const serve = fake.protocolHandlers.get('esmc')!;
    const page = await serve(new Request('esmc://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval|https?:/);
    expect(await page.text()).toContain('<title>ESMC Lab</title>');
    for (const url of ['esmc://app/..%2Fsecret.txt', 'esmc://app/%2e%2e/secret.txt', 'esmc://app/missing.js']) {
      const response = await serve(new Request(url));
      expect(response.status, url).toBe(404);
      expect(await response.text()).toBe('');
    }
    expect((await serve(new Request('esmc://elsewhere/index.html'))).status).toBe(405);
    expect((await serve(new Request('esmc://app/%E0%A4%A.js'))).status).toBe(400);
  });

  it('denies navigation, new windows, webviews and every permission, and loads nothing remote', async () => {
    const fake = await launch();
    const contents = fake.windows[0].webContents;
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = fakeEvent();
      contents.emit(name, event, 'https://example.com/');
      expect(event.defaultPrevented, name).toBe(true);
    }
    expect(contents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });

    // Any other web contents (devtools, a stray window) gets the same treatment.
    const other = new FakeWebContents();
    fake.app.emit('web-contents-created', fakeEvent(), other);
    expect(other.windowOpenHandler!({ url: 'esmc://app/index.html' })).toEqual({ action: 'deny' });

    const permission = fake.session.setPermissionRequestHandler.mock.calls[0][0] as unknown as (
      ...args: unknown[]
    ) => void;
    const answer = vi.fn();
    permission(contents, 'media', answer);
    expect(answer).toHaveBeenCalledWith(false);
    const check = fake.session.setPermissionCheckHandler.mock.calls[0][0] as unknown as () => boolean;
    expect(check()).toBe(false);

    const beforeRequest = fake.session.webRequest.onBeforeRequest.mock.calls[0][0] as unknown as (
      details: { url: string },
      callback: (response: { cancel: boolean }) => void,
    ) => void;
    const verdict = (url: string) => {
      let cancel: boolean | undefined;
      beforeRequest({ url }, (response) => (cancel = response.cancel));
      return cancel;
    };
    expect(verdict('https://cdn.example.com/x.js')).toBe(true);
    expect(verdict('http://127.0.0.1:8080/')).toBe(true);
    expect(verdict('file:///etc/passwd')).toBe(true);
    expect(verdict('esmc://app/assets/index.js')).toBe(false);
    expect(verdict('data:image/png;base64,AAAA')).toBe(false);
  });
});

describe('the IPC call', () => {
  it('validates every method of the contract before anything reaches the service', async () => {
    const fake = await launch();
    const child = fake.forks[0];
    const before = child.requests().length;
    for (const method of METHODS) {
      const error = failure(await invoke(fake, method, { unexpected: true }));
      expect(error.code, method).toBe('invalid-request');
      expect(error.message).toContain(method);
    }
    const unknown = failure(await invoke(fake, 'shell.exec', { command: 'rm -rf ~' }));
    expect(unknown).toMatchObject({ code: 'invalid-request', message: 'unknown method "shell.exec"' });
    const named = failure(await invoke(fake, 'stages.rows', { runIds: [], offset: -1, limit: 10 }));
    expect(named.issues!.join('\n')).toMatch(/runIds[\s\S]*offset/);
    expect(child.requests()).toHaveLength(before);
  });

  it('carries a valid call to the service and its reply back', async () => {
    const fake = await launch();
    const child = fake.forks[0];
    const reply = invoke(fake, 'datasets.get', { name: '  sample  ' });
    await vi.waitFor(() => expect(child.requests('datasets.get')).toHaveLength(1));
    const request = child.requests('datasets.get')[0];
    expect(request.params).toEqual({ name: 'sample' });
    child.reply(request.id, { name: 'sample', rows: 10 });
    expect(await reply).toEqual({ id: request.id, ok: true, result: { name: 'sample', rows: 10 } });
  });

  it('refuses calls from anything but our window’s main frame showing our page', async () => {
    const fake = await launch();
    const window = fake.windows[0].webContents;
    const before = fake.forks[0].requests().length;
    const strangers: [string, FakeWebContents, unknown][] = [
      ['another web contents', new FakeWebContents(), undefined],
      ['a subframe', window, { url: 'esmc://app/index.html', parent: window.mainFrame }],
      ['a remote page', window, { url: 'https://evil.example/', parent: null }],
      ['a file:// page', window, { url: 'file:///tmp/index.html', parent: null }],
      ['a frame that is gone', window, null],
    ];
    for (const [who, sender, frame] of strangers) {
      const reply = await invoke(fake, 'app.info', {}, sender, frame === undefined ? sender.mainFrame : frame);
      expect(failure(reply).code, who).toBe('unauthorized');
    }
    fake.windows[0].close();
    expect(failure(await invoke(fake, 'app.info', {}, window)).code).toBe('unauthorized');
    expect(fake.forks[0].requests()).toHaveLength(before);
  });

  it('relays the service’s events to the window', async () => {
    const fake = await launch();
    const event = { type: 'job', job: { id: 'j1', kind: 'train', state: 'running', progress: 0.5 } };
    fake.forks[0].sendEvent(event);
    expect(fake.windows[0].webContents.sent.at(-1)).toEqual({ channel: 'esmc:event', payload: event });
  });
});

describe('the computation process', () => {
  it('runs the service entry in a utility process with the last project', async () => {
    const project = join(workdir, 'lab.duckdb');
    writeFileSync(project, '');
    writeFileSync(join(workdir, 'userData', 'recent-projects.json'), JSON.stringify([project]));
    const fake = await launch();
    expect(fake.forks).toHaveLength(1);
    expect(fake.forks[0].entry).toBe(appFiles(appRoot).serviceEntry);
    expect(fake.forks[0].args).toEqual([`--project=${project}`]);
  });

  it('opens the project macOS asked for before the app was ready', async () => {
    const fake = await launch({}, true, (early) => early.app.emit('open-file', fakeEvent(), '/work/dock.duckdb'));
    expect(fake.forks[0].args).toEqual(['--project=/work/dock.duckdb']);
  });

  it('answers pending calls and fails running jobs when it crashes, then restarts with the open project', async () => {
    const fake = await launch();
    const window = fake.windows[0].webContents;
    const opened = await openProjectFromMenu(fake, join(workdir, 'lab.duckdb'));
    expect(opened).toBe(true);
    const first = fake.forks[0];
    first.sendEvent({ type: 'job', job: { id: 'j1', kind: 'train', title: 'Train esmc', state: 'running' } });
    first.sendEvent({ type: 'job', job: { id: 'j0', kind: 'import', title: 'Import', state: 'done' } });
    const pending = invoke(fake, 'runs.list', {});
    await vi.waitFor(() => expect(first.requests('runs.list')).toHaveLength(1));

    first.emit('exit', 139);
    const error = failure(await pending);
    expect(error).toEqual({
      code: 'failed',
      message: 'the computation process stopped unexpectedly (code 139); your project is intact',
    });
    const events = window.events();
    const failedJobs = events.filter(
      (event) => event.type === 'job' && (event.job as { state: string }).state === 'failed',
    );
    expect(failedJobs.map((event) => (event.job as { id: string }).id)).toEqual(['j1']);
    expect(events).toContainEqual({
      type: 'service',
      state: 'stopped',
      message: 'the computation process stopped unexpectedly (code 139); your project is intact; restarting it',
    });

    expect(fake.forks).toHaveLength(2);
    const second = fake.forks[1];
    expect(second.args).toEqual([`--project=${join(workdir, 'lab.duckdb')}`]);
    second.emit('spawn');
    expect(window.events().at(-1)).toMatchObject({ type: 'service', state: 'restarted' });
    await vi.waitFor(() => expect(second.requests('app.info')).toHaveLength(1));
    const again = invoke(fake, 'runs.list', {});
    await vi.waitFor(() => expect(second.requests('runs.list')).toHaveLength(1));
    second.reply(second.requests('runs.list')[0].id, []);
    expect(await again).toMatchObject({ ok: true, result: [] });
  });

  it('gives up after crashing repeatedly, and then answers calls at once with why', async () => {
    const fake = await launch();
    for (let crash = 0; crash < 4; crash++) fake.forks.at(-1)!.emit('exit', 134);
    expect(fake.forks).toHaveLength(4);
    expect(fake.windows[0].webContents.events().at(-1)).toMatchObject({ type: 'service', state: 'given-up' });
    const error = failure(await invoke(fake, 'runs.list', {}));
    expect(error.message).toContain('stopped 4 times');
    expect(error.message).toContain('quit and reopen ESMC Lab');
  });

  it('is asked to close the project before the app quits, and killed if it does not', async () => {
    const fake = await launch();
    const quit = fakeEvent();
    fake.app.emit('will-quit', quit);
    expect(quit.defaultPrevented).toBe(true);
    expect(fake.forks[0].posted.at(-1)).toEqual({ close: true });
    await vi.waitFor(() => expect(fake.app.quit).toHaveBeenCalled());
    // The second will-quit (from that app.quit()) goes through.
    const second = fakeEvent();
    fake.app.emit('will-quit', second);
    expect(second.defaultPrevented).toBe(false);
    expect(fake.forks).toHaveLength(1);

    vi.useFakeTimers();
    try {
      const stubborn = await launch({
        respond: (child, message) => !(message as { close?: true }).close && answeringService(child, message),
      });
      stubborn.app.emit('will-quit', fakeEvent());
      await vi.advanceTimersByTimeAsync(5000);
      expect(stubborn.forks[0].killed).toBe(true);
      await vi.waitFor(() => expect(stubborn.app.quit).toHaveBeenCalled());
    } finally {
      vi.useRealTimers();
    }
  });
});

async function openProjectFromMenu(fake: FakeElectron, path: string): Promise<boolean> {
  fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [path] });
  click(menuItem(fake, 'File', 'Open Project…'));
  await vi.waitFor(() => expect(fake.forks.at(-1)!.requests('project.open').length).toBeGreaterThan(0));
  await vi.waitFor(() => expect(fake.windows[0].title).toContain('lab — '));
  return true;
}

describe('menus, dialogs and recent projects', () => {
  it('has the usual menus and shortcuts, and a macOS app menu only on macOS', async () => {
    const fake = await launch();
    const top = fake.menu().map((item) => item.label ?? item.role);
    if (process.platform === 'darwin') expect(top).toEqual(['appMenu', 'File', 'Edit', 'View', 'window', 'help']);
    else expect(top).toEqual(['File', 'Edit', 'View', 'window', 'help']);
    expect(menuItem(fake, 'File', 'Open Project…').accelerator).toBe('CmdOrCtrl+O');
    expect(menuItem(fake, 'File', 'New Project…').accelerator).toBe('CmdOrCtrl+N');
    expect(menuItem(fake, 'File', 'Import Data…').accelerator).toBe('CmdOrCtrl+I');
    const edit = fake.menu().find((item) => item.label === 'Edit')!.submenu as Electron.MenuItemConstructorOptions[];
    expect(edit.map((item) => item.role).filter(Boolean)).toEqual(
      expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']),
    );
    const { menuTemplate } = await import('../../src-main/electron/menu.js');
    const actions = new Proxy({}, { get: () => () => undefined }) as Parameters<typeof menuTemplate>[0];
    expect(menuTemplate(actions, [], 'darwin')[0].role).toBe('appMenu');
    expect(menuTemplate(actions, [], 'linux').some((item) => item.role === 'appMenu')).toBe(false);
  });

  it('opens a project chosen in the dialog, starting in Documents/ESMC Lab, and remembers it', async () => {
    const documents = join(workdir, 'Documents');
    const fake = await launch({ documents });
    const project = join(workdir, 'lab.duckdb');
    writeFileSync(project, '');
    await openProjectFromMenu(fake, project);
    const [, dialogOptions] = fake.dialog.showOpenDialog.mock.calls[0] as unknown as [unknown, { defaultPath: string }];
    expect(dialogOptions.defaultPath).toBe(join(documents, 'ESMC Lab'));
    expect(existsSync(join(documents, 'ESMC Lab'))).toBe(true);
    expect(fake.forks[0].requests('project.open')[0].params).toEqual({ path: project });
    expect(fake.windows[0].title).toBe(`lab — ESMC Lab · wasm: ${BACKEND.device}`);
    expect(fake.app.addRecentDocument).toHaveBeenCalledWith(project);
    const recentFile = join(workdir, 'userData', 'recent-projects.json');
    await vi.waitFor(() => expect(JSON.parse(readFileSync(recentFile, 'utf8'))).toEqual([project]));
    await vi.waitFor(() =>
      expect((menuItem(fake, 'File', 'Open Recent').submenu as { label?: string }[])[0].label).toBe(project),
    );
  });

  it('creates a new project with the project extension, and opens (never overwrites) an existing one', async () => {
    const fake = await launch();
    fake.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: join(workdir, 'fresh') });
    click(menuItem(fake, 'File', 'New Project…'));
    await vi.waitFor(() => expect(fake.forks[0].requests('project.open')).toHaveLength(1));
    expect(fake.forks[0].requests('project.open')[0].params).toEqual({
      path: join(workdir, 'fresh.duckdb'),
      create: true,
    });
    const existing = join(workdir, 'kept.duckdb');
    writeFileSync(existing, 'work');
    fake.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: existing });
    click(menuItem(fake, 'File', 'New Project…'));
    await vi.waitFor(() => expect(fake.forks[0].requests('project.open')).toHaveLength(2));
    expect(fake.forks[0].requests('project.open')[1].params).toEqual({ path: existing });
  });

  it('shows why a project could not be opened', async () => {
    const fake = await launch({
      respond: (child, message) => {
        const frame = message as { id: number; method?: string };
        if (frame.method === 'project.open')
          queueMicrotask(() =>
            child.emit('message', { id: frame.id, ok: false, error: { code: 'failed', message: 'not a DuckDB file' } }),
          );
        else answeringService(child, message);
      },
    });
    fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/tmp/broken.duckdb'] });
    click(menuItem(fake, 'File', 'Open Project…'));
    await vi.waitFor(() => expect(fake.dialog.showMessageBox).toHaveBeenCalled());
    const [, box] = fake.dialog.showMessageBox.mock.calls[0] as unknown as [
      unknown,
      { message: string; detail: string },
    ];
    expect(box.message).toContain('/tmp/broken.duckdb');
    expect(box.detail).toBe('not a DuckDB file');
  });

  it('hands a data file chosen in Import Data… to the window by path', async () => {
    const fake = await launch();
    fake.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/data/rows.csv'] });
    click(menuItem(fake, 'File', 'Import Data…'));
    await vi.waitFor(() =>
      expect(fake.windows[0].webContents.events()).toContainEqual({
        type: 'import-file',
        file: { kind: 'path', path: '/data/rows.csv' },
      }),
    );
  });

  it('is a single instance: a second launch focuses the window and opens the project it names, as does open-file', async () => {
    const fake = await launch();
    fake.windows[0].minimized = true;
    fake.app.emit('second-instance', fakeEvent(), ['electron', '.', '--project', '/work/other.duckdb'], '/');
    expect(fake.windows[0].restore).toHaveBeenCalled();
    expect(fake.windows[0].focus).toHaveBeenCalled();
    await vi.waitFor(() => expect(fake.forks[0].requests('project.open')).toHaveLength(1));
    expect(fake.forks[0].requests('project.open')[0].params).toEqual({ path: '/work/other.duckdb' });
    const openFile = fakeEvent();
    fake.app.emit('open-file', openFile, '/work/recent.duckdb');
    expect(openFile.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(fake.forks[0].requests('project.open')).toHaveLength(2));
    expect(fake.forks[0].requests('project.open')[1].params).toEqual({ path: '/work/recent.duckdb' });

    const second = await launch({ singleInstance: false }, false);
    await vi.waitFor(() => expect(second.app.quit).toHaveBeenCalled());
    expect(second.windows).toHaveLength(0);
    expect(second.forks).toHaveLength(0);
  });
});

describe('window size and position', () => {
  const stateFile = () => join(workdir, 'userData', 'window-state.json');

  it('are saved when the window settles and closes, and restored on the next start', async () => {
    const fake = await launch();
    expect(fake.windows[0].options).toMatchObject({ width: 1280, height: 820 });
    expect(fake.windows[0].options.x).toBeUndefined();
    fake.windows[0].bounds = { x: 200, y: 120, width: 1400, height: 900 };
    fake.windows[0].close();
    await vi.waitFor(() =>
      expect(JSON.parse(readFileSync(stateFile(), 'utf8'))).toEqual({
        x: 200,
        y: 120,
        width: 1400,
        height: 900,
        maximized: false,
      }),
    );
    const again = await launch();
    expect(again.windows[0].options).toMatchObject({ x: 200, y: 120, width: 1400, height: 900 });
  });

  it('are not restored onto a display that is gone, nor from a damaged file', async () => {
    writeFileSync(stateFile(), JSON.stringify({ x: 3000, y: 100, width: 1400, height: 900, maximized: true }));
    const single = await launch({ displays: [{ x: 0, y: 0, width: 1920, height: 1040 }] });
    expect(single.windows[0].options.x).toBeUndefined();
    expect(single.windows[0].maximized).toBe(false);

    const dual = await launch({
      displays: [
        { x: 0, y: 0, width: 1920, height: 1040 },
        { x: 1920, y: 0, width: 2560, height: 1400 },
      ],
    });
    expect(dual.windows[0].options).toMatchObject({ x: 3000, y: 100 });
    expect(dual.windows[0].maximized).toBe(true);

    writeFileSync(stateFile(), '{"x": 10, "y":');
    const damaged = await launch();
    expect(damaged.windows[0].options).toMatchObject({ width: 1280, height: 820 });
  });

  it('saves resizes once they settle, and maximizing at once', async () => {
    const fake = await launch();
    const window = fake.windows[0];
    window.bounds = { x: 10, y: 20, width: 1000, height: 700 };
    window.emit('resize');
    window.emit('move');
    await vi.waitFor(() => expect(existsSync(stateFile())).toBe(true), { timeout: 3000 });
    expect(JSON.parse(readFileSync(stateFile(), 'utf8'))).toMatchObject({ x: 10, y: 20, width: 1000 });
    window.maximize();
    await vi.waitFor(() => expect(JSON.parse(readFileSync(stateFile(), 'utf8')).maximized).toBe(true));
  });
});
