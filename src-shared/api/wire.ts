import type { ApiErrorInfo } from './errors.js';
import type { ApiEvent, Method } from './contract.js';

/** The browser host's WebSocket frames (JSON text). Electron IPC carries the same request and reply objects. */
export interface RequestFrame {
  id: number;
  method: Method;
  params: unknown;
}

export type ReplyFrame = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiErrorInfo };

export interface EventFrame {
  event: ApiEvent;
}

export type ServerFrame = ReplyFrame | EventFrame;

/** Electron channel names; the preload exposes them as `window.esmc` (`PreloadApi`). */
export const IPC_CALL_CHANNEL = 'esmc:call';
export const IPC_EVENT_CHANNEL = 'esmc:event';

/** What the Electron preload exposes to the renderer, and all it exposes. */
export interface PreloadApi {
  call(method: Method, params: unknown): Promise<ReplyFrame>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The dropped file's path on disk (webUtils.getPathForFile), so its bytes never cross IPC. */
  pathForFile(file: unknown): string;
}

/**
 * The value as both transports deliver it: NaN and ±Infinity become null (JSON has neither, and structured
 * clone would keep them, so the two shells would disagree), typed arrays become plain arrays.
 */
export function toWire(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
  if (Array.isArray(value)) return value.map(toWire);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toWire(item);
  return out;
}
