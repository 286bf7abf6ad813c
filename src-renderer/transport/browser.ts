import type { ApiEvent, FileRef, Method, ReplyFrame, ServerFrame } from '../../src-shared/api/index.js';
import { Listeners, type ConnectionState, type RendererHost } from './host.js';

/** The minimal WebSocket surface used here, so tests can pass a fake one. */
export interface SocketLike {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface BrowserHostOptions {
  /** The page's origin, e.g. "http://127.0.0.1:5177"; the API lives at `/api` on it. */
  origin: string;
  /** The session token the host printed in the page URL. */
  token: string;
  createSocket?: (url: string) => SocketLike;
  fetch?: typeof fetch;
  /** Where a download is opened; in the page, a navigation to the file's URL. */
  download?: (url: string) => void;
  /** Backoff after a lost connection: the first delay, doubled each try up to the maximum. */
  reconnectDelayMs?: { first: number; max: number };
  setTimer?: (callback: () => void, ms: number) => unknown;
}

const OPEN = 1;
const NO_TOKEN =
  "this page's address has no session token: open the address that `esmc-lab serve` printed (it ends in ?token=…)";
/** The host closes with this code when the token is wrong; retrying cannot help. */
const UNAUTHORIZED_CLOSE_CODES = new Set([1008, 4401]);

/**
 * The browser host: one WebSocket to `/api?token=…` carrying wire frames, reconnecting with backoff when the link
 * drops. Calls made while it is down wait for the next connection; calls in flight when it drops fail with a
 * message (the host may or may not have run them, so they are not silently resent).
 */
export class BrowserHost implements RendererHost {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ReplyFrame) => void>();
  private readonly waiting: { frame: string; id: number }[] = [];
  private readonly events = new Listeners<ApiEvent>();
  private readonly connection = new Listeners<ConnectionState>();
  private state: ConnectionState = 'connecting';
  private delayMs: number;
  private closed = false;
  private fatal: string | null = null;

  constructor(private readonly options: BrowserHostOptions) {
    this.delayMs = options.reconnectDelayMs?.first ?? 250;
    // The host refuses a connection without the token by HTTP status, which a page's WebSocket cannot read; say
    // it here rather than retry for ever.
    if (options.token) this.connect();
    else this.refuse(NO_TOKEN);
  }

  /** The page URL carries the token (`/?token=…`); without it the host refuses every call. */
  static fromLocation(location: Location): BrowserHost {
    const token = new URLSearchParams(location.search).get('token') ?? '';
    return new BrowserHost({ origin: location.origin, token });
  }

  request(method: Method, params: unknown): Promise<ReplyFrame> {
    const id = this.nextId++;
    if (this.fatal) return Promise.resolve(failure(id, this.fatal));
    const frame = JSON.stringify({ id, method, params });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.socket?.readyState === OPEN) this.socket.send(frame);
      else this.waiting.push({ frame, id });
    });
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.events.add(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    listener(this.state);
    return this.connection.add(listener);
  }

  async fileRef(file: File): Promise<FileRef> {
    const fetchImpl = this.options.fetch ?? fetch.bind(globalThis);
    const url = `${this.options.origin}/upload?name=${encodeURIComponent(file.name)}`;
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'x-esmc-token': this.options.token, 'content-type': 'application/octet-stream' },
      body: file,
    });
    if (!response.ok) {
      const detail = (await response.text()).trim();
      throw new Error(`uploading ${file.name} failed (HTTP ${response.status})${detail ? `: ${detail}` : ''}`);
    }
    return (await response.json()) as FileRef;
  }

  async openFile(fileId: string): Promise<void> {
    const url = `${this.options.origin}/files/${encodeURIComponent(fileId)}?token=${encodeURIComponent(this.options.token)}`;
    (this.options.download ?? downloadInPage)(url);
  }

  /** Stops reconnecting and closes the link (tests, page unload). */
  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private connect(): void {
    const url = `${this.options.origin.replace(/^http/, 'ws')}/api?token=${encodeURIComponent(this.options.token)}`;
    const socket = (this.options.createSocket ?? ((href: string) => new WebSocket(href)))(url);
    this.socket = socket;
    socket.onopen = () => {
      this.delayMs = this.options.reconnectDelayMs?.first ?? 250;
      this.setState('open');
      for (const { frame } of this.waiting.splice(0)) socket.send(frame);
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onerror = () => undefined; // a close always follows; it decides what to do
    socket.onclose = (event) => this.lost(socket, event.code);
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      console.error('ESMC Lab: the host sent a frame that is not JSON:', text.slice(0, 200));
      return;
    }
    if ('event' in frame) {
      this.events.emit(frame.event);
      return;
    }
    const resolve = this.pending.get(frame.id);
    this.pending.delete(frame.id);
    resolve?.(frame);
  }

  private lost(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    const inFlight = [...this.pending.entries()].filter(([id]) => !this.waiting.some((w) => w.id === id));
    if (UNAUTHORIZED_CLOSE_CODES.has(code)) {
      this.refuse('the lab refused this page: its session token is missing or wrong; open the URL the lab printed');
    }
    const reason = this.fatal ?? 'the connection to the lab was lost before it answered; check the job list and retry';
    for (const [id, resolve] of inFlight) {
      this.pending.delete(id);
      resolve(failure(id, reason));
    }
    if (this.fatal) {
      for (const { id } of this.waiting.splice(0)) this.pending.get(id)?.(failure(id, this.fatal));
      this.pending.clear();
      return;
    }
    if (this.closed) return;
    this.setState('reconnecting');
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.reconnectDelayMs?.max ?? 5000);
    (this.options.setTimer ?? ((callback, ms) => setTimeout(callback, ms)))(() => this.connect(), delay);
  }

  private refuse(reason: string): void {
    this.fatal = reason;
    this.setState('refused');
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.connection.emit(state);
  }
}

/**
 * A download link clicked by the page: unlike window.open, it is not a popup, so the browser does not block it
 * when it comes seconds after the click that asked for the report.
 */
function downloadInPage(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

function failure(id: number, message: string): ReplyFrame {
  return { id, ok: false, error: { code: message.includes('token') ? 'unauthorized' : 'failed', message } };
}
