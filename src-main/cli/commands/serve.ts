import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiService } from '../../api/service.js';
import { openExternally } from '../../api/open-externally.js';
import { DEFAULT_UPLOAD_LIMIT, startHost } from '../../host/server.js';
import {
  backendHelp,
  backendName,
  backendOption,
  integer,
  print,
  printError,
  UsageError,
  type Command,
  type Values,
} from '../command.js';

/** How long stopping may take before the process ends anyway. */
export const STOP_GRACE_MS = 5_000;

/** `$XDG_DATA_HOME/esmc-lab/esmc-lab.duckdb`, or under ~/.local/share when XDG_DATA_HOME is unset. */
export function defaultProjectPath(env: NodeJS.ProcessEnv = process.env): string {
  const data =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(data, 'esmc-lab', 'esmc-lab.duckdb');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The built renderer: dist/renderer in the package, found from src-main/ (tests) or dist/src-main/ (built). */
function rendererDir(): string {
  for (const up of ['../../../dist/renderer', '../../../../dist/renderer']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return fileURLToPath(new URL('../../../dist/renderer', import.meta.url));
}

/**
 * What to say when the lab listens beyond this machine: that it is reachable, and the token when the user did
 * not choose it (they need it to connect from elsewhere). Nothing on a loopback address.
 */
export function exposureWarning(host: string, token: string, chosenToken: boolean): string | undefined {
  if (isLoopback(host)) return undefined;
  const banner = '!'.repeat(78);
  const lines = [
    banner,
    `  Listening on ${host}: anyone who can reach this address and has the token can use the lab.`,
    chosenToken ? '  The token is the one given with --token.' : `  Generated token: ${token}`,
    banner,
  ];
  return lines.join('\n');
}

export const serveCommand: Command = {
  summary: 'serve the lab to a web browser (HTTP + WebSocket) instead of the desktop window',
  usage: 'esmc-lab serve [--project FILE] [--host 127.0.0.1] [--port 0] [--open] [--token T]',
  options: {
    project: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    open: { type: 'boolean', default: false },
    token: { type: 'string' },
    workers: { type: 'string' },
    'upload-limit': { type: 'string' },
    ...backendOption,
  },
  help: `Runs the same API the desktop app uses, for a browser: the page, a WebSocket for calls and events, and
uploads of data files. Every connection must present the session token in the printed URL, so other users and
other sites cannot use it. Ctrl-C (or SIGTERM) stops the server, cancels running jobs and closes the project;
when that takes over ${STOP_GRACE_MS / 1000} s (a call waiting on a file system that does not answer), the process
ends anyway.

Options:
  --project FILE       the project's DuckDB file, created when missing
                       (default ${defaultProjectPath()})
  --host H             the address to listen on (default 127.0.0.1, this machine only); any other address
                       exposes the lab to the network and needs --token or shows the generated one
  --port N             default 0: any free port
  --open               open the URL in the default browser
  --token T            the session token (default: a random one per start)
  --workers N          worker threads for training at most (default: the number of cores)
  --upload-limit BYTES largest upload accepted (default ${DEFAULT_UPLOAD_LIMIT}, 8 GiB)
${backendHelp}`,
  run: runServe,
};

async function runServe(values: Values): Promise<number> {
  const host = String(values.host);
  const port = integer(values, 'port', 0);
  if (port < 0 || port > 65535) throw new UsageError(`--port must be in [0, 65535]; got ${port}`);
  const workers = values.workers === undefined ? undefined : integer(values, 'workers', 1);
  if (workers !== undefined && workers < 1) throw new UsageError(`--workers must be ≥ 1; got ${workers}`);
  const uploadLimit = integer(values, 'upload-limit', DEFAULT_UPLOAD_LIMIT);
  if (uploadLimit < 1) throw new UsageError(`--upload-limit must be ≥ 1; got ${uploadLimit}`);
  const token = typeof values.token === 'string' ? values.token : undefined;
  if (token !== undefined && token.length < 8) throw new UsageError('--token must have at least 8 characters');
  const projectPath = typeof values.project === 'string' ? values.project : defaultProjectPath();

  // Beyond this machine, a browser may only upload: it must not name the server's own files by path.
  const service = await createApiService({
    projectPath,
    shell: 'browser',
    backend: backendName(values.backend),
    workers,
    localPaths: isLoopback(host),
  });
  const served = await startHost({ service, host, port, token, staticDir: rendererDir(), uploadLimit }).catch(
    async (error: unknown) => {
      await service.close();
      throw error;
    },
  );
  print(`project: ${projectPath}${values.project === undefined ? ' (the default; --project FILE to choose)' : ''}`);
  print(`ESMC Lab is at ${served.url}`);
  const warning = exposureWarning(host, served.token, token !== undefined);
  if (warning) printError(warning);
  if (values.open && !(await openExternally(served.url)))
    printError(`warning: could not open a browser; open ${served.url} yourself`);

  // Without handlers left, a second Ctrl-C (or SIGTERM) ends the process at once.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(received);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  print('stopping: closing connections, cancelling jobs, closing the project');
  let stopped = false;
  endAnyway(signal, () =>
    stopped
      ? 'a call is still waiting on the file system; ending the process'
      : `could not stop within ${STOP_GRACE_MS / 1000} s (a call waits on something that does not answer); ending now`,
  );
  await served.close();
  await service.close();
  stopped = true;
  print('stopped');
  return 0;
}

/**
 * Ends the process STOP_GRACE_MS after `signal` if it is still running by then. A call can wait for ever on a file
 * system that does not answer, and with it a job that close() waits for; and it holds one of libuv's threads,
 * which process.exit() joins, so exiting would wait too. The signal's default action does not wait: with no
 * handler left, the signal is raised again. The timer keeps nothing alive: a process that stopped ends first.
 */
function endAnyway(signal: NodeJS.Signals, why: () => string): void {
  setTimeout(() => {
    printError(why());
    process.kill(process.pid, signal);
    // A handler some library added would catch the signal; SIGKILL cannot be caught.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000).unref();
  }, STOP_GRACE_MS).unref();
}
