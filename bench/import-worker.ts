/**
 * One import measured in its own process (so peak RSS is the import's alone): a simulated CSV of `--rows`
 * rows (paper-like preset) is written to a temp folder, then imported into a new project with validation,
 * encoding, profile and a random split — what `esmc-lab import` does. Prints one JSON line.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importDataset } from '../src-main/engine/importers/import.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../src-main/engine/simulate/simulator.js';
import { openProject } from '../src-main/engine/store/project.js';
import { createSplit } from '../src-main/engine/store/splits.js';
import { IMPORT_TAG } from './data.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const rows = Number(values.rows);
const dir = mkdtempSync(join(os.tmpdir(), 'esmc-bench-import-'));
try {
  const csv = join(dir, 'sim.csv');
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows }, csv, { format: 'csv' });
  const project = await openProject(join(dir, 'bench.duckdb'));
  const started = performance.now();
  await importDataset(project, csv, { name: 'sim' });
  const imported = performance.now();
  await createSplit(project, 'sim', { kind: 'random' });
  const split = performance.now();
  project.close();
  const result = {
    rows,
    megabytes: statSync(csv).size / 2 ** 20,
    importSeconds: (imported - started) / 1000,
    splitSeconds: (split - imported) / 1000,
    rowsPerSecond: rows / ((imported - started) / 1000),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${IMPORT_TAG}${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
