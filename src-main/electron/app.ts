import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { app, dialog, Menu, protocol, screen, session, shell, type BrowserWindow, type Event } from 'electron';
import type { ApiEvent, AppInfo, Method, ProjectSummary } from '../../src-shared/api/contract.js';
import type { ReplyFrame } from '../../src-shared/api/wire.js';
import { handleApiCalls, sendEvent } from './ipc.js';
import { menuTemplate } from './menu.js';
import { appFiles, missingAppFiles, projectArgument, type AppFiles } from './paths.js';
import {
  chooseDataFile,
  chooseNewProject,
  chooseProjectToOpen,
  projectName,
  projectsFolder,
  RecentProjects,
} from './projects.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, denyNavigation, hardenSession, rendererFiles } from './security.js';
import { ServiceHost } from './service-host.js';
import { createMainWindow } from './window.js';
import { restorableBounds, trackWindowState, windowStateFile } from './window-state.js';

const PAPER_URL = 'https://arxiv.org/abs/2307.09193';

/**
 * The desktop shell (Netron's thin-shell idea): one window, menus, dialogs and recent projects. All data work
 * happens in the API service in a utility process; the window reaches it only through the validated IPC call.
 */
export async function runDesktopApp(argv: readonly string[]): Promise<void> {
  app.setName('ESMC Lab');
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const desktop = new DesktopApp(projectArgument(argv));
  app.on('second-instance', (_event, secondArgv) => desktop.launchedAgain(projectArgument(secondArgv)));
  // macOS: a project picked from the Dock's or Finder's recent documents.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    desktop.launchedAgain(path);
  });
  app.on('web-contents-created', (_event, contents) => denyNavigation(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => desktop.showWindow());
  app.on('will-quit', (event) => desktop.quitting(event));
  await app.whenReady();
  await desktop.start();
}

class DesktopApp {
  private window: BrowserWindow | null = null;
  private files!: AppFiles;
  private host!: ServiceHost;
  private recent!: RecentProjects;
  private windowState = windowStateFile(join(app.getPath('userData'), 'window-state.json'));
  private folder = projectsFolder(app.getPath('documents'));
  private project: ProjectSummary | null = null;
  private backend: AppInfo['backend'] | null = null;
  private shutdown: 'no' | 'running' | 'done' = 'no';

  constructor(private projectPath: string | null) {}

  async start(): Promise<void> {
    this.files = appFiles(app.getAppPath());
    const missing = missingAppFiles(this.files);
    if (missing.length) throw new Error(`${missing.join(', ')} not found: run \`npm run build\` first`);
    hardenSession(session.defaultSession);
    protocol.handle(APP_SCHEME, rendererFiles(this.files.renderer));
    this.recent = await new RecentProjects(join(app.getPath('userData'), 'recent-projects.json')).load();
    this.projectPath ??= this.recent.existing()[0] ?? null;
    this.host = new ServiceHost({
      entry: this.files.serviceEntry,
      projectPath: () => this.projectPath,
      onEvent: (event) => this.serviceEvent(event),
    });
    this.host.start();
    handleApiCalls(
      () => this.window,
      (method, params) => this.call(method, params),
    );
    this.updateMenu();
    await this.createWindow();
    await this.refreshInfo();
  }

  /** Another launch (or macOS's open-file), maybe naming a project; before start, it names the first project. */
  launchedAgain(project: string | null): void {
    if (!this.host) {
      this.projectPath = project ?? this.projectPath;
      return;
    }
    void this.showWindow();
    if (project) void this.openProject(project);
  }

  async showWindow(): Promise<void> {
    if (!this.host) return;
    if (!this.window) return this.createWindow();
    if (this.window.isMinimized()) this.window.restore();
    this.window.focus();
  }

  /** Holds the quit until the service has closed the project and the small state files are written. */
  quitting(event: Event): void {
    if (this.shutdown === 'done' || !this.host) return;
    event.preventDefault();
    if (this.shutdown === 'running') return;
    this.shutdown = 'running';
    void Promise.allSettled([this.host.stop(), this.windowState.flushed(), this.recent.flushed()]).then(() => {
      this.shutdown = 'done';
      app.quit();
    });
  }

