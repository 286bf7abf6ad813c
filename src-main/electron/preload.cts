/**
 * The sandboxed preload: CommonJS, and it may require nothing but 'electron', so the channel names are written
 * out here; their types pin them to src-shared/api/wire.ts. It exposes `window.esmc` (`PreloadApi`) and nothing
 * else: no ipcRenderer, no Node.
 */
// A CommonJS module's import under verbatimModuleSyntax; a sandboxed preload cannot be an ES module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { ApiEvent } from '../../src-shared/api/contract.js';
import type { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, PreloadApi, ReplyFrame } from '../../src-shared/api/wire.js';

const { contextBridge, ipcRenderer, webUtils } = electron;
const callChannel: typeof IPC_CALL_CHANNEL = 'esmc:call';
const eventChannel: typeof IPC_EVENT_CHANNEL = 'esmc:event';

const api: PreloadApi = {
  call: (method, params) => ipcRenderer.invoke(callChannel, method, params) as Promise<ReplyFrame>,
  onEvent: (listener) => {
    const relay = (_event: unknown, apiEvent: ApiEvent) => listener(apiEvent);
    ipcRenderer.on(eventChannel, relay);
    return () => {
      ipcRenderer.removeListener(eventChannel, relay);
    };
  },
  pathForFile: (file) => webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
};

contextBridge.exposeInMainWorld('esmc', api);
