import { existsSync } from 'node:fs';
import { listRuns } from '../../engine/store/runs.js';
import { openProject, type Project } from '../../engine/store/project.js';
import { writeReportForRuns, type PageSize } from '../../report/index.js';
import { oneOf, print, printError, required, UsageError, type Command, type Values } from '../command.js';

export const reportCommand: Command = {
  summary: 'write a PDF report of stored runs: data, models, metrics, calibration, PSC analysis',
  usage:
    'esmc-lab report --project P.duckdb --runs ID,ID,…|all [--dataset D] [--out report.pdf] [--page-size A4|Letter]',
  options: {
    project: { type: 'string' },
    runs: { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string', default: 'report.pdf' },
    'page-size': { type: 'string' },
    title: { type: 'string' },
  },
  help: `The first page answers the analyst's question for a manager: the PSC verdict as the app words it, key
figures, which model to trust and why, and the caveats. Then the numbers the app shows (gathered with the same
views): the dataset's profile and funnel with its PSC share, import findings, each model's formula and
hyper-parameters, training curves, metrics on the test split with 95% intervals and pairwise DeLong tests,
calibration per stage, the PSC analysis (chained vs constrained estimates, Δ, per-slice gaps, decomposition),
error against the truth for simulated data, and an appendix with identifiers, settings and definitions. Charts
are vector graphics; no browser is needed. See docs/report.md.

Options:
  --project FILE       the project's DuckDB file
  --runs IDS|all       run ids (or their first characters), comma-separated; "all": every run of the dataset
  --dataset NAME       with --runs all: whose runs (needed when the project has several datasets)
  --out FILE           default report.pdf; written whole or not at all
  --page-size SIZE     A4 (default) or Letter
  --title TEXT         default "Do purchases bypass the in-shop action? — <dataset>"`,
  run: runReport,
};

async function runReport(values: Values): Promise<number> {
  const projectPath = required(values, 'project');
  const runsOption = required(values, 'runs');
  const pageSize = oneOf<PageSize>(values, 'page-size', ['A4', 'Letter'], 'A4');
  const out = String(values.out);
  if (!existsSync(projectPath))
    throw new UsageError(`no project at ${projectPath}; create one with esmc-lab import --project ${projectPath}`);
  const project = await openProject(projectPath);
  return interruptible(
    out,
    async (signal) => {
      const runIds = await selectRuns(project, runsOption, values.dataset as string | undefined);
      const written = await writeReportForRuns(project, runIds, {
        out,
        pageSize,
        title: values.title as string | undefined,
        signal,
        onProgress: progressLine(),
      });
      endProgressLine(true);
      print(`wrote ${written.path}: ${written.pages} pages, ${written.bytes} bytes, ${written.seconds.toFixed(1)} s`);
      return 0;
    },
    () => project.close(),
  );
}

/**
 * Runs `work` with Ctrl-C aborting its signal; interrupted, it exits 130 saying `out` was not written (the
 * report is written atomically, so that is true). `cleanup` runs in every case.
 */
export async function interruptible(
  out: string,
  work: (signal: AbortSignal) => Promise<number>,
  cleanup: () => unknown,
): Promise<number> {
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      printError(`\ninterrupted; nothing was written to ${out}`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    await cleanup();
  }
}

/** Full ids, unique prefixes of ids, or "all" runs of the dataset; an unknown or ambiguous id is a usage error. */
export async function selectRuns(project: Project, option: string, dataset?: string): Promise<string[]> {
  const runs = await listRuns(project);
  if (option.trim() === 'all') {
    const datasets = [...new Set(runs.map((r) => r.dataset).filter((d): d is string => d !== null))];
    if (datasets.length === 0) throw new UsageError(`${project.path} has no runs on a dataset; train some first`);
    const chosen = dataset ?? (datasets.length === 1 ? datasets[0] : undefined);
    if (!chosen)
      throw new UsageError(`--runs all: the project has runs on ${datasets.join(', ')}; choose one with --dataset`);
    const ids = runs.filter((r) => r.dataset === chosen).map((r) => r.id);
    if (ids.length === 0)
      throw new UsageError(`--dataset: no runs on "${chosen}"; the project has runs on ${datasets.join(', ')}`);
    return ids;
  }
  return option
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => {
      const matches = runs.filter((r) => r.id === text || r.id.startsWith(text));
      if (matches.length === 1) return matches[0].id;
      if (matches.length > 1)
        throw new UsageError(
          `--runs: "${text}" matches ${matches.length} runs (${matches.map((r) => r.id).join(', ')})`,
        );
      throw new UsageError(
        `--runs: no run "${text}" in ${project.path}; its runs are ${runs.map((r) => `${r.id.slice(0, 8)} (${r.model})`).join(', ') || 'none'}`,
      );
    });
}

/** Ends a terminal's rewritten progress line, so that what follows starts on a line of its own. */
export function endProgressLine(progress: unknown): void {
  if (progress && process.stderr.isTTY) process.stderr.write('\n');
}

/** Progress on stderr: one rewritten line on a terminal, a line per step otherwise. */
export function progressLine(): (fraction: number, message: string) => void {
  const interactive = process.stderr.isTTY;
  let last = '';
  return (fraction, message) => {
    if (message === last) return;
    last = message;
    const line = `[${String(Math.round(fraction * 100)).padStart(3)}%] ${message}`;
    process.stderr.write(interactive ? `\r${line.padEnd(70)}` : `${line}\n`);
  };
}
