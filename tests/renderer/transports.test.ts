// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src-shared/api/client.js';
import type { ApiEvent, PreloadApi, ReplyFrame } from '../../src-shared/api/index.js';
import { BrowserHost, ElectronHost, pickHost, type ConnectionState } from '../../src-renderer/transport/index.js';
import type { SocketLike } from '../../src-renderer/transport/browser.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: { id: number; method: string; params: unknown }[] = [];

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.drop(1000);
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  receive(frame: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
}

function browserHost(overrides: { fetch?: typeof fetch } = {}) {
  const sockets: FakeSocket[] = [];
  const timers: { delay: number; run: () => void }[] = [];
  const downloads: string[] = [];
  const host = new BrowserHost({
    origin: 'http://127.0.0.1:5177',
    token: 'secret token',
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    setTimer: (run, delay) => timers.push({ run, delay }),
    download: (url) => downloads.push(url),
    reconnectDelayMs: { first: 100, max: 400 },
    ...overrides,
  });
  const states: ConnectionState[] = [];
  host.onConnection((state) => states.push(state));
  return { host, sockets, timers, downloads, states, last: () => sockets[sockets.length - 1] };
}

describe('BrowserHost', () => {
  it('connects to /api with the page token and answers calls made before the socket opened', async () => {
    const { host, sockets, last } = browserHost();
    expect(sockets).toHaveLength(1);
    expect(last().url).toBe('ws://127.0.0.1:5177/api?token=secret%20token');
    const api = new ApiClient(host);
    const answer = api.call('datasets.get', { name: 'sales' });
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent).toEqual([{ id: 1, method: 'datasets.get', params: { name: 'sales' } }]);
    last().receive({ id: 1, ok: true, result: { name: 'sales', rows: 3 } });
    await expect(answer).resolves.toEqual({ name: 'sales', rows: 3 });
  });

  it('matches replies to requests by id, whatever their order', async () => {
    const { host, last } = browserHost();
    last().open();
    const first = host.request('runs.list', {});
    const second = host.request('datasets.list', {});
    last().receive({ id: 2, ok: true, result: ['second'] });
    last().receive({ id: 1, ok: true, result: ['first'] });
    expect(((await first) as Extract<ReplyFrame, { ok: true }>).result).toEqual(['first']);
    expect(((await second) as Extract<ReplyFrame, { ok: true }>).result).toEqual(['second']);
  });

  it('turns an error reply into an ApiError with its code, message and place in the file', async () => {
    const { host, last } = browserHost();
    last().open();
    const failing = new ApiClient(host).call('datasets.get', { name: 'x' });
    last().receive({
      id: 1,
      ok: false,
      error: { code: 'data-error', message: 'not a number', where: { file: 'a.csv', line: 3, column: 2 } },
    });
    await expect(failing).rejects.toMatchObject({ code: 'data-error', details: { where: { line: 3 } } });
  });

  it('delivers event frames to every listener until it unsubscribes', () => {
    const { host, last } = browserHost();
    last().open();
    const seen: ApiEvent[] = [];
    const other: ApiEvent[] = [];
    const stop = host.onEvent((event) => seen.push(event));
    host.onEvent((event) => other.push(event));
    const event: ApiEvent = { type: 'project', project: null };
    last().receive({ event });
    stop();
    last().receive({ event });
    expect(seen).toEqual([event]);
    expect(other).toEqual([event, event]);
  });

  it('fails calls in flight when the link drops, reconnects with doubling delays, and sends queued calls', async () => {
    const { host, sockets, timers, states, last } = browserHost();
    last().open();
    const inFlight = host.request('runs.list', {});
    last().drop(1006);
    const reply = await inFlight;
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error.message).toMatch(/connection to the lab was lost/);
    expect(states).toEqual(['connecting', 'open', 'reconnecting']);

    expect(timers.map((t) => t.delay)).toEqual([100]);
    const queued = host.request('datasets.list', {});
    timers[0].run();
    expect(sockets).toHaveLength(2);
    last().drop(1006); // the host is still down
    timers[1].run();
    last().drop(1006);
    timers[2].run();
    last().drop(1006);
    expect(timers.map((t) => t.delay)).toEqual([100, 200, 400, 400]);
    timers[3].run();
    last().open();
    expect(last().sent.map((frame) => frame.method)).toEqual(['datasets.list']);
    last().receive({ id: last().sent[0].id, ok: true, result: [] });
    expect((await queued).ok).toBe(true);
    expect(states.at(-1)).toBe('open');

    // A successful connection starts the backoff over.
    last().drop(1006);
    expect(timers.at(-1)!.delay).toBe(100);
  });

  it('stops retrying when the host refuses the token, and says why', async () => {
    const { host, timers, states, last } = browserHost();
    last().drop(4401);
    expect(timers).toHaveLength(0);
    expect(states.at(-1)).toBe('refused');
    const reply = await host.request('app.info', {});
    expect(!reply.ok && reply.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/token/) });
  });

  it('says at once that a page without a token cannot reach the lab, and never connects', async () => {
    const sockets: unknown[] = [];
    const host = new BrowserHost({
      origin: 'http://127.0.0.1:1',
      token: '',
      createSocket: (url) => {
        sockets.push(url);
        return new FakeSocket(url);
      },
    });
    const states: ConnectionState[] = [];
    host.onConnection((state) => states.push(state));
    const reply = await host.request('app.info', {});
    expect(sockets).toEqual([]);
    expect(states).toEqual(['refused']);
    expect(!reply.ok && reply.error).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/session token/),
    });
  });

  it('uploads a file with the token header and returns the host FileRef', async () => {
    const fetchSpy = vi.fn(async () => Response.json({ kind: 'upload', id: 'abcdefgh12', name: 'sales.csv' }));
    const { host } = browserHost({ fetch: fetchSpy as unknown as typeof fetch });
    const file = new File(['click,purchase\n1,0\n'], 'sales 2024.csv');
    await expect(host.fileRef(file)).resolves.toEqual({ kind: 'upload', id: 'abcdefgh12', name: 'sales.csv' });
    const [url, init] = fetchSpy.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:5177/upload?name=sales%202024.csv');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['x-esmc-token']).toBe('secret token');
    expect(init.body).toBe(file);
  });

  it('says which upload failed and what the host answered', async () => {
    const fetchSpy = vi.fn(async () => new Response('disk full', { status: 507 }));
    const { host } = browserHost({ fetch: fetchSpy as unknown as typeof fetch });
    await expect(host.fileRef(new File(['x'], 'big.csv'))).rejects.toThrow(
      'uploading big.csv failed (HTTP 507): disk full',
    );
  });

  it('downloads a written file through the files route with the token', async () => {
    const { host, downloads } = browserHost();
    await host.openFile('report-1');
    expect(downloads).toEqual(['http://127.0.0.1:5177/files/report-1?token=secret%20token']);
  });

  it('reads the token from the page URL', () => {
    const created: string[] = [];
    const original = globalThis.WebSocket;
    globalThis.WebSocket = class {
      constructor(url: string) {
        created.push(url);
      }
    } as unknown as typeof WebSocket;
    try {
      BrowserHost.fromLocation({ origin: 'https://lab.example:8443', search: '?token=t0k' } as Location);
    } finally {
      globalThis.WebSocket = original;
    }
    expect(created).toEqual(['wss://lab.example:8443/api?token=t0k']);
  });
});

