import WebSocket from 'ws';
import type { ApiEvent, Method } from '../../src-shared/api/contract.js';
import type { ReplyFrame, ServerFrame } from '../../src-shared/api/wire.js';

/** A WebSocket client speaking the wire frames: numbered calls, replies by id, events in a list. */
export class WireClient {
  readonly events: ApiEvent[] = [];
  private readonly replies = new Map<number, (reply: ReplyFrame) => void>();
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if ('event' in frame) this.events.push(frame.event);
      else this.replies.get(frame.id)?.(frame);
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<WireClient> {
    const socket = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WireClient(socket)));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.send(text);
  }

  call(method: Method | string, params: unknown): Promise<ReplyFrame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The next frame that answers `id` -1 (an unreadable request). */
  nextUnaddressed(): Promise<ReplyFrame> {
    return new Promise((resolve) => this.replies.set(-1, resolve));
  }

  close(): void {
    this.socket.close();
  }
}
