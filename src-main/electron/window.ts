import { BrowserWindow } from 'electron';
import { APP_ENTRY_URL } from './security.js';
import { DEFAULT_SIZE, MIN_SIZE, type WindowState } from './window-state.js';

/**
 * The one window. The renderer gets no Node, runs sandboxed in its own JavaScript world, and reaches the Node
 * side only through the preload's `window.esmc`.
 */
export function createMainWindow(preload: string, bounds: WindowState | null): BrowserWindow {
  const window = new BrowserWindow({
    ...(bounds ? { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height } : DEFAULT_SIZE),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'ESMC Lab',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  if (bounds?.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  // The title carries the project and the backend (set by the app); the page's <title> must not replace it.
  window.on('page-title-updated', (event) => event.preventDefault());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
