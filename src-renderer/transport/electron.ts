import type { ApiEvent, FileRef, Method, PreloadApi, ReplyFrame } from '../../src-shared/api/index.js';
import type { ConnectionState, RendererHost } from './host.js';

/** The Electron shell: the preload's `window.esmc`. Dropped files cross as their path, never their bytes. */
export class ElectronHost implements RendererHost {
  constructor(private readonly preload: PreloadApi) {}

  request(method: Method, params: unknown): Promise<ReplyFrame> {
    return this.preload.call(method, params);
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.preload.onEvent(listener);
  }

  async fileRef(file: File): Promise<FileRef> {
    const path = this.preload.pathForFile(file);
    // A file without a path on disk (dragged from another app's memory) cannot be read by the Node side.
    if (!path) throw new Error(`"${file.name}" has no path on disk; save it to a file first, then drop that file`);
    return { kind: 'path', path };
  }

  openFile(fileId: string, openWithApi: (fileId: string) => Promise<void>): Promise<void> {
    return openWithApi(fileId);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    listener('open');
    return () => undefined;
  }
}
