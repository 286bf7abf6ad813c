import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createApiService, type ApiService } from '../../src-main/api/service.js';
import { openCommand, openExternally } from '../../src-main/api/open-externally.js';
import { fileUnder } from '../../src-main/host/static.js';
import { openProject } from '../../src-main/engine/store/project.js';
import { saveReport } from '../../src-main/engine/store/reports.js';
import { startHost, type Host } from '../../src-main/host/server.js';
import { defaultProjectPath, exposureWarning, isLoopback } from '../../src-main/cli/commands/serve.js';
import type { FileRef } from '../../src-shared/api/contract.js';
import { WireClient } from './wire-client.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
const repository = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let staticDir: string;
let service: ApiService;
let host: Host;

/** A raw HTTP request, path as given (fetch would normalise `..` away). */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Upgrades a raw TCP connection to /api (with `query`), then sends `bytes` as they are: frames no WebSocket
 * library would write. Resolves when the server has closed the connection.
 */
function rawFrames(query: string, bytes: Buffer): Promise<string> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let sent = false;
    socket.on('connect', () =>
      socket.write(
        `GET /api${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!sent && received.includes('\r\n\r\n')) {
        sent = true;
        socket.write(bytes);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => (received.startsWith('HTTP/1.1 101') ? resolve(received) : reject(new Error(received))));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-host-'));
  staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ESMC Lab</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  // A report the service wrote in an earlier session: the project records it, the host serves it.
  const reports = join(dir, 'project', 'lab-reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'funnel.pdf'), '%PDF-1.7 a report');
  writeFileSync(join(reports, 'ESMC report – paper-like – 2026-12-03.pdf'), '%PDF-1.7 a named report');
  symlinkSync(join(dir, 'secret.txt'), join(reports, 'linked.pdf'));
  const earlier = await openProject(join(dir, 'project', 'lab.duckdb'));
  const row = { createdAt: '2026-01-01T00:00:00.000Z', runs: ['a', 'b'], metadata: { title: 'Funnel' } };
  await saveReport(earlier, { ...row, id: 'report-1', path: join(reports, 'funnel.pdf') });
  const named = join(reports, 'ESMC report – paper-like – 2026-12-03.pdf');
  await saveReport(earlier, { ...row, id: 'report-2', path: named });
  // Rows someone wrote into the project by hand: files outside the reports folder.
  await saveReport(earlier, { ...row, id: 'crafted-1', path: join(dir, 'secret.txt') });
  await saveReport(earlier, { ...row, id: 'crafted-2', path: `${reports}/../../secret.txt` });
  await saveReport(earlier, { ...row, id: 'crafted-3', path: join(reports, 'linked.pdf') });
  await saveReport(earlier, { ...row, id: 'crafted-4', path: join(dir, 'project', 'lab.duckdb') });
  earlier.close();
  service = await createApiService({ projectPath: join(dir, 'project', 'lab.duckdb'), shell: 'browser', workers: 1 });
  host = await startHost({ service, staticDir });
});

afterAll(async () => {
  await host.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the browser host', () => {
  it('listens on 127.0.0.1 and prints a URL with a random session token', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/?token=${host.token}`);
    expect(host.token).toMatch(/^[\w-]{32}$/);
  });

  it('serves the built renderer with content types, index.html for / and for app routes', async () => {
    const index = await raw('/?token=x');
    expect([index.status, index.headers['content-type'], index.body]).toEqual([
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>ESMC Lab</title>',
    ]);
    const script = await raw('/assets/app.js');
    expect([script.status, script.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await raw('/results/compare')).body).toContain('ESMC Lab');
    expect((await raw('/assets/missing.png')).status).toBe(404);
    expect((await raw('/', { method: 'DELETE' })).status).toBe(405);
  });

  it('refuses paths that leave the renderer folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/%00',
    ]) {
      const response = await raw(path);
      expect(response.body).not.toContain('not for the web');
      expect([400, 404]).toContain(response.status);
    }
    expect(fileUnder('/srv/app', '/a/../b.js')).toBe('/srv/app/b.js');
    expect(fileUnder('/srv/app', '/../app2/x.js')).toBeNull();
    expect(fileUnder('/srv/app', '/%E0%A4%A')).toBeNull();
  });

  it('answers API calls over the WebSocket, with validation errors naming the field', async () => {
    const client = await WireClient.connect(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`);
    try {
      const current = await client.call('project.current', {});
      expect(current).toMatchObject({ ok: true, result: { name: 'lab', datasets: [] } });
      const bad = await client.call('stages.rows', { runIds: [], offset: 0, limit: 5 });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.error.issues?.[0]).toMatch(/^runIds: /);
      const unknown = await client.call('nope.nope', {});
      expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
      const unreadable = client.nextUnaddressed();
      client.send('{not json');
      expect(await unreadable).toMatchObject({ id: -1, ok: false, error: { code: 'invalid-request' } });
    } finally {
      client.close();
    }
  });

  it('takes an upload with the token, imports it by its FileRef and sends the job’s events to every client', async () => {
    const url = `${host.origin.replace('http', 'ws')}/api`;
    const a = await WireClient.connect(`${url}?token=${host.token}`);
    const b = await WireClient.connect(url, { 'x-esmc-token': host.token, origin: host.origin });
    try {
      const bytes = readFileSync(sample);
      const uploaded = await raw(`/upload?name=${encodeURIComponent('my funnel.csv')}&token=${host.token}`, {
        method: 'POST',
        body: bytes,
      });
      expect(uploaded.status).toBe(200);
      const ref = JSON.parse(uploaded.body) as FileRef;
      expect(ref).toMatchObject({ kind: 'upload', name: 'my funnel.csv' });

      const inspected = await a.call('files.inspect', { file: ref });
      expect(inspected).toMatchObject({ ok: true, result: { bytes: bytes.length, fileName: 'my funnel.csv' } });
      const started = await a.call('datasets.import', { file: ref });
      if (!started.ok) throw new Error(started.error.message);
      const { jobId } = started.result as { jobId: string };
      const done = (client: WireClient) =>
        new Promise<void>((resolve, reject) => {
          const check = setInterval(() => {
            const finished = client.events.find(
              (e) => e.type === 'job' && e.job.id === jobId && e.job.state !== 'running',
            );
            if (!finished) return;
            clearInterval(check);
            if (finished.type === 'job' && finished.job.state === 'done') resolve();
            else reject(new Error(JSON.stringify(finished)));
          }, 20);
        });
      await Promise.all([done(a), done(b)]);
      const listed = await b.call('datasets.list', {});
      expect(listed).toMatchObject({ ok: true, result: [{ name: 'my funnel', rows: 12000 }] });
      expect(b.events.some((e) => e.type === 'project')).toBe(true);

      // Bad data in an upload is reported against the name the user knows, not the server's copy.
      const broken = await raw(`/upload?name=broken.csv&token=${host.token}`, {
        method: 'POST',
        body: Buffer.from('click,purchase\n0,0\n1\n'),
      });
      const failing = await a.call('datasets.import', { file: JSON.parse(broken.body) as FileRef });
      if (!failing.ok) throw new Error(failing.error.message);
      const failedId = (failing.result as { jobId: string }).jobId;
      await expect
        .poll(() => a.events.find((e) => e.type === 'job' && e.job.id === failedId && e.job.state === 'failed'))
        .toMatchObject({ job: { error: { code: 'data-error', where: { file: 'broken.csv', line: 3 } } } });
    } finally {
      a.close();
      b.close();
    }
  });

  it('says that raw Ali-CCP cannot come as an upload, without naming a path on the server', async () => {
    const client = await WireClient.connect(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`);
    try {
      const uploaded = await raw(`/upload?name=sample_skeleton_train.csv&token=${host.token}`, {
        method: 'POST',
        body: Buffer.from('1,0,0,abc,1,101\x02123\x031.0\n'),
      });
      const file = JSON.parse(uploaded.body) as FileRef;
      const inspected = await client.call('files.inspect', { file });
      expect(inspected).toMatchObject({
        ok: true,
        result: { format: 'aliccp-raw', findings: [{ severity: 'error', code: 'raw-aliccp' }] },
      });
      for (const format of [undefined, 'aliccp-raw']) {
        const refused = await client.call('datasets.import', { file, format });
        if (refused.ok) throw new Error('the import started');
        expect(refused.error.code).toBe('invalid-request');
        expect(refused.error.message).toMatch(/^sample_skeleton_train\.csv is raw Ali-CCP/);
        expect(refused.error.message).toContain('desktop app');
        expect(refused.error.message).toContain('esmc-lab import');
        expect(refused.error.message).toContain('--format aliccp-raw');
        expect(refused.error.message).not.toContain(dir);
      }
    } finally {
      client.close();
    }
  });

  it('refuses connections and uploads without the right token, and WebSockets from other sites', async () => {
    const url = `${host.origin.replace('http', 'ws')}/api`;
    const closeCode = (href: string) =>
      new Promise<number>((resolve) => new WebSocket(href).once('close', (code) => resolve(code)));
    expect(await closeCode(url)).toBe(4401);
    expect(await closeCode(`${url}?token=wrong`)).toBe(4401);
    await expect(WireClient.connect(`${url}?token=${host.token}`, { origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    const upload = await raw('/upload?name=x.csv', { method: 'POST', body: Buffer.from('a,b\n') });
    expect(upload.status).toBe(401);
    const wrong = await raw('/upload?name=x.csv', {
      method: 'POST',
      headers: { 'x-esmc-token': 'wrong' },
      body: Buffer.from('a\n'),
    });
    expect(wrong.status).toBe(401);
    expect((await raw('/files/report-1')).status).toBe(401);
    expect((await raw(`/files/abc?token=${host.token}`)).status).toBe(404);
    expect((await raw(`/files/%E0%A4%A?token=${host.token}`)).status).toBe(400);
  });

  it('survives malformed and oversized WebSocket frames, from clients with the token and without', async () => {
    // A text frame, masked, that declares 2^32 bytes: over maxPayload before a byte of it arrives.
    const oversized = Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
    // A client's frame must be masked; this one is not.
    const unmasked = Buffer.from([0x81, 0x05, ...Buffer.from('hello')]);
    // A masked text frame whose payload is not UTF-8.
    const notUtf8 = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]);
    for (const query of [`?token=${host.token}`, '', '?token=wrong'])
      for (const bytes of [oversized, unmasked, notUtf8]) await rawFrames(query, bytes);
    const client = await WireClient.connect(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`);
    try {
      expect(await client.call('project.current', {})).toMatchObject({ ok: true });
    } finally {
      client.close();
    }
  });

  it('downloads a report the service wrote, by its file id', async () => {
    const pdf = await raw(`/files/report-1?token=${host.token}`);
    expect([pdf.status, pdf.headers['content-type'], pdf.headers['content-disposition'], pdf.body]).toEqual([
      200,
      'application/pdf',
      'attachment; filename="funnel.pdf"',
      '%PDF-1.7 a report',
    ]);
    // A name a header cannot carry as it is (the en dashes of "ESMC report – …"): ASCII beside the real name.
    const named = await raw(`/files/report-2?token=${host.token}`);
    expect([named.status, named.headers['content-disposition'], named.body]).toEqual([
      200,
      'attachment; filename="ESMC report - paper-like - 2026-12-03.pdf"; ' +
        "filename*=UTF-8''ESMC%20report%20%E2%80%93%20paper-like%20%E2%80%93%202026-12-03.pdf",
      '%PDF-1.7 a named report',
    ]);
  });

  it('downloads only files in the project’s reports folder, whatever the reports table says', async () => {
    for (const id of ['crafted-1', 'crafted-2', 'crafted-3', 'crafted-4']) {
      const response = await raw(`/files/${id}?token=${host.token}`);
      expect([id, response.status]).toEqual([id, 404]);
      expect(response.body).not.toContain('not for the web');
      expect(await service.files.written(id)).toBeUndefined();
    }
  });

  it('refuses an upload over the size limit and keeps nothing of it', async () => {
    const small = await startHost({ service, staticDir, uploadLimit: 100, token: 'a-fixed-token' });
    try {
      const uploads = join(dir, 'project', '.lab-uploads');
      const before = readdirSync(uploads).length;
      const { port } = new URL(small.origin);
      const status = await new Promise<number>((resolve, reject) => {
        // Chunked: the limit is enforced on the bytes, not on a declared length.
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/upload?name=big.csv',
            method: 'POST',
            headers: { 'x-esmc-token': 'a-fixed-token' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.write(Buffer.alloc(80, 'a'));
        req.end(Buffer.alloc(80, 'b'));
      });
      expect(status).toBe(413);
      expect(readdirSync(uploads)).toHaveLength(before);
    } finally {
      await small.close();
    }
  });

  it('sets no time limit on a whole request, and drops an upload that stalls, keeping nothing of it', async () => {
    expect(host.server.requestTimeout).toBe(0);
    expect(host.server.headersTimeout).toBeGreaterThan(0);
    const slow = await startHost({ service, staticDir, uploadIdleMs: 300, token: 'a-fixed-token' });
    try {
      const uploads = join(dir, 'project', '.lab-uploads');
      const count = () => (existsSync(uploads) ? readdirSync(uploads).length : 0);
      const before = count();
      const { port } = new URL(slow.origin);
      const outcome = await new Promise<string>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/upload?name=stalled.csv',
            method: 'POST',
            headers: { 'x-esmc-token': 'a-fixed-token', 'content-length': 1000 },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
          },
        );
        req.on('error', (error) => resolve(error.message));
        // A tenth of the body, then nothing.
        req.write(Buffer.alloc(100, 'a'));
      });
      expect(outcome).toBe('408 the upload sent nothing for 0 s');
      expect(count()).toBe(before);
    } finally {
      await slow.close();
    }
  });
});

describe('esmc-lab serve', () => {
  it('knows loopback addresses, warns loudly beyond them, and knows the default project', () => {
    expect(['127.0.0.1', '127.3.2.1', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '192.168.1.4', '::'].some(isLoopback)).toBe(false);
    expect(exposureWarning('127.0.0.1', 'abc', false)).toBeUndefined();
    expect(exposureWarning('0.0.0.0', 'generated-token', false)).toMatch(
      /0\.0\.0\.0.*\n.*Generated token: generated-token/,
    );
    expect(exposureWarning('0.0.0.0', 'secret-token', true)).not.toContain('secret-token');
    expect(defaultProjectPath({ XDG_DATA_HOME: '/data' })).toBe('/data/esmc-lab/esmc-lab.duckdb');
    expect(defaultProjectPath({ HOME: '/home/x' })).toMatch(/\/\.local\/share\/esmc-lab\/esmc-lab\.duckdb$/);
  });

  it('creates the default project, prints its URL, opens it, serves, and stops cleanly on Ctrl-C', async () => {
    const data = join(dir, 'xdg');
    const runner = join(dir, 'serve.mts');
    writeFileSync(
      runner,
      `import { main } from ${JSON.stringify(join(repository, 'src-main/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
    );
    // A stand-in for the desktop's opener records what --open asks it to open.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${JSON.stringify(join(dir, 'opened.txt'))}\n`, {
      mode: 0o755,
    });
    const child = spawn(process.execPath, ['--import', 'tsx', runner, 'serve', '--workers', '1', '--open'], {
      cwd: repository,
      env: { ...process.env, XDG_DATA_HOME: data, PATH: `${bin}:${process.env.PATH}` },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const check = setInterval(() => {
        const found = /ESMC Lab is at (\S+)/.exec(stdout);
        if (found) {
          clearInterval(check);
          resolve(found[1]);
        }
      }, 50);
      void exited.then(() => reject(new Error(`serve exited early:\n${stdout}`)));
    });
    const expectedProject = join(data, 'esmc-lab', 'esmc-lab.duckdb');
    expect(stdout).toContain(`project: ${expectedProject} (the default`);
    const { origin, searchParams } = new URL(url);
    const client = await WireClient.connect(`${origin.replace('http', 'ws')}/api?token=${searchParams.get('token')}`);
    expect(await client.call('project.current', {})).toMatchObject({ ok: true, result: { path: expectedProject } });
    await expect.poll(() => existsSync(join(dir, 'opened.txt'))).toBe(true);
    expect(readFileSync(join(dir, 'opened.txt'), 'utf8').trim()).toBe(url);
    const closed = new Promise((resolve) => client.socket.once('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await closed;
    expect(stdout).toContain('stopped');
  });

  it('opens with each platform’s opener, giving it the path as one argument with no shell between', () => {
    const path = 'C:\\Users\\a & b\\100% ^report.pdf';
    expect(openCommand(path, 'win32')).toEqual({
      command: 'rundll32.exe',
      args: ['url.dll,FileProtocolHandler', path],
    });
    expect(openCommand('/a & b/x.pdf', 'darwin')).toEqual({ command: 'open', args: ['/a & b/x.pdf'] });
    expect(openCommand('/a & b/x.pdf', 'linux')).toEqual({ command: 'xdg-open', args: ['/a & b/x.pdf'] });
  });

  it('opens with the system opener, and says so when there is none', async () => {
    const bin = join(dir, 'opener');
    const record = join(dir, 'opener.txt');
    mkdirSync(bin);
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${JSON.stringify(record)}\n`, { mode: 0o755 });
    const path = process.env.PATH;
    try {
      process.env.PATH = bin;
      expect(await openExternally('http://127.0.0.1:1/?token=t')).toBe(true);
      await expect
        .poll(() => existsSync(record) && readFileSync(record, 'utf8').trim())
        .toBe('http://127.0.0.1:1/?token=t');
      process.env.PATH = join(dir, 'no-such-folder');
      expect(await openExternally('http://127.0.0.1:1/')).toBe(false);
    } finally {
      process.env.PATH = path;
    }
  });
});
