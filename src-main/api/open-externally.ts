import { spawn } from 'node:child_process';

/**
 * The platform's "open with the default application" command for `target`. No shell comes between: on Windows
 * `cmd /c start` would read & ^ % in a path as its own syntax, so rundll32's FileProtocolHandler, which opens
 * files and URLs alike, gets the target as one argument.
 */
export function openCommand(
  target: string,
  platform: NodeJS.Platform = process.platform,
): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [target] };
  if (platform === 'win32') return { command: 'rundll32.exe', args: ['url.dll,FileProtocolHandler', target] };
  return { command: 'xdg-open', args: [target] };
}

/**
 * Opens a file or URL with the system's default application (a PDF viewer, the browser). Resolves false when
 * no opener could start (e.g. a server without a desktop); it never throws, since opening is a convenience.
 */
export function openExternally(target: string): Promise<boolean> {
  const { command, args } = openCommand(target);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { detached: true, stdio: 'ignore' });
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
