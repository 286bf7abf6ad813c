import type { PreloadApi } from '../../src-shared/api/index.js';
import { BrowserHost } from './browser.js';
import { ElectronHost } from './electron.js';
import type { RendererHost } from './host.js';

export type { ConnectionState, RendererHost } from './host.js';
export { BrowserHost } from './browser.js';
export { ElectronHost } from './electron.js';

/** The one place that knows about shells: Electron's preload exposes `window.esmc`; the browser host does not. */
export function pickHost(scope: { esmc?: PreloadApi; location: Location }): RendererHost {
  return scope.esmc ? new ElectronHost(scope.esmc) : BrowserHost.fromLocation(scope.location);
}
