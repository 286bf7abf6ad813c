/**
 * A stand-in for the `electron` module that records what the main process does with it: enough of app,
 * BrowserWindow, webContents, ipcMain, utilityProcess, session, protocol, Menu, dialog, screen and shell for
 * src-main/electron to run under vitest without the Electron binary.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { Rectangle } from 'electron';

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function fakeEvent(): FakeEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame: FakeFrame = { url: 'about:blank', parent: null };
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;

  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  /** The API events the window received. */
  events(): { type: string; [key: string]: unknown }[] {
    return this.sent.map((item) => item.payload as { type: string });
  }
}

/** The utility process: records what the main process posts; the test (or `respond`) answers. */
export class FakeUtilityProcess extends EventEmitter {
  readonly posted: unknown[] = [];
  killed = false;

  constructor(
    readonly entry: string,
    readonly args: string[],
    readonly options: unknown,
    private readonly respond: (child: FakeUtilityProcess, message: unknown) => void,
  ) {
    super();
  }

  postMessage(message: unknown): void {
    this.posted.push(message);
    this.respond(this, message);
  }

  kill(): boolean {
    this.killed = true;
    this.emit('exit', 15);
    return true;
  }

  /** The request frames it received, by method. */
  requests(method?: string): { id: number; method: string; params: unknown }[] {
    return (this.posted as { id: number; method: string; params: unknown }[]).filter(
      (frame) => frame.method !== undefined && (!method || frame.method === method),
    );
  }

  reply(id: number, result: unknown): void {
    this.emit('message', { id, ok: true, result });
  }

  sendEvent(event: unknown): void {
    this.emit('message', { event });
  }
}

export const BACKEND = { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] };

/** A service that answers app.info and project.open at once, closes when asked, and leaves everything else pending. */
export function answeringService(child: FakeUtilityProcess, message: unknown): void {
  const frame = message as { id: number; method?: string; params?: { path?: string }; close?: true };
  if (frame.close) queueMicrotask(() => child.emit('exit', 0));
  else if (frame.method === 'app.info')
    queueMicrotask(() => child.reply(frame.id, { backend: BACKEND, project: null }));
  else if (frame.method === 'project.open')
    queueMicrotask(() => child.reply(frame.id, { path: frame.params!.path, name: 'p', datasets: [], runs: [] }));
}

export interface FakeElectronOptions {
  userData: string;
  appRoot: string;
  documents?: string;
  displays?: Rectangle[];
  singleInstance?: boolean;
  respond?: (child: FakeUtilityProcess, message: unknown) => void;
}

export function createFakeElectron(options: FakeElectronOptions) {
  const windows: FakeBrowserWindow[] = [];
  const forks: FakeUtilityProcess[] = [];
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const privilegedSchemes: unknown[] = [];
  const menus: { template: Electron.MenuItemConstructorOptions[] }[] = [];
  let readyNow: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (readyNow = resolve));

  const app = Object.assign(new EventEmitter(), {
    setName: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => options.singleInstance ?? true),
    quit: vi.fn(),
    exit: vi.fn(),
    whenReady: () => ready,
    getPath: (name: string) =>
      name === 'userData'
        ? options.userData
        : (name === 'documents' && options.documents) || join(options.userData, name),
    getAppPath: () => options.appRoot,
    addRecentDocument: vi.fn(),
    clearRecentDocuments: vi.fn(),
  });

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents();
    bounds: Rectangle;
    maximized = false;
    minimized = false;
    destroyed = false;
    title = '';
    readonly focus = vi.fn();
    readonly restore = vi.fn(() => (this.minimized = false));
    readonly show = vi.fn();
    readonly reload = vi.fn();

    constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
      super();
      this.bounds = { x: options.x ?? 40, y: options.y ?? 40, width: options.width!, height: options.height! };
      windows.push(this);
      app.emit('web-contents-created', fakeEvent(), this.webContents);
    }

    loadURL(url: string): Promise<void> {
      this.webContents.mainFrame.url = url;
      return Promise.resolve();
    }
    getNormalBounds(): Rectangle {
      return { ...this.bounds };
    }
    isMaximized(): boolean {
      return this.maximized;
    }
    maximize(): void {
      this.maximized = true;
      this.emit('maximize');
    }
    isMinimized(): boolean {
      return this.minimized;
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    setTitle(title: string): void {
      this.title = title;
    }
    close(): void {
      this.emit('close', fakeEvent());
      this.destroyed = true;
      this.emit('closed');
    }
  }

  const session = {
    defaultSession: {
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
      webRequest: { onBeforeRequest: vi.fn() },
    },
  };

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) =>
        handlers.set(channel, handler),
    },
    utilityProcess: {
      fork: (entry: string, args: string[], forkOptions: unknown) => {
        const child = new FakeUtilityProcess(entry, args, forkOptions, options.respond ?? answeringService);
        forks.push(child);
        return child;
      },
    },
    session,
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => privilegedSchemes.push(...schemes),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) =>
        protocolHandlers.set(scheme, handler),
    },
    Menu: {
      buildFromTemplate: (template: Electron.MenuItemConstructorOptions[]) => ({ template }),
      setApplicationMenu: (menu: { template: Electron.MenuItemConstructorOptions[] }) => menus.push(menu),
    },
    dialog: {
      showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
      showSaveDialog: vi.fn(async () => ({ canceled: true, filePath: '' })),
      showMessageBox: vi.fn(async () => ({ response: 0 })),
      showErrorBox: vi.fn(),
    },
    screen: {
      getAllDisplays: () =>
        (options.displays ?? [{ x: 0, y: 0, width: 1920, height: 1040 }]).map((workArea) => ({ workArea })),
    },
    shell: { openExternal: vi.fn(async () => undefined), openPath: vi.fn(async () => '') },
  };

  return {
    module,
    app,
    windows,
    forks,
    handlers,
    protocolHandlers,
    privilegedSchemes,
    menus,
    session: session.defaultSession,
    dialog: module.dialog,
    shell: module.shell,
    ready: () => readyNow(),
    /** The current application menu's top-level items. */
    menu: () => menus.at(-1)!.template,
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
