/**
 * Issue 17: a 10M-row predictions file streams through DuckDB into an external run, in a process whose peak RSS
 * stays under 2 GB. It runs the benchmark's own worker (bench/predictions-worker.ts): a narrow funnel (three labels
 * and one column, so building it costs the suite about ten seconds) and a predictions file of the same rows, then
 * the import alone in a process of its own. `npm run bench` writes the timed figure to bench/results.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPORT_TAG } from '../../bench/data.js';

const ROWS = Number(process.env.ESMC_LAB_LARGE_PREDICTION_ROWS ?? 10_000_000);
const repository = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'esmc-predictions-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function worker(...args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/predictions-worker.ts', '--dir', dir, ...args], {
    cwd: repository,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`)))),
  );
}

describe('a large predictions file', () => {
  it(`imports ${ROWS.toLocaleString('en-US')} rows as one run in under 2 GB of RSS`, async () => {
    await worker('--phase', 'setup', '--rows', String(ROWS));
    const line = (await worker('--phase', 'import')).split('\n').find((l) => l.startsWith(IMPORT_TAG))!;
    const result = JSON.parse(line.slice(IMPORT_TAG.length)) as Record<string, number | string>;
    expect(result).toMatchObject({ rows: ROWS, stored: ROWS, learned: 'learned' });
    expect(result.peakRssMiB).toBeLessThan(2048);
  }, 900_000);
});
