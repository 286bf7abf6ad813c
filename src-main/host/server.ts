/**
 * The browser-mode host: one HTTP server for the built renderer, uploads and downloads, and a WebSocket at
 * `/api` carrying the API's wire frames (src-shared/api/wire.ts): the browser sends RequestFrames, the host
 * answers each with a ReplyFrame and sends every ApiEvent to every client as an EventFrame.
 *
 * Access: the session token must come with every WebSocket connection, upload and download, as the `token`
 * query parameter or the `x-esmc-token` header (HTTP 401 otherwise; a WebSocket without it is closed with
 * code 4401 at once); the WebSocket also refuses upgrades whose Origin is another host (HTTP 403), so a page
 * on another site cannot drive the API even from the same machine. Every request, the static files' included,
 * must name this server in its Host header (hostChecker): a page whose own name its DNS points at this
 * machine (DNS rebinding) would otherwise pass the Origin check as the same origin. The static files are the
 * app itself and need no token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiService } from '../api/service.js';
import { dispatch } from '../../src-shared/api/dispatch.js';
import { toWire, type EventFrame, type ReplyFrame } from '../../src-shared/api/wire.js';
import { contentType, sendJson, sendText, serveStatic } from './static.js';

export interface HostOptions {
  service: ApiService;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default a random one. */
  token?: string;
  /** The built renderer (index.html and its assets). */
  staticDir: string;
  /** Largest upload accepted, in bytes; default 8 GiB. */
  uploadLimit?: number;
  /** An upload that sends nothing for this long is dropped, in milliseconds; default 2 minutes. */
  uploadIdleMs?: number;
}

export interface Host {
  /** Where the server listens, e.g. http://127.0.0.1:43121. */
  origin: string;
  /** The URL to open: the origin with the session token. */
  url: string;
  token: string;
  server: Server;
  /** Closes every WebSocket and the server; the service stays open (its owner closes it). */
  close(): Promise<void>;
}

export const DEFAULT_UPLOAD_LIMIT = 8 * 1024 ** 3;
export const DEFAULT_UPLOAD_IDLE_MS = 2 * 60_000;

/** The WebSocket close code for a missing or wrong token (4000–4999 are the application's own). */
export const UNAUTHORIZED_CLOSE = 4401;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token a request presents, by query parameter or header. */
function presentedToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-esmc-token'];
  return url.searchParams.get('token') ?? (Array.isArray(header) ? header[0] : header);
}

