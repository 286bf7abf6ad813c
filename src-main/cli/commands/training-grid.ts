import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { writeTextAtomically } from '../../engine/files.js';
import {
  DEFAULT_GRID,
  GRID_STAGES,
  runTrainingGrid,
  compareToGrid,
  type GridComparison,
  type GridRun,
  type TrainingGridConfig,
  type TrainingGridResult,
} from '../../engine/experiments/training-grid.js';
import { isModelName, MODEL_NAMES, type ModelName } from '../../engine/models/index.js';
import { SIMULATOR_PRESETS } from '../../engine/simulate/simulator.js';
import { backendName, integer, print, UsageError, type Options, type Values } from '../command.js';
import { table } from '../format.js';

/** What "auto is good enough" means (issue 14): AUC within this of the grid's best, pCVR within this factor. */
export const AUC_TOLERANCE = 0.02;
export const CVR_FACTOR = 1.5;

const START = '<!-- training-grid:start -->';
const END = '<!-- training-grid:end -->';

export const trainingGridOptions: Options = {
  sizes: { type: 'string' },
  presets: { type: 'string' },
  'batch-sizes': { type: 'string' },
  lrs: { type: 'string' },
  doc: { type: 'string' },
  from: { type: 'string' },
  'only-auto': { type: 'boolean', default: false },
};

export const trainingGridHelp = `training-grid: on simulated funnels of each size × preset × seed, train each model with the default
(auto) settings and with every batch size × learning rate of a small grid, and compare the default's test AUC
per stage with the grid's best (within ${AUC_TOLERANCE}?) and its mean pCVR on clicked rows with the observed rate
(within ×${CVR_FACTOR}?).

Options:
  --sizes N,…           simulated rows, default ${DEFAULT_GRID.sizes.join(',')}
  --presets NAMES       default ${DEFAULT_GRID.presets.join(',')}
  --seeds N,…           default ${DEFAULT_GRID.seeds.join(',')}
  --models NAMES        default ${DEFAULT_GRID.models.join(',')}
  --batch-sizes N,…     the grid's batch sizes, default ${DEFAULT_GRID.batchSizes.join(',')}
  --lrs X,…             the grid's learning rates, default ${DEFAULT_GRID.learningRates.join(',')}
  --workers N           worker threads, default ${Math.min(availableParallelism(), 2)}
  --out FILE.json       write every run
  --doc FILE.md         replace the generated section of FILE.md (docs/training.md) with the results
  --only-auto           train only the defaults: to check a changed rule against a grid run before (--from)
  --from A.json,B.json  train nothing: merge results written by --out (a later file's runs replace an earlier
                        one's of the same size, preset, seed, model and setting) and print or --doc them`;

function numbers(values: Values, name: string, fallback: number[], valid: (x: number) => boolean): number[] {
  if (values[name] === undefined) return fallback;
  const parts = String(values[name]).split(',').map(Number);
  if (parts.some((x) => !Number.isFinite(x) || !valid(x)))
    throw new UsageError(`--${name} must be a comma-separated list of valid numbers; got "${values[name]}"`);
  return parts;
}

function names<T extends string>(value: unknown, fallback: T[], valid: (name: string) => boolean, what: string): T[] {
  if (value === undefined) return fallback;
  const list = String(value)
    .split(',')
    .map((name) => name.trim());
  for (const name of list) if (!valid(name)) throw new UsageError(`Unknown ${what} "${name}"`);
  return list as T[];
}

/** The command line that runs a grid's config (the defaults spelled out, so it reads the same later). */
export function gridCommand(config: TrainingGridConfig): string {
  return (
    `node bin/esmc-lab.js experiment training-grid --sizes ${config.sizes.join(',')} ` +
    `--presets ${config.presets.join(',')} --seeds ${config.seeds.join(',')} --models ${config.models.join(',')} ` +
    (config.onlyAuto
      ? '--only-auto'
      : `--batch-sizes ${config.batchSizes.join(',')} --lrs ${config.learningRates.join(',')}`)
  );
}

