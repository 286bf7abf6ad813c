/**
 * What a hostile tester of the browser host found (issue 20): a DNS-rebinding page, links out of the renderer
 * folder, paths that never answer, a `serve` that SIGTERM could not stop, and server paths in error messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiService, type ApiService } from '../../src-main/api/service.js';
import { startHost, type Host } from '../../src-main/host/server.js';
import type { FileRef } from '../../src-shared/api/contract.js';
import type { ReplyFrame } from '../../src-shared/api/wire.js';
import { WireClient } from './wire-client.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'not for the web';
let dir: string;
let staticDir: string;
let service: ApiService;
let host: Host;
let port: number;
let client: WireClient;

/** A raw HTTP request to 127.0.0.1 (or `address`) with the headers given, Host included. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; address?: string; port?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.address ?? '127.0.0.1',
        port: options.port ?? port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The reply, or a failure saying that none came: the calls here must answer at once. */
function within(seconds: number, reply: Promise<ReplyFrame>): Promise<ReplyFrame> {
  return Promise.race([
    reply,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no reply within ${seconds} s`)), seconds * 1000).unref(),
    ),
  ]);
}

/** A named pipe nobody writes to: opening it for reading waits for a writer. */
function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** Lets whatever waits on `path` go on (a writer comes and goes), so a failing test leaves no thread stuck. */
function release(path: string): void {
  closeSync(openSync(path, 'r+'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-hardening-'));
  staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ESMC Lab</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  service = await createApiService({ projectPath: join(dir, 'project', 'lab.duckdb'), shell: 'browser', workers: 1 });
  host = await startHost({ service, staticDir });
  port = Number(new URL(host.origin).port);
  client = await WireClient.connect(`ws://127.0.0.1:${port}/api?token=${host.token}`);
});

afterAll(async () => {
  client.close();
  await host.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Host header', () => {
  it('refuses every HTTP request whose Host is not this server’s address and port, and answers its own names', async () => {
    const token = `token=${host.token}`;
    for (const hostHeader of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `127.0.0.1.nip.io:${port}`])
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/assets/app.js'],
        ['POST', `/upload?name=x.csv&${token}`],
        ['GET', `/files/x?${token}`],
      ]) {
        const body = method === 'POST' ? Buffer.from('a,b\n') : undefined;
        const response = await raw(path, { method, headers: { host: hostHeader }, body });
        expect([hostHeader, path, response.status]).toEqual([hostHeader, path, 403]);
        expect(response.body).toContain(`not to Host "${hostHeader}"`);
        expect(response.body).toContain(`127.0.0.1:${port}`);
      }
    // The names of this machine's loopback, in any case and spelling, with the port the system picked.
    for (const name of ['127.0.0.1', 'localhost', 'LocalHost', '[::1]', '[0:0:0:0:0:0:0:1]']) {
      const page = await raw('/', { headers: { host: `${name}:${port}` } });
      expect([name, page.status, page.body]).toEqual([name, 200, '<!doctype html><title>ESMC Lab</title>']);
    }
  });

  it('refuses a WebSocket from a DNS-rebinding page, whose Origin and Host agree on its own name', async () => {
    const token = `token=${host.token}`;
    const rebound = `evil.example:${port}`;
    await expect(
      WireClient.connect(`ws://127.0.0.1:${port}/api?${token}`, { host: rebound, origin: `http://${rebound}` }),
    ).rejects.toThrow('HTTP 403');
    const local = await WireClient.connect(`ws://127.0.0.1:${port}/api?${token}`, {
      host: `localhost:${port}`,
      origin: `http://localhost:${port}`,
    });
    try {
      expect(await local.call('project.current', {})).toMatchObject({ ok: true });
    } finally {
      local.close();
    }
  });

  it('refuses a request without a Host header (HTTP/1.0 may leave it out)', async () => {
    const bare = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
    });
    expect(bare).toMatch(/^HTTP\/1\.1 403/);
    expect(bare).toContain('a request without a Host header');
  });

  it('bound to another address, answers to that address; bound to every interface, to any IP address', async () => {
    const other = await startHost({ service, staticDir, host: '127.0.0.2' });
    const everywhere = await startHost({ service, staticDir, host: '0.0.0.0' });
    try {
      const otherPort = Number(new URL(other.origin).port);
      const ask = (hostHeader: string, at: number, address = '127.0.0.1') =>
        raw('/', { address, port: at, headers: { host: hostHeader } }).then((r) => r.status);
      expect(await ask(`127.0.0.2:${otherPort}`, otherPort, '127.0.0.2')).toBe(200);
      expect(await ask(`evil.example:${otherPort}`, otherPort, '127.0.0.2')).toBe(403);
      expect(await ask(`127.0.0.2:${port}`, otherPort, '127.0.0.2')).toBe(403);
      const allPort = Number(new URL(everywhere.origin).port);
      expect(await ask(`10.1.2.3:${allPort}`, allPort)).toBe(200);
      expect(await ask(`[fe80::1]:${allPort}`, allPort)).toBe(200);
      expect(await ask(`localhost:${allPort}`, allPort)).toBe(200);
      expect(await ask(`evil.example:${allPort}`, allPort)).toBe(403);
      expect(await ask(`10.1.2.3:${port}`, allPort)).toBe(403);
    } finally {
      await other.close();
      await everywhere.close();
    }
  });
});