  private async createWindow(): Promise<void> {
    const displays = screen.getAllDisplays().map((display) => display.workArea);
    const window = createMainWindow(this.files.preload, restorableBounds(await this.windowState.read(), displays));
    trackWindowState(window, this.windowState);
    window.on('closed', () => {
      if (this.window === window) this.window = null;
    });
    window.webContents.on('render-process-gone', (_event, details) => {
      if (details.reason !== 'clean-exit' && !window.isDestroyed()) window.reload();
    });
    this.window = window;
    this.updateTitle();
  }

  /** Every call, from the window or a menu, goes through here, so an opened project is noticed either way. */
  private async call(method: Method, params: unknown): Promise<ReplyFrame> {
    const reply = await this.host.call(method, params);
    if (method === 'project.open' && reply.ok) this.projectOpened(reply.result as ProjectSummary);
    return reply;
  }

  private serviceEvent(event: ApiEvent): void {
    if (event.type === 'project') this.projectOpened(event.project);
    if (event.type === 'service' && event.state === 'restarted') void this.refreshInfo();
    sendEvent(this.window, event);
  }

  /** The backend and the open project, for the title; asked again after the service restarts. */
  private async refreshInfo(): Promise<void> {
    const reply = await this.call('app.info', {});
    if (!reply.ok) return;
    const info = reply.result as AppInfo;
    this.backend = info.backend;
    this.projectOpened(info.project);
  }

  private projectOpened(project: ProjectSummary | null): void {
    const changed = project?.path !== this.project?.path;
    this.project = project;
    if (project && changed) {
      this.projectPath = project.path;
      app.addRecentDocument(project.path);
      void this.recent.add(project.path).then(() => this.updateMenu());
      this.updateMenu();
    }
    this.updateTitle();
  }

  private updateTitle(): void {
    if (!this.window || this.window.isDestroyed()) return;
    const project = this.project ? `${projectName(this.project.path)} — ` : '';
    const backend = this.backend ? ` · ${this.backend.name}: ${this.backend.device}` : '';
    this.window.setTitle(`${project}ESMC Lab${backend}`);
  }

  private updateMenu(): void {
    const template = menuTemplate(
      {
        newProject: () => void this.newProject(),
        openProject: () => void this.chooseProject(),
        openRecent: (path) => void this.openProject(path),
        clearRecent: () => void this.recent.clear().then(() => (app.clearRecentDocuments(), this.updateMenu())),
        importData: () => void this.importData(),
        showProjectsFolder: () => void this.showProjectsFolder(),
        showPaper: () => void shell.openExternal(PAPER_URL),
      },
      this.recent?.existing() ?? [],
      process.platform,
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  private async chooseProject(): Promise<void> {
    if (!this.window) return;
    const path = await chooseProjectToOpen(this.window, this.folder);
    if (path) await this.openProject(path);
  }

  /** A name that already exists is opened, never overwritten: the save dialog's "replace" must not lose work. */
  private async newProject(): Promise<void> {
    if (!this.window) return;
    const path = await chooseNewProject(this.window, this.folder);
    if (path) await this.openProject(path, !existsSync(path));
  }

  private async openProject(path: string, create = false): Promise<void> {
    const reply = await this.call('project.open', create ? { path, create } : { path });
    if (!reply.ok && this.window)
      await dialog.showMessageBox(this.window, {
        type: 'error',
        message: `ESMC Lab could not ${create ? 'create' : 'open'} the project ${path}`,
        detail: reply.error.message,
      });
  }

  /** The Data view receives the chosen file's path (never its bytes) and inspects it. */
  private async importData(): Promise<void> {
    if (!this.window) return;
    const path = await chooseDataFile(this.window, app.getPath('documents'));
    if (path) sendEvent(this.window, { type: 'import-file', file: { kind: 'path', path } });
  }

  private async showProjectsFolder(): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    await shell.openPath(this.folder);
  }
}
