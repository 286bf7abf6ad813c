import { spawn } from 'node:child_process';

/** The platform's "open with the default application" command. */
function opener(): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Opens a file or URL with the system's default application (a PDF viewer, the browser). Resolves false when
 * no opener could start (e.g. a server without a desktop); it never throws, since opening is a convenience.
 */
export function openExternally(target: string): Promise<boolean> {
  const { command, args } = opener();
  return new Promise((resolve) => {
    try {
      const child = spawn(command, [...args, target], { detached: true, stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