function sameToken(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A page of the same host may connect (and clients that send no Origin, which browsers always send). */
function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** A host name as a URL writes it: lower case, an IPv6 address in brackets and in its shortest form. */
function hostName(name: string): string | undefined {
  try {
    return new URL(`http://${isIP(name) === 6 ? `[${name}]` : name}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The check of a request's Host header, which must name this server: a loopback name (127.0.0.1, localhost,
 * [::1]), the address it listens on or the name it was given, each with its port. Listening on every interface
 * (0.0.0.0, ::), any IP address is one of its own. Another name is a DNS-rebinding page's: the browser sends
 * the name of the page's site, whatever address that name was made to lead to. The check returns the refusal's
 * text, or undefined when the header is right.
 */
function hostChecker(given: string, bound: AddressInfo): (header: string | undefined) => string | undefined {
  const names = new Set(
    ['localhost', '127.0.0.1', '::1', given, bound.address].map(hostName).filter((name) => name !== undefined),
  );
  const anyAddress = ['0.0.0.0', '::'].includes(bound.address);
  const port = String(bound.port);
  const shown = [...names].map((name) => `${name}:${port}`).join(', ');
  return (header) => {
    // A name and an optional port, nothing else: no user, path or second host for a URL parser to find.
    const parts = header === undefined ? null : /^(\[[\da-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d+))?$/i.exec(header);
    const name = parts && hostName(parts[1]);
    // A browser leaves out the scheme's default port.
    const portRight = parts && (parts[2] ?? '80') === port;
    const known = name && (names.has(name) || (anyAddress && isIP(name.replace(/^\[|\]$/g, '')) !== 0));
    if (portRight && known) return undefined;
    return (
      `this server answers to ${shown}${anyAddress ? ' or any of its IP addresses' : ''}, ` +
      `not to ${header === undefined ? 'a request without a Host header' : `Host "${header}"`} ` +
      '(a page that points its own name at this machine is refused)'
    );
  };
}

/**
 * An error's message without the path a file-system error ends with ("EACCES: permission denied, mkdir '…'"):
 * that path is where this server keeps its projects, which is no business of the browser's.
 */
function withoutPath(error: unknown): string {
  const { message, syscall } = error as NodeJS.ErrnoException;
  const at = syscall ? message.indexOf(`, ${syscall} `) : -1;
  return at === -1 ? message : message.slice(0, at);
}

/**
 * Passes bytes through until more than `limit` have come, then fails the stream; fails it too when nothing
 * comes for `idleMs` (the server sets no overall time limit on a request, so a stalled client would hold its
 * upload open for ever).
 */
function uploadGuard(limit: number, idleMs: number): Transform {
  let seen = 0;
  const guard: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      timer.refresh();
      if (seen > limit)
        callback(Object.assign(new Error(`the upload is larger than ${limit} bytes`), { tooLarge: true }));
      else callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
    destroy(error, callback) {
      clearTimeout(timer);
      callback(error);
    },
  });
  const timer = setTimeout(() => {
    const seconds = Math.round(idleMs / 1000);
    guard.destroy(Object.assign(new Error(`the upload sent nothing for ${seconds} s`), { idle: true }));
  }, idleMs);
  return guard;
}

export async function startHost(options: HostOptions): Promise<Host> {
  const { service, staticDir } = options;
  const token = options.token ?? newToken();
  const uploadLimit = options.uploadLimit ?? DEFAULT_UPLOAD_LIMIT;
  const uploadIdleMs = options.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS;
  const sockets = new Set<WebSocket>();

  const upload = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const { socket } = request;
    const name = url.searchParams.get('name');
    if (!name) return sendText(response, 400, 'POST /upload needs ?name=<file name>');
    const declared = Number(request.headers['content-length']);
    if (declared > uploadLimit) return sendText(response, 413, `the upload is larger than ${uploadLimit} bytes`);
    let target: { id: string; path: string };
    try {
      target = await service.files.newUpload(name);
    } catch (error) {
      return sendText(response, 500, `cannot store the upload: ${withoutPath(error)}`);
    }
    try {
      await pipeline(request, uploadGuard(uploadLimit, uploadIdleMs), createWriteStream(target.path));
      sendJson(response, 200, service.files.completeUpload(target.id));
    } catch (error) {
      await service.files.discardUpload(target.id);
      const { code, tooLarge, idle } = error as NodeJS.ErrnoException & { tooLarge?: boolean; idle?: boolean };
      if (idle) {
        // The client is not sending; reading on would wait for it for ever.
        response.once('finish', () => socket.destroy());
        return sendText(response, 408, (error as Error).message);
      }
      if (tooLarge) sendText(response, 413, (error as Error).message);
      else if (code === 'ENOSPC') sendText(response, 507, 'the disk is full: the upload could not be stored');
      else if (!response.headersSent) sendText(response, 500, `the upload failed: ${withoutPath(error)}`);
      // A client that stops mid-body is not waiting for an answer.
      request.resume();
    }
  };

  /**
   * The header that names a download: the name itself, and where it is not plain ASCII (a report is named
   * "ESMC report – … .pdf"), an ASCII stand-in beside it as RFC 6266 asks (a header cannot carry other bytes).
   */
  const attachment = (name: string) => {
    const ascii = name
      .replace(/[\u2013\u2014]/g, '-')
      .replace(/[^\x20-\x7e]/g, '_')
      .replace(/["\\]/g, '');
    if (ascii === name) return `attachment; filename="${ascii}"`;
    const encoded = encodeURIComponent(name).replace(
      /['()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
  };

  const download = async (response: ServerResponse, fileId: string) => {
    const file = await service.files.written(fileId);
    if (!file) return sendText(response, 404, `no file "${fileId}"`);
    response.writeHead(200, {
      'content-type': contentType(file.path),
      'content-disposition': attachment(file.name),
    });
    createReadStream(file.path)
      .on('error', () => response.destroy())
      .pipe(response);
  };

  // Set once the server listens: the port may be the one the system picked.
  let wrongHost: ReturnType<typeof hostChecker> = () => 'the server is starting';
  // No limit on a whole request (Node's default, 5 minutes, would cut a multi-GB upload on a slow link); the
  // headers keep Node's default limit (it falls to the request's when not given), and an upload stalled
  // mid-body is ended by its idle timeout.
  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000 }, (request, response) => {
    const url = new URL(request.url ?? '/', 'http://host');
    const refusal = wrongHost(request.headers.host);
    if (refusal) {
      // Not kept open for another request: nothing this client sends is for this server.
      response.setHeader('connection', 'close');
      return sendText(response, 403, refusal);
    }
    const route = async () => {
      if (url.pathname === '/upload' || url.pathname.startsWith('/files/')) {
        if (!sameToken(presentedToken(request, url), token)) return sendText(response, 401, 'missing or wrong token');
        if (url.pathname === '/upload') {
          if (request.method !== 'POST') return sendText(response, 405, 'use POST');
          return upload(request, response, url);
        }
        if (request.method !== 'GET') return sendText(response, 405, 'use GET');
        let fileId: string;
        try {
          fileId = decodeURIComponent(url.pathname.slice('/files/'.length));
        } catch {
          return sendText(response, 400, 'bad file id');
        }
        return download(response, fileId);
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'use GET');
      return serveStatic(staticDir, request, response);
    };
    route().catch((error: unknown) => {
      if (!response.headersSent) sendText(response, 500, withoutPath(error));
      else response.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    // A socket error (a reset, or bytes ws refuses before it takes the socket over) must not reach the process
    // as an unhandled 'error': it would stop the server for every client.
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://host');
    const refuse = (status: string, text = '') => {
      const body = Buffer.from(text && `${text}\n`);
      socket.end(
        `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
          'X-Content-Type-Options: nosniff\r\n' +
          `Content-Length: ${body.length}\r\n\r\n${body.toString()}`,
      );
    };
    const refusal = wrongHost(request.headers.host);
    if (refusal) return refuse('403 Forbidden', refusal);
    if (url.pathname !== '/api') return refuse('404 Not Found');
    if (!originAllowed(request)) return refuse('403 Forbidden');
    if (!sameToken(presentedToken(request, url), token)) {
      // A browser cannot read the status of a refused upgrade (it sees 1006 and would retry forever); a close
      // code it can read says that retrying cannot help. Frames it still sends are dropped; a malformed one is
      // an 'error' that ws answers by closing the socket.
      return wss.handleUpgrade(request, socket, head, (ws) => {
        ws.on('error', () => undefined);
        ws.close(UNAUTHORIZED_CLOSE, 'missing or wrong token');
      });
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    // ws reports a bad frame (too large, not masked, invalid UTF-8) as an 'error' after closing the connection
    // itself (1009, 1002, 1007); unhandled, that error would stop the server for every client.
    ws.on('error', () => undefined);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      void answer(ws, isBinary ? null : data.toString());
    });
  });

  const answer = async (ws: WebSocket, text: string | null) => {
    let frame: { id?: unknown; method?: unknown; params?: unknown };
    try {
      frame = JSON.parse(text ?? 'null') as typeof frame;
      if (frame === null || typeof frame !== 'object') throw new Error('not an object');
    } catch {
      const reply: ReplyFrame = {
        id: -1,
        ok: false,
        error: { code: 'invalid-request', message: 'a request frame is a JSON object {id, method, params}' },
      };
      return ws.send(JSON.stringify(reply));
    }
    const id = typeof frame.id === 'number' ? frame.id : -1;
    const reply = await dispatch(service.handlers, id, frame.method, frame.params);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  };

  const stopEvents = service.onEvent((event) => {
    const frame = JSON.stringify({ event: toWire(event) } as EventFrame);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const { port } = bound;
  wrongHost = hostChecker(host, bound);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    token,
    server,
    async close() {
      stopEvents();
      for (const ws of sockets) ws.close(1001, 'the server is stopping');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
