import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { importDataset } from '../../engine/importers/import.js';
import { trainRun, type RunRecord } from '../../engine/run.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../engine/simulate/simulator.js';
import { openProject, type Project } from '../../engine/store/project.js';
import { writeReportForRuns, type PageSize } from '../../report/index.js';
import {
  backendHelp,
  backendName,
  backendOption,
  integer,
  oneOf,
  print,
  UsageError,
  type Command,
  type Values,
} from '../command.js';
import { table } from '../format.js';
import { endProgressLine, interruptible, progressLine } from './report.js';
import { progressPrinter } from './train.js';
import { settingOptions, settingsFrom, settingsHelp } from '../settings.js';

const MODELS = ['chain', 'esm2', 'esmc'];
const PRESET = 'paper-like';
/** Trains with the lab's defaults (auto settings sized to the data), as an analyst's first run would. */
const DEMO = { rows: 50_000 };

export const demoCommand: Command = {
  summary: 'the first thing to run: simulate, import, train chain, esm2 and esmc, analyse, write a PDF report',
  usage: 'esmc-lab demo [--out demo.pdf] [--rows N] [--project demo.duckdb] [training options]',
  options: {
    out: { type: 'string', default: 'demo.pdf' },
    rows: { type: 'string' },
    ...settingOptions,
    project: { type: 'string' },
    'page-size': { type: 'string' },
    ...backendOption,
  },
  help: `Simulates the ${PRESET} preset (${SIMULATOR_PRESETS[PRESET].pscShare * 100}% of purchases without an in-shop action,
true probabilities known), imports it into a project, trains ${MODELS.join(', ')} on its stored split, prints
their test AUCs, and writes the report (esmc-lab report) with the PSC analysis and the error against the truth.
The project is kept beside the PDF, with its base name (demo.pdf → demo.duckdb), to open in the app; a second
demo adds its dataset and runs to it (paper-like-50000-2, …) and reports only the new runs.

Options:
  --out FILE          the PDF, default demo.pdf
  --rows N            simulated exposures, default ${DEMO.rows}
  --project FILE      the project (dataset, runs, predictions); default beside --out with its base name
  --page-size SIZE    A4 (default) or Letter
Training options, as for esmc-lab train (--seed also seeds the simulation):
${settingsHelp}
${backendHelp}`,
  run: runDemo,
};

async function runDemo(values: Values): Promise<number> {
  const rows = integer(values, 'rows', DEMO.rows);
  if (rows < 2000)
    throw new UsageError(`--rows must be at least 2000 for the test split to hold purchases; got ${rows}`);
  const settings = settingsFrom(values);
  const seed = settings.trainConfig.seed ?? 1;
  const pageSize = oneOf<PageSize>(values, 'page-size', ['A4', 'Letter'], 'A4');
  const out = String(values.out);
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'esmc-demo-'));
  const projectPath =
    typeof values.project === 'string' ? values.project : join(dirname(out), `${basename(out, extname(out))}.duckdb`);
  let project: Project | undefined;
  return interruptible(
    out,
    async (signal) => {
      const step = (text: string) =>
        process.stderr.write(`${text} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      step(`Simulating ${rows} exposures (${PRESET})`);
      const csv = join(work, `${PRESET}.csv`);
      await writeSimulation({ ...SIMULATOR_PRESETS[PRESET], rows, seed }, csv, { format: 'csv', signal });
      project = await openProject(projectPath);
      const dataset = await freeName(project, `${PRESET}-${rows}`);
      step(`Importing into ${projectPath} as "${dataset}"`);
      await importDataset(project, csv, { name: dataset, format: 'simulator', signal });
      step(`Training ${MODELS.join(', ')}`);
      const records = await trainRun({
        source: { kind: 'project', project, dataset },
        models: MODELS,
        modelConfig: { ...settings.modelConfig, seed },
        trainConfig: { ...settings.trainConfig, seed },
        backend: backendName(values.backend),
        onEvent: progressPrinter(),
        signal,
      });
      signal.throwIfAborted();
      print(aucTable(records));
      step('Analysing and writing the report');
      const written = await writeReportForRuns(
        project,
        records.map((r) => r.id),
        {
          out,
          pageSize,
          demo: { preset: PRESET, rows, pscShare: SIMULATOR_PRESETS[PRESET].pscShare, models: MODELS },
          signal,
          onProgress: progressLine(),
        },
      );
      endProgressLine(true);
      print(
        `wrote ${written.path}: ${written.pages} pages in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
          `the dataset and runs are in ${projectPath}\nopen it with: esmc-lab start --project ${shellWord(projectPath)}`,
      );
      return 0;
    },
    async () => {
      project?.close();
      await rm(work, { recursive: true, force: true });
    },
  );
}

/** A path as one word of a shell command line: quoted when it has anything but plain characters. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** `base`, or `base-2`, `base-3`, … when a kept project already has a dataset of that name. */
async function freeName(project: Project, base: string): Promise<string> {
  for (let k = 1; ; k++) {
    const name = k === 1 ? base : `${base}-${k}`;
    if (!(await project.findDataset(name))) return name;
  }
}

function aucTable(records: RunRecord[]): string {
  const metrics = ['cvr_auc', 'ctcvr_auc', 'ctr_auc', 'avr_auc'];
  return `${table(
    ['model', 'status', ...metrics],
    records.map((r) => [r.model, r.status, ...metrics.map((m) => r.metrics.test?.[m] ?? NaN)]),
  )}\ntest split AUCs (0.5 = no better than chance)`;
}
