import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { METHODS, type ApiEvent, type ApiHandlers, type ServerFrame } from '../../src-shared/api/index.js';
import { serveApi, type ServedApi } from '../../src-main/electron/service-port.js';
import { projectArgument } from '../../src-main/electron/paths.js';

/** `process.parentPort` as the utility process sees it: messages arrive as `{ data }`. */
class FakeParentPort extends EventEmitter {
  readonly sent: ServerFrame[] = [];
  postMessage(frame: ServerFrame): void {
    this.sent.push(frame);
  }
  deliver(data: unknown): void {
    this.emit('message', { data });
  }
}

function fakeService() {
  let listener: ((event: ApiEvent) => void) | undefined;
  const handlers = Object.fromEntries(
    METHODS.map((method) => [method, vi.fn(async (params: unknown) => ({ method, params, score: NaN }))]),
  ) as unknown as ApiHandlers;
  const service: ServedApi = {
    handlers,
    onEvent: (next) => ((listener = next), () => (listener = undefined)),
    close: vi.fn(async () => undefined),
  };
  return { service, emit: (event: ApiEvent) => listener!(event) };
}

describe('the utility process side', () => {
  it('dispatches request frames to the service’s validated handlers and posts reply frames', async () => {
    const port = new FakeParentPort();
    const { service } = fakeService();
    serveApi(port, Promise.resolve(service), vi.fn());
    port.deliver({ id: 4, method: 'datasets.get', params: { name: ' d ' } });
    port.deliver({ id: 5, method: 'datasets.get', params: { name: 7 } });
    await vi.waitFor(() => expect(port.sent).toHaveLength(2));
    expect(port.sent).toContainEqual({
      id: 4,
      ok: true,
      result: { method: 'datasets.get', params: { name: 'd' }, score: null },
    });
    expect(port.sent.find((frame) => 'id' in frame && frame.id === 5)).toMatchObject({
      ok: false,
      error: { code: 'invalid-request' },
    });
    expect(service.handlers['datasets.get']).toHaveBeenCalledTimes(1);
  });

  it('forwards the service’s events as event frames, NaN as null like every transport', async () => {
    const port = new FakeParentPort();
    const { service, emit } = fakeService();
    serveApi(port, Promise.resolve(service), vi.fn());
    await Promise.resolve();
    emit({ type: 'train', jobId: 'j', model: 'esmc', event: { type: 'epoch', loss: NaN } as never });
    expect(port.sent).toEqual([
      { event: { type: 'train', jobId: 'j', model: 'esmc', event: { type: 'epoch', loss: null } } },
    ]);
  });

  it('answers every call with the reason when the service could not start, instead of exiting', async () => {
    const port = new FakeParentPort();
    const exit = vi.fn();
    serveApi(port, Promise.reject(new Error('DuckDB: database is locked\nstack…')), exit);
    port.deliver({ id: 1, method: 'app.info', params: {} });
    await vi.waitFor(() => expect(port.sent).toHaveLength(1));
    expect(port.sent[0]).toEqual({
      id: 1,
      ok: false,
      error: { code: 'failed', message: 'DuckDB: database is locked' },
    });
    expect(exit).not.toHaveBeenCalled();
  });

  it('closes the service (the project) and exits when the main process asks', async () => {
    const port = new FakeParentPort();
    const { service } = fakeService();
    const exit = vi.fn();
    serveApi(port, Promise.resolve(service), exit);
    port.deliver({ close: true });
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(service.close).toHaveBeenCalledTimes(1);
  });
});

describe('projectArgument', () => {
  it('reads --project PATH and --project=PATH among other switches', () => {
    expect(projectArgument(['/usr/bin/electron', '.', '--no-sandbox', '--project', '/a b/lab.duckdb'])).toBe(
      '/a b/lab.duckdb',
    );
    expect(projectArgument(['node', 'entry.js', '--project=/x.duckdb'])).toBe('/x.duckdb');
    expect(projectArgument(['electron', '.'])).toBeNull();
    expect(projectArgument(['electron', '--project'])).toBeNull();
  });
});