describe('the renderer’s files', () => {
  it('serves no file through a link that leads out of the renderer folder, and files through links inside it', async () => {
    symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'leak.txt'));
    symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'leak'));
    symlinkSync('/etc/passwd', join(staticDir, 'assets', 'passwd.js'));
    symlinkSync(dir, join(staticDir, 'outside'));
    symlinkSync(join(staticDir, 'assets', 'app.js'), join(staticDir, 'alias.js'));
    for (const path of ['/leak.txt', '/assets/passwd.js', '/outside/secret.txt']) {
      const response = await raw(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.body).not.toContain(SECRET);
      expect(response.body).not.toContain('root:');
    }
    // A route of the app (no extension) that is a link out gets the app, not what the link points at.
    const route = await raw('/leak');
    expect([route.status, route.body]).toEqual([200, '<!doctype html><title>ESMC Lab</title>']);
    const alias = await raw('/alias.js');
    expect([alias.status, alias.body]).toEqual([200, 'console.log("app")']);

    // The renderer folder itself may be a link (an installed package's layout): its files are inside it.
    const linked = join(dir, 'renderer-link');
    symlinkSync(staticDir, linked);
    const viaLink = await startHost({ service, staticDir: linked });
    try {
      const script = await raw('/assets/app.js', { port: Number(new URL(viaLink.origin).port) });
      expect([script.status, script.body]).toEqual([200, 'console.log("app")']);
      const leak = await raw('/leak.txt', { port: Number(new URL(viaLink.origin).port) });
      expect([leak.status, leak.body]).toEqual([404, 'not found\n']);
    } finally {
      await viaLink.close();
    }
  });
});

