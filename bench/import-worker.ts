/**
 * One import measured in its own process (so peak RSS is the imports' alone): a simulated file of `--rows`
 * rows (paper-like preset, `--format csv|parquet`) is written to a temp folder, then, `--rounds` times, imported
 * into a new project with validation, encoding, profile and a random split — what `esmc-lab import` does — under
 * the import's DuckDB memory limit, each import followed by DuckDB's plain read of the same file in the same
 * project. Prints one JSON line.
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

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    format: { type: 'string', default: 'csv' },
    rounds: { type: 'string', default: '1' },
  },
});
const rows = Number(values.rows);
const format = values.format === 'parquet' ? 'parquet' : 'csv';
const dir = mkdtempSync(join(os.tmpdir(), 'esmc-bench-import-'));
try {
  const file = join(dir, `sim.${format}`);
  await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows }, file, { format });
  const writtenPeakRssMiB = process.resourceUsage().maxRSS / 1024;
  const rounds = [];
  for (let round = 0; round < Number(values.rounds); round++) rounds.push(await measureRound(file, round));
  const result = {
    rows,
    format,
    megabytes: statSync(file).size / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    writtenPeakRssMiB,
    rounds,
  };
  process.stdout.write(`${IMPORT_TAG}${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** One import of `file` into a new project, its split, and DuckDB's plain reads of the file beside it. */
async function measureRound(file: string, round: number) {
  const projectFile = join(dir, `bench-${round}.duckdb`);
  const project = await openProject(projectFile);
  try {
    const started = performance.now();
    // Each step's seconds and the highest RSS seen while it ran (sampled: DuckDB works off the event loop).
    const steps: { step: string; seconds: number; peakRssMiB: number }[] = [];
    let stepStarted = started;
    let stepPeak = 0;
    const sampler = setInterval(() => (stepPeak = Math.max(stepPeak, process.memoryUsage.rss())), 50);
    const endStep = (step: string) => {
      const now = performance.now();
      stepPeak = Math.max(stepPeak, process.memoryUsage.rss());
      steps.push({ step, seconds: (now - stepStarted) / 1000, peakRssMiB: stepPeak / 2 ** 20 });
      stepStarted = now;
      stepPeak = 0;
    };
    await importDataset(project, file, { name: 'sim', onStep: endStep });
    endStep('committed');
    clearInterval(sampler);
    const imported = performance.now();
    await createSplit(project, 'sim', { kind: 'random' });
    const split = performance.now();
    // DuckDB's own read of the same file into a table, in the same process and round: what the import is up
    // against. Into a table of the project, as the import writes its dataset, and into a temp table (memory,
    // nothing stored).
    const reader = `${format === 'parquet' ? 'read_parquet' : 'read_csv'}('${file.replaceAll("'", "''")}')`;
    const timed = async (sql: string) => {
      const started = performance.now();
      await project.run(sql);
      return (performance.now() - started) / 1000;
    };
    const plainReadSeconds = await timed(`CREATE TABLE plain_read AS SELECT * FROM ${reader}`);
    const plainTempReadSeconds = await timed(`CREATE TEMP TABLE plain_temp_read AS SELECT * FROM ${reader}`);
    return {
      importSeconds: (imported - started) / 1000,
      importPeakRssMiB: Math.max(...steps.map((step) => step.peakRssMiB)),
      splitSeconds: (split - imported) / 1000,
      steps,
      plainReadSeconds,
      plainTempReadSeconds,
    };
  } finally {
    project.close();
    rmSync(projectFile, { force: true });
    rmSync(`${projectFile}.wal`, { force: true });
    rmSync(`${projectFile}.tmp`, { recursive: true, force: true });
  }
}
