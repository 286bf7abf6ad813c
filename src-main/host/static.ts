import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` a URL path names, or null when it would leave `root` (`..`, an encoded `%2e%2e`, a
 * NUL byte, an absolute path) or is not valid percent-encoding.
 */
export function fileUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const file = resolve(join(base, decoded));
  return file === base || file.startsWith(base + sep) ? file : null;
}

/**
 * `file` by its real path, when that lies inside `root`'s real path: a link in the built folder (put there by
 * mistake or by someone else) must not serve /etc/passwd. fileUnder only looks at the names in the URL.
 */
async function realFileUnder(root: string, file: string): Promise<string | undefined> {
  const [real, base] = await Promise.all([
    realpath(file).catch(() => undefined),
    realpath(root).catch(() => undefined),
  ]);
  if (real === undefined || base === undefined) return undefined;
  return real === base || real.startsWith(base.endsWith(sep) ? base : base + sep) ? real : undefined;
}

/**
 * Serves the built renderer: `/` is index.html, other paths are files under `root` with their content type;
 * a path without an extension that names no file is the app's own route, so it gets index.html too. A file is
 * served only when its real path, links followed, is inside the real `root`.
 */
export async function serveStatic(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const urlPath = new URL(request.url ?? '/', 'http://host').pathname;
  const file = fileUnder(root, urlPath === '/' ? '/index.html' : urlPath);
  if (!file) return sendText(response, 400, 'bad path');
  // Named by the URL (a link's own name gives the content type), read by the real path.
  let named = file;
  let path = await realFileUnder(root, file);
  let found = path === undefined ? undefined : await stat(path).catch(() => undefined);
  if ((!found || found.isDirectory()) && extname(urlPath) === '') {
    named = join(root, 'index.html');
    path = await realFileUnder(root, named);
    found = path === undefined ? undefined : await stat(path).catch(() => undefined);
    // Where the server keeps its files is no business of the browser's.
    if (!found) return sendText(response, 503, 'the app is not built: its index.html is missing (run npm run build)');
  }
  if (path === undefined || !found || !found.isFile()) return sendText(response, 404, 'not found');
  response.writeHead(200, {
    'content-type': contentType(named),
    'content-length': found.size,
    'x-content-type-options': 'nosniff',
    // Hashed asset names change with every build; index.html must not be cached past one.
    'cache-control': named.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600',
  });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(path).pipe(response);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(`${text}\n`);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(value));
}
