import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Session, WebContents } from 'electron';

/**
 * The renderer is served from this privileged custom scheme rather than file://: a file:// page could read any
 * other file:// URL, and a protocol handler is the one place a Content-Security-Policy header can be set on it.
 */
export const APP_SCHEME = 'esmc';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Only our own files: no remote scripts, styles, frames, forms or connections. ECharts sets inline styles. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true };

export function isAppUrl(url: string): boolean {
  try {
    return isAppLocation(new URL(url));
  } catch {
    return false;
  }
}

/** By scheme and host: WHATWG URL gives a custom scheme an opaque origin ("null"), unlike Chromium. */
function isAppLocation(url: URL): boolean {
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** The protocol handler: files under `root` only, each answered with the CSP. */
export function rendererFiles(root: string): (request: Request) => Promise<Response> {
  const base = resolve(root);
  return async (request) => {
    const url = new URL(request.url);
    if (request.method !== 'GET' || !isAppLocation(url)) return refuse(405);
    let file: string;
    try {
      file = resolve(base, `.${decodeURIComponent(url.pathname)}`);
    } catch {
      return refuse(400);
    }
    if (!file.startsWith(base + sep)) return refuse(404);
    const body = await readFile(file).catch(() => null);
    if (!body) return refuse(404);
    return new Response(body, {
      headers: {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
      },
    });
  };
}

function refuse(status: number): Response {
  return new Response(null, { status, headers: { 'content-security-policy': CONTENT_SECURITY_POLICY } });
}

/** The session answers every permission request (camera, notifications, …) with no and loads nothing remote. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isLocalUrl(details.url) }));
}

/** Our own files, data the page made itself, and the developer tools. */
function isLocalUrl(url: string): boolean {
  return isAppUrl(url) || /^(data|blob|devtools):/.test(url);
}

/** Every web contents (the window, devtools, anything else): no navigation, no new windows, no webviews. */
export function denyNavigation(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
