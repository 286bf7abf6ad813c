import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createApp, type App } from 'vue';
import type { ApiEvent, FileRef, JobInfo, Method, Params, ReplyFrame, Result } from '../../src-shared/api/index.js';
import { ApiError } from '../../src-shared/api/errors.js';
import { ApiClient } from '../../src-shared/api/client.js';
import { LAB_KEY, installLab } from '../../src-renderer/lab.js';
import type { ConnectionState, RendererHost } from '../../src-renderer/transport/index.js';

type Handler<M extends Method> = (params: Params<M>) => Result<M> | Promise<Result<M>>;

/** A host whose methods answer from handlers the test sets, and whose events the test sends. */
export class FakeHost implements RendererHost {
  readonly calls: { method: Method; params: unknown }[] = [];
  readonly opened: string[] = [];
  private readonly handlers = new Map<Method, (params: unknown) => unknown>();
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();

  on<M extends Method>(method: M, handler: Handler<M>): this {
    this.handlers.set(method, handler as (params: unknown) => unknown);
    return this;
  }

  async request(method: Method, params: unknown): Promise<ReplyFrame> {
    this.calls.push({ method, params });
    const handler = this.handlers.get(method) ?? (method === 'jobs.list' ? () => [] : undefined);
    if (!handler) return { id: 0, ok: false, error: { code: 'failed', message: `no fake for ${method}` } };
    try {
      return { id: 0, ok: true, result: await handler(params) };
    } catch (error) {
      const info = error instanceof ApiError ? error.toInfo() : { code: 'failed' as const, message: String(error) };
      return { id: 0, ok: false, error: info };
    }
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  emitJob(job: Partial<JobInfo> & Pick<JobInfo, 'id' | 'state'>): void {
    this.emit({ type: 'job', job: { ...job0, ...job } });
  }

  setConnection(state: ConnectionState): void {
    for (const listener of this.connectionListeners) listener(state);
  }

  async fileRef(file: File): Promise<FileRef> {
    return { kind: 'upload', id: `upload-${file.name.replace(/\W/g, '')}`.padEnd(8, 'x'), name: file.name };
  }

  async openFile(fileId: string): Promise<void> {
    this.opened.push(fileId);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  callsOf(method: Method): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.params);
  }
}

const job0: JobInfo = {
  id: '',
  kind: 'train',
  title: 'a job',
  state: 'running',
  progress: 0,
  message: '',
  startedAt: '2026-01-01T00:00:00.000Z',
};

/** An app with Pinia and the lab installed, so setup stores can inject the host as they do in the page. */
export function labApp(host: FakeHost): { app: App; pinia: Pinia; run: <T>(fn: () => T) => T } {
  const app = createApp({ render: () => null });
  const pinia = createPinia();
  app.use(pinia);
  installLab(app, host);
  setActivePinia(pinia);
  return { app, pinia, run: (fn) => app.runWithContext(fn) };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Mount options that give a component the app's Pinia and lab, as main.ts does. */
export function withLab(host: FakeHost): { global: { plugins: Pinia[]; provide: Record<symbol, unknown> } } {
  const pinia = createPinia();
  setActivePinia(pinia);
  return { global: { plugins: [pinia], provide: { [LAB_KEY as symbol]: { api: new ApiClient(host), host } } } };
}
