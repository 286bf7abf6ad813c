import type { BrowserWindow, Rectangle } from 'electron';
import { JsonFile } from './json-file.js';

export interface WindowState {
  x: number;
  y: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 820 };
export const MIN_SIZE = { width: 960, height: 600 };
/** How much of a saved window must lie on a display's work area to put it back there. */
const VISIBLE_PART = { width: 120, height: 60 };

export function windowStateFile(path: string): JsonFile<WindowState> {
  return new JsonFile(path, parseWindowState);
}

function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const { x, y, width, height, maximized } = value as Record<string, unknown>;
  const numbers = [x, y, width, height];
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return {
    x: x as number,
    y: y as number,
    width: Math.max(MIN_SIZE.width, width as number),
    height: Math.max(MIN_SIZE.height, height as number),
    maximized: maximized === true,
  };
}

/** The saved bounds, only if enough of them lies on one of the displays there are now (a monitor may be gone). */
export function restorableBounds(state: WindowState | null, workAreas: Rectangle[]): WindowState | null {
  if (!state) return null;
  const visible = workAreas.some((area) => {
    const width = Math.min(state.x + state.width, area.x + area.width) - Math.max(state.x, area.x);
    const height = Math.min(state.y + state.height, area.y + area.height) - Math.max(state.y, area.y);
    return width >= VISIBLE_PART.width && height >= VISIBLE_PART.height;
  });
  return visible ? state : null;
}

/** Saves the window's normal (unmaximized) bounds whenever they settle, and once more when it closes. */
export function trackWindowState(window: BrowserWindow, file: JsonFile<WindowState>, settleMs = 400): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (window.isDestroyed()) return;
    void file.write({ ...window.getNormalBounds(), maximized: window.isMaximized() });
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, settleMs);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', save);
  window.on('unmaximize', save);
  window.on('close', save);
}
