/**
 * A `report` process killed (SIGKILL: no handler runs) at points spread over its run, and once between writing the
 * PDF and renaming it into place, leaves no half-written PDF at its `--out`; the partial file a kill can leave is
 * removed when the project opens again, and the project's datasets and runs are as they were.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { trainRun } from '../../src-main/engine/run.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject } from '../../src-main/engine/store/project.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'esmc-report-killed-'));
const projectPath = join(dir, 'lab.duckdb');
// Where the app writes reports: the folder the project's opening cleans.
const reports = join(dir, 'lab-reports');
const out = join(reports, 'report.pdf');
const data = join(dir, 'funnel.csv');
const runner = join(dir, 'cli.mts');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  ms: number;
  stderr: string;
}

/**
 * Runs the CLI in a process of its own; resolves with its exit, after `killAfterMs` by SIGKILL when given. With
 * `killBeforeRename` the process kills itself (SIGKILL) when it renames a finished partial file into place.
 */
function cliProcess(args: string[], options: { killAfterMs?: number; killBeforeRename?: boolean } = {}) {
  const started = Date.now();
  const env = { ...process.env, ESMC_TEST_KILL_BEFORE_RENAME: options.killBeforeRename ? '1' : '' };
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], {
    cwd: repository,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const { killAfterMs } = options;
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, pid: child.pid!, ms: Date.now() - started, stderr });
    }),
  );
}

const reportArgs = ['report', '--project', projectPath, '--runs', 'all', '--out', out];

/** A whole PDF: its header first, its end-of-file marker last (pdfkit ends with `%%EOF` and a newline). */
function expectWholePdf(path: string): void {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(bytes.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
}

const partials = () => readdirSync(reports).filter((name) => name.includes('.partial-'));

/** What the project holds, to compare before and after: each dataset's rows, splits, runs and predictions. */
async function contents(): Promise<unknown> {
  const project = await openProject(projectPath);
  try {
    const datasets = [];
    for (const dataset of await project.datasets()) {
      const rows = await project.one(`SELECT count(*)::DOUBLE AS n FROM "${dataset.tableName}"`);
      datasets.push({ name: dataset.name, rows: dataset.rows, stored: Number(rows!.n) });
    }
    const splits = await project.all(
      `SELECT dataset, split, part, count(*)::DOUBLE AS n FROM splits GROUP BY ALL ORDER BY ALL`,
    );
    const runs = await project.all(
      `SELECT r.id, r.model, r.status, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id)::DOUBLE AS n
       FROM runs r ORDER BY r.id`,
    );
    const predictions = await project.one(`SELECT count(*)::DOUBLE AS n FROM predictions`);
    return { tables: await project.tables(), datasets, splits, runs, predictions: Number(predictions!.n) };
  } finally {
    project.close();
  }
}

describe('a report process killed mid-run', () => {
  let before: unknown;
  let whole: Exit;
  let wholePdf: Buffer;

  beforeAll(async () => {
    // The runner can make the process kill itself at the one moment a kill leaves a partial file: when the
    // finished PDF is renamed into place (`writeAtomically`). Builtin named exports follow syncBuiltinESMExports.
    writeFileSync(
      runner,
      [
        "import { createRequire, syncBuiltinESMExports } from 'node:module';",
        "if (process.env.ESMC_TEST_KILL_BEFORE_RENAME === '1') {",
        "  const promises = createRequire(import.meta.url)('node:fs/promises');",
        '  const rename = promises.rename;',
        '  promises.rename = (from, to) =>',
        "    /\\.partial-\\d+-[0-9a-f]{12}$/.test(String(from)) ? process.kill(process.pid, 'SIGKILL') : rename(from, to);",
        '  syncBuiltinESMExports();',
        '}',
        `const { main } = await import(${JSON.stringify(join(repository, 'src-main/cli/main.ts'))});`,
        'process.exitCode = await main(process.argv.slice(2));',
        '',
      ].join('\n'),
    );
    mkdirSync(reports);
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 5_000, seed: 11 }, data, { format: 'csv' });
    const project = await openProject(projectPath);
    try {
      await importDataset(project, data, { name: 'sim', split: { kind: 'random', seed: 1 } });
      await trainRun({
        source: { kind: 'project', project, dataset: 'sim' },
        models: ['chain', 'esmc'],
        trainConfig: { epochs: 2, progressIntervalMs: 60_000 },
        threads: 1,
      });
    } finally {
      project.close();
    }
    before = await contents();
    expect(before).toMatchObject({ datasets: [{ name: 'sim', rows: 5_000, stored: 5_000 }], predictions: 10_000 });
    // How long a whole report takes here (process start included): the kills are spread over it.
    whole = await cliProcess(reportArgs);
    expect(whole.code, whole.stderr).toBe(0);
    expectWholePdf(out);
    expect(partials()).toEqual([]);
    wholePdf = readFileSync(out);
  }, 120_000);

  it('leaves no PDF at --out unless it is whole, and the project as it was, wherever it was killed', async () => {
    const outcomes: string[] = [];
    for (const share of [0.1, 0.35, 0.6, 0.85]) {
      rmSync(out, { force: true });
      const killed = await cliProcess(reportArgs, { killAfterMs: Math.round(whole.ms * share) });
      // Killed before it ended: no file at all, or (killed after the rename) a whole one; ended: a whole one.
      if (killed.signal === 'SIGKILL') outcomes.push(existsSync(out) ? 'killed after the rename' : 'killed');
      else {
        expect(killed.code, killed.stderr).toBe(0);
        expect(existsSync(out)).toBe(true);
        outcomes.push('ended');
      }
      if (existsSync(out)) expectWholePdf(out);
      expect(await contents()).toEqual(before);
      expect(partials()).toEqual([]);
      expect(existsSync(`${projectPath}.tmp`)).toBe(false);
    }
    // The early kills land before the PDF exists.
    expect(outcomes.slice(0, 2)).toEqual(['killed', 'killed']);
  }, 240_000);

  it('leaves the report that was there and a partial file the next opening removes, when killed before the rename', async () => {
    // A report written before is at --out.
    writeFileSync(out, wholePdf);
    const was = readFileSync(out);
    const killed = await cliProcess(reportArgs, { killBeforeRename: true });
    // It died at the rename: the PDF was written to a partial file first, never to --out itself.
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(readFileSync(out).equals(was)).toBe(true);
    const left = partials();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^report\\.pdf\\.partial-${killed.pid}-[0-9a-f]{12}$`));
    expectWholePdf(join(reports, left[0]));
    // Opening the project again (as any command does) removes what the dead process left, and nothing else.
    expect(await contents()).toEqual(before);
    expect(partials()).toEqual([]);
    expect(readFileSync(out).equals(was)).toBe(true);
  }, 120_000);
});
