/**
 * A process killed (SIGKILL: no handler runs) at points spread over an import with its split and over a training
 * leaves a project that opens, holds whole datasets and whole runs only, and keeps no spill files: every job is one
 * transaction, and DuckDB's write-ahead log replays or drops what was in flight.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'esmc-killed-'));
const projectPath = join(dir, 'lab.duckdb');
const data = join(dir, 'funnel.csv');
const runner = join(dir, 'cli.mts');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in a process of its own; resolves with its exit, after `killAfterMs` by SIGKILL when given. */
function cliProcess(args: string[], killAfterMs?: number): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], { cwd: repository, stdio: 'ignore' });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - started });
    }),
  );
}

/** What a sound project holds: each dataset's table and split whole, each run's predictions whole or none. */
async function checkWhole(project: Project): Promise<{ datasets: string[]; runs: number }> {
  const datasets = await project.datasets();
  for (const dataset of datasets) {
    const rows = Number((await project.one(`SELECT count(*)::DOUBLE AS n FROM "${dataset.tableName}"`))!.n);
    expect(rows).toBe(dataset.rows);
    const splits = await project.all(
      `SELECT split, count(*)::DOUBLE AS n FROM splits WHERE dataset = $1 GROUP BY split`,
      [dataset.name],
    );
    for (const split of splits) expect(Number(split.n)).toBe(dataset.rows);
  }
  const runs = await project.all(
    `SELECT r.id, r.status, d.rows::DOUBLE AS rows, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id)::DOUBLE AS n
     FROM runs r JOIN datasets d ON d.name = r.dataset`,
  );
  for (const run of runs) expect([0, Number(run.rows)]).toContain(Number(run.n));
  const orphans = await project.one(
    `SELECT count(*)::DOUBLE AS n FROM predictions WHERE run_id NOT IN (SELECT id FROM runs)`,
  );
  expect(Number(orphans!.n)).toBe(0);
  return { datasets: datasets.map((d) => d.name), runs: runs.length };
}

describe('a process killed mid-job', () => {
  beforeAll(async () => {
    writeFileSync(
      runner,
      `const { main } = await import(${JSON.stringify(join(repository, 'src-main/cli/main.ts'))});\n` +
        'process.exitCode = await main(process.argv.slice(2));\n',
    );
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 40_000, seed: 5 }, data, { format: 'csv' });
    const project = await openProject(projectPath);
    try {
      await importDataset(project, data, { name: 'first' });
    } finally {
      project.close();
    }
  }, 120_000);

  it('leaves an import with its split whole or absent, wherever it was killed', async () => {
    // How long a whole import takes here (process start included): the kills are spread over it.
    const whole = await cliProcess([
      'import',
      '--project',
      projectPath,
      '--data',
      data,
      '--name',
      'timed',
      '--split',
      'random',
    ]);
    expect(whole.code).toBe(0);
    const seen = new Set<string>();
    for (const [i, share] of [0.35, 0.55, 0.75, 0.9].entries()) {
      const killed = await cliProcess(
        ['import', '--project', projectPath, '--data', data, '--name', `killed-${i}`, '--split', 'random'],
        Math.round(whole.ms * share),
      );
      const project = await openProject(projectPath);
      try {
        const { datasets } = await checkWhole(project);
        expect(datasets.slice(0, 2)).toEqual(['first', 'timed']);
        const kept = datasets.includes(`killed-${i}`);
        seen.add(kept ? 'kept' : 'rolled back');
        if (kept)
          expect((await project.all(`SELECT 1 FROM split_info WHERE dataset = $1`, [`killed-${i}`])).length).toBe(1);
        // An import that ended kept all of it. A kill between the commit and the process's exit (more likely while
        // another test file loads the other core) also leaves it whole, so a kill alone says nothing of `kept`.
        if (killed.code === 0) expect(kept).toBe(true);
      } finally {
        project.close();
      }
      expect(existsSync(`${projectPath}.tmp`)).toBe(false);
    }
    expect(seen.has('rolled back')).toBe(true);
  }, 240_000);

  it('leaves only whole runs when a training is killed', async () => {
    const trainArgs = ['train', '--project', projectPath, '--dataset', 'first', '--model', 'esmm', '--epochs', '2'];
    const whole = await cliProcess(trainArgs);
    expect(whole.code).toBe(0);
    for (const share of [0.5, 0.8]) {
      await cliProcess(trainArgs, Math.round(whole.ms * share));
      const project = await openProject(projectPath);
      try {
        const { runs } = await checkWhole(project);
        expect(runs).toBeGreaterThanOrEqual(1);
      } finally {
        project.close();
      }
    }
  }, 240_000);
});
