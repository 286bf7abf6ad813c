import type { FileRef, Transport } from '../../src-shared/api/index.js';

/** 'refused': the host turned this page away (no or wrong session token); retrying cannot help. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'refused';

/**
 * Everything the app needs from the shell it runs in. The app picks one at start (`pickHost`) and otherwise never
 * knows whether it is the browser host or Electron: views talk to `ApiClient` and hand files to `fileRef`.
 */
export interface RendererHost extends Transport {
  /** A dropped or picked file as the Node side can read it (an upload in the browser, a path in Electron). */
  fileRef(file: File): Promise<FileRef>;
  /** Shows a file the Node side wrote (a report): a download in the browser; the system viewer in Electron. */
  openFile(fileId: string, openWithApi: (fileId: string) => Promise<void>): Promise<void>;
  /** The link state, for the status bar; Electron IPC is always open. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/** A small set of listeners; each subscription returns its own unsubscribe. */
export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}