/** Results written by --out, merged: a later file's runs replace an earlier one's of the same cell and setting. */
export function mergeResults(results: TrainingGridResult[]): TrainingGridResult {
  const union = <T>(lists: T[][], order?: (a: T, b: T) => number) => {
    const all = [...new Set(lists.flat())];
    return order ? all.sort(order) : all;
  };
  const runs = new Map<string, GridRun>();
  for (const result of results)
    for (const run of result.runs) runs.set(`${run.rows}/${run.preset}/${run.seed}/${run.model}/${run.setting}`, run);
  const merged = [...runs.values()];
  return {
    config: {
      sizes: union(
        results.map((r) => r.config.sizes),
        (a, b) => a - b,
      ),
      presets: union(results.map((r) => r.config.presets)),
      seeds: union(
        results.map((r) => r.config.seeds),
        (a, b) => a - b,
      ),
      models: union(results.map((r) => r.config.models)),
      batchSizes: union(
        results.map((r) => r.config.batchSizes),
        (a, b) => a - b,
      ),
      learningRates: union(
        results.map((r) => r.config.learningRates),
        (a, b) => a - b,
      ),
    },
    backend: results[0].backend,
    runs: merged,
    comparisons: compareToGrid(merged),
    durationMs: results.reduce((sum, r) => sum + r.durationMs, 0),
  };
}

export async function runTrainingGridCommand(values: Values): Promise<number> {
  if (typeof values.from === 'string') {
    const sources = await Promise.all(
      values.from.split(',').map(async (file) => JSON.parse(await readFile(file, 'utf8')) as TrainingGridResult),
    );
    const merged = mergeResults(sources);
    if (typeof values.doc === 'string') await replaceSection(values.doc, gridMarkdown(merged, sources));
    print(gridTable(merged.comparisons));
    return 0;
  }
  const config: TrainingGridConfig = {
    sizes: numbers(values, 'sizes', DEFAULT_GRID.sizes, (x) => Number.isInteger(x) && x >= 1000),
    presets: names(values.presets, DEFAULT_GRID.presets, (n) => n in SIMULATOR_PRESETS, 'preset'),
    seeds: numbers(values, 'seeds', DEFAULT_GRID.seeds, Number.isInteger),
    models: names<ModelName>(values.models, DEFAULT_GRID.models, isModelName, `model (${MODEL_NAMES.join(', ')})`),
    batchSizes: numbers(values, 'batch-sizes', DEFAULT_GRID.batchSizes, (x) => Number.isInteger(x) && x >= 1),
    learningRates: numbers(values, 'lrs', DEFAULT_GRID.learningRates, (x) => x > 0),
    onlyAuto: Boolean(values['only-auto']),
    backend: backendName(values.backend),
  };
  const workers = integer(values, 'workers', Math.min(availableParallelism(), 2));
  const result = await runTrainingGrid(config, {
    workers,
    onRun: (run, done, total) =>
      process.stderr.write(
        `${done}/${total} ${run.rows} ${run.preset} seed ${run.seed} ${run.model} ${run.setting}: ` +
          `cvr_auc ${run.auc.cvr?.toFixed(4)} (${run.seconds.toFixed(0)} s)\n`,
      ),
  });
  if (typeof values.out === 'string') await writeTextAtomically(values.out, `${JSON.stringify(result, null, 2)}\n`);
  if (typeof values.doc === 'string') await replaceSection(values.doc, gridMarkdown(result, [result]));
  print(gridTable(result.comparisons));
  return 0;
}

const fixed = (value: number | undefined, digits = 3) =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

function shortfallCell(value: number | undefined): string {
  const text = fixed(value);
  return value !== undefined && value > AUC_TOLERANCE ? `**${text}**` : text;
}

export function gridTable(comparisons: GridComparison[]): string {
  return table(
    ['rows', 'preset', 'seeds', 'model', ...GRID_STAGES.map((s) => `${s} short`), 'pCVR/obs'],
    comparisons.map((c) => [
      c.rows,
      c.preset,
      c.seeds,
      c.model,
      ...GRID_STAGES.map((stage) => fixed(c.shortfall[stage])),
      fixed(c.cvrRatio, 2),
    ]),
  );
}

