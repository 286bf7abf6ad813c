/**
 * The utility process's entry: the API service (engine, DuckDB, tfjs) runs here, away from the window, so a
 * crash in native code ends this process only; the main process answers what was pending and restarts it.
 */
import { createApiService } from '../api/service.js';
import { projectArgument } from './paths.js';
import { serveApi } from './service-port.js';

const projectPath = projectArgument(process.argv) ?? undefined;

/** A project that cannot be opened (moved, damaged, locked) leaves the app usable without one; the user opens another. */
async function start() {
  try {
    return await createApiService({ projectPath, shell: 'electron' });
  } catch (error) {
    if (!projectPath) throw error;
    console.error(`ESMC Lab could not open ${projectPath}: ${(error as Error).message}`);
    return createApiService({ shell: 'electron' });
  }
}

serveApi(process.parentPort, start(), (code) => process.exit(code));
