/** The Electron main process's entry (package.json "main"). */
import { app, dialog } from 'electron';
import { runDesktopApp } from './app.js';

runDesktopApp(process.argv).catch((error: unknown) => {
  dialog.showErrorBox('ESMC Lab could not start', error instanceof Error ? error.message : String(error));
  app.exit(1);
});