/** Passes when every stage's AUC is within the tolerance of the grid's best and pCVR within the factor. */
export function passes(c: GridComparison): { auc: boolean; level: boolean } {
  const auc = Object.values(c.shortfall).every((value) => value <= AUC_TOLERANCE);
  const level = c.cvrRatio <= CVR_FACTOR && c.cvrRatio >= 1 / CVR_FACTOR;
  return { auc, level };
}

/** The generated section of docs/training.md: `result`'s comparisons, produced by the runs of `sources`. */
export function gridMarkdown(result: TrainingGridResult, sources: TrainingGridResult[]): string {
  const { config, comparisons } = result;
  const aucPasses = comparisons.filter((c) => passes(c).auc).length;
  const levelPasses = comparisons.filter((c) => passes(c).level).length;
  const produced = sources.map(
    (source) =>
      `\`${gridCommand(source.config)}\` (${source.backend.device}, ${(source.durationMs / 60_000).toFixed(0)} min)`,
  );
  const lines: string[] = [
    `Produced on ${new Date().toISOString().slice(0, 10)} by ${produced.join(', then ')}` +
      `${sources.length > 1 ? ", a later run's results replacing an earlier one's of the same cell" : ''}. Grid: ` +
      `batch size ${config.batchSizes.join(', ')} × learning rate ${config.learningRates.join(', ')}, each with auto ` +
      `epochs and the default early stopping; seeds ${config.seeds.join(', ')}.`,
    '',
    `- Test AUC of every stage within ${AUC_TOLERANCE} of the grid's best: **${aucPasses} of ${comparisons.length}** ` +
      `(dataset, model) pairs.`,
    `- Mean pCVR on clicked test rows within ×${CVR_FACTOR} of the observed rate: **${levelPasses} of ` +
      `${comparisons.length}**.`,
    '',
    "Each cell: the grid point's test AUC minus the default's, both averaged over the seeds, for the grid point " +
      `best on that stage (bold: more than ${AUC_TOLERANCE}; negative: the default beat every grid point); ` +
      'best CVR: that grid point for CVR; pCVR/obs: mean pCVR over the observed rate on the clicked test rows, ' +
      'averaged over the seeds; auto: what the defaults resolved to (batch, learning rate) and the epochs run of ' +
      'the planned, per seed, with the best epoch kept.',
    '',
  ];
  for (const rows of config.sizes)
    for (const preset of config.presets) {
      const cells = comparisons.filter((c) => c.rows === rows && c.preset === preset);
      if (cells.length === 0) continue;
      lines.push(`### ${rows.toLocaleString('en-US')} rows, ${preset}`, '');
      lines.push(`| model | ${GRID_STAGES.join(' | ')} | best CVR | pCVR/obs | auto |`);
      lines.push(`| --- | ${GRID_STAGES.map(() => '---:').join(' | ')} | --- | ---: | --- |`);
      for (const model of config.models) {
        const c = cells.find((cell) => cell.model === model);
        if (!c) continue;
        const first = c.auto[0];
        const epochs = c.auto.map((run) => `${run.epochsRun}/${run.epochs} (best ${run.bestEpoch})`).join(', ');
        const bestCvr = c.best.cvr ? `${c.best.cvr.setting}: ${fixed(c.best.cvr.auc)}` : '—';
        lines.push(
          `| ${model} | ${GRID_STAGES.map((stage) => shortfallCell(c.shortfall[stage])).join(' | ')} | ${bestCvr} | ` +
            `${fixed(c.cvrRatio, 2)} | ${first.batchSize}, ${first.learningRate}; ${epochs} |`,
        );
      }
      lines.push('');
    }
  return lines.join('\n');
}

async function replaceSection(path: string, section: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new UsageError(`${path} has no ${START} … ${END} section to replace`);
  await writeTextAtomically(path, `${text.slice(0, start + START.length)}\n${section}\n${text.slice(end)}`);
}
