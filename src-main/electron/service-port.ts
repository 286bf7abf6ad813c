import type { ApiService } from '../api/service.js';
import { dispatch, toApiError } from '../../src-shared/api/dispatch.js';
import type { ApiEvent } from '../../src-shared/api/contract.js';
import { toWire, type ReplyFrame, type RequestFrame, type ServerFrame } from '../../src-shared/api/wire.js';

/** The part of the API service (src-main/api/service.ts) the utility process serves to the window. */
export type ServedApi = Pick<ApiService, 'handlers' | 'onEvent' | 'close'>;

/** From the main process: a call, or the request to close the project and exit. */
export type HostMessage = RequestFrame | { close: true };

/** Electron's `process.parentPort` as this module uses it (a stand-in in tests). */
export interface ParentPortLike {
  on(event: 'message', listener: (message: { data: unknown }) => void): unknown;
  postMessage(message: ServerFrame): void;
}

/**
 * Answers the main process's request frames with reply frames and forwards the service's events as event
 * frames. A service that failed to start answers every call with its error instead of exiting, so a project
 * that cannot be opened is a message in the window and not a restart loop.
 */
export function serveApi(port: ParentPortLike, starting: Promise<ServedApi>, exit: (code: number) => void): void {
  starting.then(
    (service) => service.onEvent((event) => port.postMessage({ event: toWire(event) as ApiEvent })),
    () => undefined,
  );
  port.on('message', ({ data }) => {
    const message = data as HostMessage;
    if ('close' in message) void close(starting, exit);
    else void answer(message).then((reply) => port.postMessage(reply));
  });

  async function answer(frame: RequestFrame): Promise<ReplyFrame> {
    try {
      return await dispatch((await starting).handlers, frame.id, frame.method, frame.params);
    } catch (error) {
      return { id: frame.id, ok: false, error: toApiError(error).toInfo() };
    }
  }
}

async function close(starting: Promise<ServedApi>, exit: (code: number) => void): Promise<void> {
  try {
    await (await starting).close();
    exit(0);
  } catch {
    exit(1);
  }
}