describe('paths that never answer', () => {
  it('files.inspect and datasets.import refuse a named pipe, a device and what is under /proc or /sys, at once', async () => {
    const pipe = fifo('pipe.csv');
    // A link through /proc/self/fd to a pipe this process holds open, as /dev/stdin is when data is piped in.
    const held = openSync(fifo('held.fifo'), 'r+');
    const stdin = join(dir, 'stdin.csv');
    symlinkSync(`/proc/self/fd/${held}`, stdin);
    try {
      for (const [path, says] of [
        [pipe, 'is a named pipe (FIFO), not a data file'],
        ['/dev/zero', 'is a character device, not a data file'],
        ['/proc/self/status', 'is in /proc'],
        ['/sys/kernel/mm', 'is in /sys'],
        [stdin, 'is a named pipe (FIFO), not a data file'],
      ]) {
        const file: FileRef = { kind: 'path', path };
        for (const method of ['files.inspect', 'datasets.import'] as const) {
          const reply = await within(5, client.call(method, { file }));
          if (reply.ok) throw new Error(`${method} accepted ${path}`);
          expect(reply.error.code).toBe('invalid-request');
          expect(reply.error.message.startsWith(`file: ${path} is `)).toBe(true);
          expect(reply.error.message).toContain(says);
        }
      }
      expect(await client.call('jobs.list', {})).toMatchObject({ ok: true, result: [] });
    } finally {
      release(pipe);
      closeSync(held);
    }
  });

  it('project.open refuses a named pipe and a path under /proc at once, and the open project stays', async () => {
    const pipe = fifo('project.duckdb');
    const other = fifo('other.duckdb');
    // /proc/self/fd/N of this very process: a pipe, reached through /proc.
    const held = openSync(other, 'r+');
    try {
      for (const [path, says] of [
        [pipe, 'is a named pipe (FIFO), not a project file'],
        [`/proc/self/fd/${held}`, 'is in /proc'],
        ['/proc/self/status', 'is in /proc'],
      ]) {
        const reply = await within(5, client.call('project.open', { path }));
        if (reply.ok) throw new Error(`project.open accepted ${path}`);
        expect(reply.error).toMatchObject({ code: 'invalid-request', message: expect.stringContaining(says) });
        expect(reply.error.message.startsWith(`path: ${path} is `)).toBe(true);
      }
      expect(await client.call('project.current', {})).toMatchObject({
        ok: true,
        result: { path: join(dir, 'project', 'lab.duckdb') },
      });
    } finally {
      release(pipe);
      closeSync(held);
    }
  });
});