describe('ElectronHost', () => {
  function preload(): PreloadApi & { listeners: ((event: ApiEvent) => void)[] } {
    const listeners: ((event: ApiEvent) => void)[] = [];
    return {
      listeners,
      call: vi.fn(async (_method, params) => ({ id: 7, ok: true as const, result: params })),
      onEvent: (listener) => {
        listeners.push(listener);
        return () => undefined;
      },
      pathForFile: (file) => ((file as File).name === 'memory.csv' ? '' : `/home/ana/${(file as File).name}`),
    };
  }

  it('calls through the preload and passes its events on', async () => {
    const exposed = preload();
    const host = new ElectronHost(exposed);
    await expect(new ApiClient(host).call('datasets.get', { name: 'a' })).resolves.toEqual({ name: 'a' });
    const seen: ApiEvent[] = [];
    host.onEvent((event) => seen.push(event));
    exposed.listeners[0]({ type: 'project', project: null });
    expect(seen).toHaveLength(1);
  });

  it("passes a dropped file's path, never its bytes", async () => {
    const host = new ElectronHost(preload());
    await expect(host.fileRef(new File(['x'], 'sales.csv'))).resolves.toEqual({
      kind: 'path',
      path: '/home/ana/sales.csv',
    });
    await expect(host.fileRef(new File(['x'], 'memory.csv'))).rejects.toThrow(/no path on disk/);
  });

  it('opens written files with the API (the system viewer)', async () => {
    const opened: string[] = [];
    await new ElectronHost(preload()).openFile('r1', async (id) => void opened.push(id));
    expect(opened).toEqual(['r1']);
  });
});

describe('pickHost', () => {
  it('uses Electron when the preload is there, and the browser host otherwise', () => {
    const location = { origin: 'http://127.0.0.1:1', search: '?token=x' } as Location;
    const exposed = { call: vi.fn(), onEvent: vi.fn(), pathForFile: vi.fn() } as unknown as PreloadApi;
    expect(pickHost({ esmc: exposed, location })).toBeInstanceOf(ElectronHost);
    const original = globalThis.WebSocket;
    globalThis.WebSocket = class {
      close() {}
    } as unknown as typeof WebSocket;
    try {
      const host = pickHost({ location });
      expect(host).toBeInstanceOf(BrowserHost);
      (host as BrowserHost).close();
    } finally {
      globalThis.WebSocket = original;
    }
  });
});
