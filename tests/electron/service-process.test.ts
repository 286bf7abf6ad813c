import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo, ReplyFrame, ServerFrame } from '../../src-shared/api/index.js';

const entry = fileURLToPath(new URL('../../src-main/electron/service-process.ts', import.meta.url));
let workdir: string;
let shim: string;

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'esmc-service-process-'));
  // Electron's `process.parentPort`, played by Node's IPC channel with structured clone (as Electron's is).
  shim = join(workdir, 'parent-port.mjs');
  writeFileSync(
    shim,
    `process.parentPort = {
       on(event, listener) { process.on('message', (data) => listener({ data })); return this; },
       postMessage(message) { process.send(message); },
     };`,
  );
});
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** The utility process's entry with the real API service, in a Node child process standing in for Electron's. */
function start(project: string): { child: ChildProcess; call(method: string, params: unknown): Promise<ReplyFrame> } {
  const child = fork(entry, [`--project=${project}`], {
    execArgv: ['--import', 'tsx', '--import', shim],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const waiting = new Map<number, (reply: ReplyFrame) => void>();
  child.on('message', (frame: ServerFrame) => {
    if ('id' in frame) waiting.get(frame.id)?.(frame);
  });
  let nextId = 1;
  return {
    child,
    call: (method, params) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ id, method, params });
      }),
  };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the utility process entry', () => {
  it('serves the real API service for the project it was started with, and closes it on request', async () => {
    const project = join(workdir, 'lab.duckdb');
    const { child, call } = start(project);
    const info = await call('app.info', {});
    expect(info.ok).toBe(true);
    const result = (info as Extract<ReplyFrame, { ok: true }>).result as AppInfo;
    expect(result.shell).toBe('electron');
    expect(result.project?.path).toBe(project);
    expect(result.backend.name).toMatch(/^(node-gpu|webgpu|node|wasm|cpu)$/);

    const bad = await call('datasets.get', { name: 5 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-request' } });

    const exited = exitCode(child);
    child.send({ close: true });
    expect(await exited).toBe(0);
    expect(existsSync(project)).toBe(true);
  });

  it('starts without a project when its project cannot be opened, so the user can open another', async () => {
    const broken = join(workdir, 'broken.duckdb');
    writeFileSync(broken, 'this is not a DuckDB database\n'.repeat(100));
    const { child, call } = start(broken);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    const info = (await call('app.info', {})) as Extract<ReplyFrame, { ok: true }>;
    expect(info.ok).toBe(true);
    expect((info.result as AppInfo).project).toBeNull();
    expect(stderr).toContain(`ESMC Lab could not open ${broken}`);
    const exited = exitCode(child);
    child.send({ close: true });
    expect(await exited).toBe(0);
  });
});
