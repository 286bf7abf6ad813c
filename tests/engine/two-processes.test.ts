/**
 * Two processes on one project file: while one holds it (a training on its dataset), a second that would write to
 * it (an import) or only read it (a report) waits about 3 s, then stops with exit code 1 and a message that names
 * the holding process, changing nothing; the first one's job completes whole, and once it has ended the same
 * command succeeds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject } from '../../src-main/engine/store/project.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'esmc-two-processes-'));
const projectPath = join(dir, 'lab.duckdb');
const first = join(dir, 'first.csv');
const second = join(dir, 'second.csv');
const pdf = join(dir, 'report.pdf');
const runner = join(dir, 'cli.mts');
const children: ChildProcess[] = [];
afterAll(() => {
  // A failed assertion must not leave a process running (and holding the project).
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** How long opening a project waits for another process to let go of it (LOCK_WAIT_MS in store/project.ts). */
const LOCK_WAIT_MS = 3000;

interface Exit {
  code: number | null;
  ms: number;
  stderr: string;
}

/**
 * The CLI in a process of its own: the child, what it wrote to stderr so far, and its exit. A `held` one loads the
 * CLI, says "ready" on stderr and runs the command only once `go()` is called: its start-up (seconds on two busy
 * cores) then lies before the moment measured, which is the command's alone.
 */
function cliProcess(args: string[], options: { held?: boolean } = {}) {
  let started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], {
    cwd: repository,
    env: { ...process.env, ESMC_TEST_HOLD: options.held ? '1' : '' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  children.push(child);
  const output = { stderr: '' };
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  if (!options.held) child.stdin!.end();
  const exit = new Promise<Exit>((resolve) =>
    child.on('close', (code) => resolve({ code, ms: Date.now() - started, stderr: output.stderr })),
  );
  const go = () => {
    started = Date.now();
    child.stdin!.end();
  };
  return { child, output, exit, go };
}

/** Resolves once the process has written `text` to stderr; fails when it ends first. */
async function written(cli: ReturnType<typeof cliProcess>, text: string): Promise<void> {
  for (;;) {
    if (cli.output.stderr.includes(text)) return;
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
      const { code, stderr } = await cli.exit;
      throw new Error(`the process ended (exit ${code}) before it wrote "${text}":\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each dataset with its stored rows, each run with its predictions; and that no predictions lack a run. */
async function contents() {
  const project = await openProject(projectPath);
  try {
    const datasets = [];
    for (const dataset of await project.datasets()) {
      const stored = await project.one(`SELECT count(*)::DOUBLE AS n FROM "${dataset.tableName}"`);
      datasets.push({ name: dataset.name, rows: dataset.rows, stored: Number(stored!.n) });
    }
    const runs = await project.all(
      `SELECT r.dataset, r.model, r.status, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id)::DOUBLE AS n
       FROM runs r ORDER BY r.started_at`,
    );
    const orphans = await project.one(
      `SELECT count(*)::DOUBLE AS n FROM predictions WHERE run_id NOT IN (SELECT id FROM runs)`,
    );
    const tables = (await project.tables()).filter((name) => name.startsWith('dataset_'));
    return {
      datasets,
      tables,
      runs: runs.map((run) => ({ ...run, n: Number(run.n) })),
      orphans: Number(orphans!.n),
    };
  } finally {
    project.close();
  }
}

describe('two processes on one project', () => {
  beforeAll(async () => {
    writeFileSync(
      runner,
      [
        `const { main } = await import(${JSON.stringify(join(repository, 'src-main/cli/main.ts'))});`,
        "if (process.env.ESMC_TEST_HOLD === '1') {",
        "  process.stderr.write('ready\\n');",
        "  await new Promise((resolve) => process.stdin.on('end', resolve).resume());",
        '}',
        'process.exitCode = await main(process.argv.slice(2));',
        '',
      ].join('\n'),
    );
    const preset = SIMULATOR_PRESETS['paper-like'];
    await writeSimulation({ ...preset, rows: 20_000, seed: 3 }, first, { format: 'csv' });
    await writeSimulation({ ...preset, rows: 2_000, seed: 4 }, second, { format: 'csv' });
    const project = await openProject(projectPath);
    try {
      await importDataset(project, first, { name: 'first', split: { kind: 'random', seed: 1 } });
    } finally {
      project.close();
    }
  }, 120_000);

  it('refuses the second after about 3 s, naming the first; changes nothing; lets it in once the first has ended', async () => {
    const importArgs = ['import', '--project', projectPath, '--data', second, '--name', 'second'];
    // A command that writes to the project and one that only reads it, started (not yet run) beside the holder;
    // and the same import again, for after the holder has ended.
    const writer = cliProcess(importArgs, { held: true });
    const reader = cliProcess(['report', '--project', projectPath, '--runs', 'all', '--out', pdf], { held: true });
    const later = cliProcess(importArgs, { held: true });
    // The holder: a training, which keeps the project open from before it reads the rows ("loaded …") until its
    // run is saved: about 20 s here (0.7 s an epoch on two cores), far beyond the others' 3 s wait even on a
    // machine several times faster.
    const holder = cliProcess([
      'train',
      ...['--project', projectPath, '--dataset', 'first', '--model', 'esmm'],
      ...['--epochs', '30', '--patience', 'none', '--threads', '1'],
    ]);
    await Promise.all([
      ...[writer, reader, later].map((cli) => written(cli, 'ready')),
      written(holder, 'loaded 20000 rows'),
    ]);
    writer.go();
    reader.go();
    const refusals = await Promise.all([writer.exit, reader.exit]);
    // Both were refused while the holder still ran (had it ended, they would have got the file).
    expect([holder.child.exitCode, holder.child.signalCode], holder.output.stderr).toEqual([null, null]);
    for (const refused of refusals) {
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(
        `${projectPath} is open in another program (process ${holder.child.pid}, another ESMC Lab or a DuckDB client); ` +
          'close it there and try again',
      );
      // It waited for the holder to let go, then gave up: not at once, not for ever.
      expect(refused.ms).toBeGreaterThanOrEqual(LOCK_WAIT_MS);
      expect(refused.ms).toBeLessThan(LOCK_WAIT_MS + 7_000);
    }
    expect(existsSync(pdf)).toBe(false);

    const held = await holder.exit;
    expect(held.code, held.stderr).toBe(0);
    // The holder's run is whole; nothing of the refused import is there.
    const after = await contents();
    expect(after).toEqual({
      datasets: [{ name: 'first', rows: 20_000, stored: 20_000 }],
      tables: [expect.stringMatching(/^dataset_\d+$/)],
      runs: [{ dataset: 'first', model: 'esmm', status: 'completed', n: 20_000 }],
      orphans: 0,
    });
    expect(existsSync(`${projectPath}.tmp`)).toBe(false);

    // The holder has ended: the same import succeeds.
    later.go();
    const again = await later.exit;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('open in another program');
    expect(await contents()).toEqual({
      ...after,
      datasets: [...after.datasets, { name: 'second', rows: 2_000, stored: 2_000 }],
      tables: [expect.stringMatching(/^dataset_\d+$/), expect.stringMatching(/^dataset_\d+$/)],
    });
  }, 180_000);
});
