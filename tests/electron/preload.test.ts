import { describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type PreloadApi } from '../../src-shared/api/wire.js';
import { appFiles } from '../../src-main/electron/paths.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = `${root}src-main/electron/preload.cts`;

/** The preload as the project compiles it (CommonJS), from source, so the test does not depend on a fresh build. */
function compiledFromSource(): string {
  const options = JSON.parse(readFileSync(`${root}tsconfig.base.json`, 'utf8')).compilerOptions;
  const { options: compilerOptions } = ts.convertCompilerOptionsFromJson(options, root);
  return ts.transpileModule(readFileSync(source, 'utf8'), { compilerOptions, fileName: source }).outputText;
}

/**
 * Runs the preload the way a sandboxed renderer does: a bare context whose `require` knows only 'electron'
 * (here a recorder), with CommonJS `module` and `exports`.
 */
function runPreload(code: string) {
  const exposed: { name: string; api: PreloadApi }[] = [];
  const listeners = new Map<string, (...args: unknown[]) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: PreloadApi) => exposed.push({ name, api }) },
    ipcRenderer: {
      invoke: vi.fn(async (..._args: unknown[]) => ({ id: 1, ok: true, result: 'answer' })),
      on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => listeners.set(channel, listener)),
      removeListener: vi.fn((channel: string) => listeners.delete(channel)),
    },
    webUtils: { getPathForFile: vi.fn(() => '/home/analyst/big.parquet') },
  };
  const required: string[] = [];
  const require = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const module = { exports: {} };
  runInNewContext(code, { require, module, exports: module.exports });
  return { exposed, electron, listeners, required };
}

const variants: [string, () => string][] = [
  ['from source', compiledFromSource],
  [
    'as built',
    () => {
      const built = appFiles(root).preload;
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\``);
      return readFileSync(built, 'utf8');
    },
  ],
];

describe.each(variants)('the preload (%s)', (_name, code) => {
  it('requires only electron and exposes exactly window.esmc = { call, onEvent, pathForFile }', () => {
    const { exposed, required } = runPreload(code());
    expect(required).toEqual(['electron']);
    expect(exposed).toHaveLength(1);
    expect(exposed[0].name).toBe('esmc');
    expect(Object.keys(exposed[0].api).sort()).toEqual(['call', 'onEvent', 'pathForFile']);
  });

  it('calls over the contract’s channel and returns the reply frame', async () => {
    const { exposed, electron } = runPreload(code());
    const reply = await exposed[0].api.call('datasets.get', { name: 'x' });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_CALL_CHANNEL, 'datasets.get', { name: 'x' });
    expect(reply).toEqual({ id: 1, ok: true, result: 'answer' });
  });

  it('passes events on without the IPC event object, and stops when asked', () => {
    const { exposed, listeners, electron } = runPreload(code());
    const received: unknown[] = [];
    const stop = exposed[0].api.onEvent((event) => received.push(event));
    const relay = listeners.get(IPC_EVENT_CHANNEL)!;
    const apiEvent = { type: 'project', project: null };
    relay({ sender: 'the ipcRenderer itself' }, apiEvent);
    expect(received).toEqual([apiEvent]);
    stop();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, relay);
    expect(listeners.has(IPC_EVENT_CHANNEL)).toBe(false);
  });

  it('gives a dropped file’s path, not its bytes', () => {
    const { exposed, electron } = runPreload(code());
    const file = { name: 'big.parquet', size: 5e9 };
    expect(exposed[0].api.pathForFile(file)).toBe('/home/analyst/big.parquet');
    expect(electron.webUtils.getPathForFile).toHaveBeenCalledWith(file);
  });
});
