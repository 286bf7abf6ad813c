import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ApiError } from '../../src-shared/api/errors.js';
import { toApiError, validateRequest } from '../../src-shared/api/dispatch.js';
import type { ApiEvent, Method } from '../../src-shared/api/contract.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type ReplyFrame } from '../../src-shared/api/wire.js';
import { isAppUrl } from './security.js';

/**
 * The one IPC handler: a call counts only from the main frame of our window showing our own page, and only
 * when it matches the contract; anything else is answered with an error and never reaches the service.
 */
export function handleApiCalls(
  window: () => BrowserWindow | null,
  call: (method: Method, params: unknown) => Promise<ReplyFrame>,
): void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method: unknown, params: unknown): Promise<ReplyFrame> => {
    if (!isFromWindow(event, window())) {
      const error = new ApiError('unauthorized', 'API calls are accepted only from the ESMC Lab window');
      return { id: 0, ok: false, error: error.toInfo() };
    }
    try {
      const request = validateRequest(method, params);
      return await call(request.method, request.params);
    } catch (error) {
      return { id: 0, ok: false, error: toApiError(error).toInfo() };
    }
  });
}

export function isFromWindow(event: IpcMainInvokeEvent, window: BrowserWindow | null): boolean {
  if (!window || window.isDestroyed() || event.sender !== window.webContents) return false;
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url);
}

export function sendEvent(window: BrowserWindow | null, event: ApiEvent): void {
  if (window && !window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, event);
}