describe('errors about an upload', () => {
  /** Uploads `bytes` as `name`; `then` may change its stored copy before it is read. */
  const upload = async (name: string, bytes: Buffer, then?: (stored: string) => void): Promise<FileRef> => {
    const response = await raw(`/upload?name=${encodeURIComponent(name)}&token=${host.token}`, {
      method: 'POST',
      body: bytes,
    });
    expect(response.status).toBe(200);
    const ref = JSON.parse(response.body) as FileRef & { kind: 'upload' };
    then?.(join(dir, 'project', '.lab-uploads', ref.id, ref.name));
    return ref;
  };

  /** Every path of this server a message might give away: its temporary folder, the project's, the uploads'. */
  const expectNoServerPath = (what: string, text: string) => {
    for (const secret of [tmpdir(), dir, '.lab-uploads', 'esmc-inspect-'])
      expect([what, text]).toEqual([what, expect.not.stringContaining(secret)]);
  };

  it('names the file by the user’s name, never by a path on the server, in files.inspect and in the import', async () => {
    const csv = Buffer.from('click,purchase\n1,0\n0,0\n');
    const pipes: string[] = [];
    const cases: { name: string; ref: FileRef; says: RegExp }[] = [
      {
        name: 'folder.csv',
        ref: await upload('folder.csv', csv, (stored) => {
          rmSync(stored);
          mkdirSync(stored);
        }),
        says: /directory/,
      },
      { name: 'gone.csv', ref: await upload('gone.csv', csv, (stored) => rmSync(stored)), says: /not found/ },
      {
        name: 'image.csv',
        ref: await upload('image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
        says: /PNG image/,
      },
      {
        name: 'broken.parquet',
        ref: await upload('broken.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7)])),
        says: /./,
      },
      {
        name: 'kernel.csv',
        ref: await upload('kernel.csv', csv, (stored) => {
          rmSync(stored);
          symlinkSync('/proc/self/status', stored);
        }),
        says: /is in \/proc/,
      },
      {
        name: 'pipe.csv',
        ref: await upload('pipe.csv', csv, (stored) => {
          rmSync(stored);
          execFileSync('mkfifo', [stored]);
          pipes.push(stored);
        }),
        says: /named pipe/,
      },
    ];
    try {
      for (const { name, ref, says } of cases) {
        const inspected = await within(10, client.call('files.inspect', { file: ref }));
        if (inspected.ok) throw new Error(`files.inspect read ${name}`);
        expectNoServerPath(`inspect ${name}`, JSON.stringify(inspected.error));
        expect(inspected.error.message).toContain(name);
        expect(inspected.error.message).toMatch(says);
        if (inspected.error.where) expect(inspected.error.where.file).toBe(name);

        // Refused before it starts, or failed as a job: named by the user's name either way.
        const started = await within(10, client.call('datasets.import', { file: ref }));
        if (!started.ok) {
          expectNoServerPath(`import ${name}`, JSON.stringify(started.error));
          expect(started.error.message).toContain(name);
          continue;
        }
        const { jobId } = started.result as { jobId: string };
        await expect
          .poll(() => client.events.find((e) => e.type === 'job' && e.job.id === jobId && e.job.state !== 'running'))
          .toMatchObject({ job: { state: 'failed' } });
        const failed = client.events.find((e) => e.type === 'job' && e.job.id === jobId && e.job.state === 'failed');
        if (failed?.type !== 'job' || !failed.job.error) throw new Error('no error');
        expectNoServerPath(`import ${name}`, JSON.stringify(failed.job.error));
        expect(failed.job.error.message).toContain(name);
      }
    } finally {
      pipes.forEach(release);
    }
  });
});

describe('esmc-lab serve and SIGTERM', () => {
  it('ends within a few seconds of SIGTERM while calls wait on a file that never answers', async () => {
    // A file system that never answers (a network drive that is down) for one regular file: opening stuck.csv
    // opens a named pipe nobody writes to, so the open waits in one of libuv's threads, as a hung mount's would.
    const pipe = fifo('never.fifo');
    const stuck = join(dir, 'stuck.csv');
    writeFileSync(stuck, 'click,purchase\n1,0\n');
    const runner = join(dir, 'serve-stuck.mts');
    writeFileSync(
      runner,
      `import { createRequire, syncBuiltinESMExports } from 'node:module';
const promises = createRequire(import.meta.url)('node:fs/promises');
const open = promises.open;
promises.open = (path, ...rest) => {
  if (!String(path).endsWith('stuck.csv')) return open(path, ...rest);
  process.stdout.write('waiting on stuck.csv\\n');
  return open(${JSON.stringify(pipe)}, ...rest);
};
syncBuiltinESMExports();
const { main } = await import(${JSON.stringify(join(repository, 'src-main/cli/main.ts'))});
process.exitCode = await main(process.argv.slice(2));
`,
    );
    const project = join(dir, 'stuck', 'lab.duckdb');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', runner, 'serve', '--project', project, '--port', '0', '--workers', '1'],
      { cwd: repository },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await expect.poll(() => /ESMC Lab is at (\S+)/.exec(output)?.[1], { timeout: 60_000 }).toBeTruthy();
      const url = new URL(/ESMC Lab is at (\S+)/.exec(output)![1]);
      const stuckClient = await WireClient.connect(`ws://${url.host}/api?token=${url.searchParams.get('token')}`);
      const file: FileRef = { kind: 'path', path: stuck };
      // One call waits itself; the other starts an import job, which stopping cancels and then waits for.
      void stuckClient.call('files.inspect', { file });
      const job = await stuckClient.call('datasets.import', { file });
      expect(job.ok).toBe(true);
      await expect.poll(() => output.match(/waiting on stuck\.csv/g)?.length ?? 0).toBe(2);

      const sent = Date.now();
      child.kill('SIGTERM');
      const ended = await Promise.race([
        exited,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000)),
      ]);
      expect(ended).not.toBe('still running');
      expect(Date.now() - sent).toBeLessThan(10_000);
      expect(output).toContain('stopping');
      expect(output).toMatch(/ending (now|the process)/);
    } finally {
      child.kill('SIGKILL');
      release(pipe);
    }
  });
});
