import { writeTextAtomically } from '../../engine/files.js';
import { availableParallelism } from 'node:os';
import {
  checkHeadlines,
  DEFAULT_SWEEP,
  parseVariant,
  QUICK_SWEEP,
  runPscSweep,
  type PscSweepConfig,
  type PscSweepResult,
  type SweepSummaryRow,
} from '../../engine/experiments/psc-sweep.js';
import { SIMULATOR_PRESETS } from '../../engine/simulate/simulator.js';
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
import { runTrainingGridCommand, trainingGridHelp, trainingGridOptions } from './training-grid.js';
import { mergeSettings } from '../../../src-shared/settings.js';
import { worldHelp, worldKnobs, worldOptions } from './simulate.js';
import { modelConfigFrom, trainConfigFrom, trainOptions, trainOptionsHelp } from './train.js';

export const experimentCommand: Command = {
  summary:
    'run a named experiment: psc-sweep (PSC share × models × seeds on simulated data) or training-grid (auto settings vs a grid)',
  usage:
    'esmc-lab experiment psc-sweep [--shares 0,0.2,…] [--models …] [--seeds 1,2,3] [--out FILE.json|.csv] [--json]',
  positionals: true,
  options: {
    shares: { type: 'string' },
    models: { type: 'string' },
    seeds: { type: 'string' },
    preset: { type: 'string' },
    rows: { type: 'string' },
    ...worldOptions,
    quick: { type: 'boolean', default: false },
    workers: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...trainingGridOptions,
    ...trainOptions,
    ...backendOption,
  },
  help: `psc-sweep: simulate each PSC share (the fraction of click→purchase without an in-shop action) with each
seed, train every model on the same split, and report CVR AUC (clicked rows), CTCVR AUC (all rows) and the
RMSE of pCVR against the true CVR (all exposures, and clicked rows) and its bias (mean pCVR − mean true CVR
over all exposures), mean ± std over seeds.

Options:
  --shares X,…          PSC shares, default ${DEFAULT_SWEEP.shares.join(',')}
  --models NAMES        default ${DEFAULT_SWEEP.models.join(',')}
  --seeds N,…           default ${DEFAULT_SWEEP.seeds.join(',')}
  --preset NAME         simulator preset: ${Object.keys(SIMULATOR_PRESETS).join(', ')}; default ${DEFAULT_SWEEP.preset}
  --rows N              simulated rows per cell, default ${DEFAULT_SWEEP.rows}
${worldHelp(SIMULATOR_PRESETS[DEFAULT_SWEEP.preset])}
  --quick               a small grid (shares ${QUICK_SWEEP.shares.join(',')}, seeds ${QUICK_SWEEP.seeds.join(',')}, ${QUICK_SWEEP.rows} rows,
                        ${QUICK_SWEEP.models.join(',')}) that checks the direction of each headline
                        finding of docs/psc-experiment.md; exit 1 when one does not hold
  --workers N           worker threads, default ${Math.min(availableParallelism(), 2)} (cores here: ${availableParallelism()})
  --out FILE            write every run (.csv) or the whole result (.json)
  --json                print the whole result as JSON
Training options (the same defaults as train):
${trainOptionsHelp}

${trainingGridHelp}
${backendHelp}`,
  run: runExperiment,
};

async function runExperiment(values: Values, positionals: string[]): Promise<number> {
  const [name, ...extra] = positionals;
  if (name === 'training-grid' && extra.length === 0) return runTrainingGridCommand(values);
  if (name !== 'psc-sweep' || extra.length > 0)
    throw new UsageError(
      name
        ? `Unknown experiment "${[name, ...extra].join(' ')}"; the experiments are psc-sweep and training-grid`
        : 'Name the experiment: psc-sweep or training-grid',
    );
  const preset = oneOf(
    values,
    'preset',
    Object.keys(SIMULATOR_PRESETS) as PscSweepConfig['preset'][],
    DEFAULT_SWEEP.preset,
  );
  const grid = values.quick ? { ...DEFAULT_SWEEP, ...QUICK_SWEEP } : DEFAULT_SWEEP;
  const config: PscSweepConfig = {
    shares: list(values, 'shares', grid.shares, (x) => x >= 0 && x <= 0.95, 'fractions in [0, 0.95]'),
    seeds: list(values, 'seeds', grid.seeds, Number.isInteger, 'whole numbers'),
    models: models(values.models, grid.models),
    preset,
    rows: integer(values, 'rows', grid.rows),
    simulator: worldKnobs(values, SIMULATOR_PRESETS[preset]),
    modelConfig: mergeSettings(DEFAULT_SWEEP.modelConfig, modelConfigFrom(values)),
    trainConfig: mergeSettings(DEFAULT_SWEEP.trainConfig, trainConfigFrom(values)),
    split: DEFAULT_SWEEP.split,
    backend: backendName(values.backend),
  };
  const workers = integer(values, 'workers', Math.min(availableParallelism(), 2));
  const result = await runPscSweep(config, {
    workers,
    onCell: (rows, done, total) =>
      process.stderr.write(`cell ${done}/${total}: share ${rows[0]?.pscShare} seed ${rows[0]?.seed} done\n`),
  });
  if (typeof values.out === 'string') await writeResult(values.out, result);
  const checks = values.quick ? checkHeadlines(result) : [];
  if (values.json) print(JSON.stringify(values.quick ? { ...result, headlines: checks } : result, null, 2));
  else {
    print(`${sweepTable(result)}${result.pairSummary.length > 0 ? `\n\n${pairsTable(result)}` : ''}`);
    if (values.quick)
      print(
        `\nThe headline findings of docs/psc-experiment.md, by direction:\n${checks
          .map((check) => `${check.holds ? 'holds' : 'DOES NOT HOLD'}: ${check.claim} (${check.evidence})`)
          .join('\n')}`,
      );
  }
  return checks.every((check) => check.holds) ? 0 : 1;
}

export function sweepTable(result: PscSweepResult): string {
  const cell = (row: SweepSummaryRow, metric: keyof SweepSummaryRow['mean']) =>
    Number.isNaN(row.std[metric])
      ? row.mean[metric].toFixed(4)
      : `${row.mean[metric].toFixed(4)} ± ${row.std[metric].toFixed(4)}`;
  const rows = result.summary.map((row) => [
    `${(row.pscShare * 100).toFixed(0)}%`,
    row.model,
    cell(row, 'cvr_auc'),
    cell(row, 'ctcvr_auc'),
    cell(row, 'cvr_rmse'),
    cell(row, 'cvr_rmse_clicked'),
    cell(row, 'cvr_bias'),
  ]);
  const seconds = (result.durationMs / 1000).toFixed(0);
  return `${table(['psc share', 'model', 'cvr_auc', 'ctcvr_auc', 'cvr_rmse (all)', 'cvr_rmse (clicked)', 'cvr_bias (all)'], rows)}
mean ± std over seeds ${result.config.seeds.join(',')}; ${result.config.rows} simulated rows per cell (${result.config.preset}); ${result.backend.device}; ${seconds} s`;
}

/** The paired comparisons: each cell's difference between two variants on the same rows, over seeds. */
export function pairsTable(result: PscSweepResult): string {
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  const interval = ({ mean, ci95 }: { mean: number; ci95: [number, number] }) =>
    Number.isNaN(ci95[0]) ? signed(mean) : `${signed(mean)} [${signed(ci95[0])}, ${signed(ci95[1])}]`;
  const rows = result.pairSummary.map((row) => [
    `${row.from} → ${row.to}`,
    row.pscShare === 'all' ? 'all' : `${(row.pscShare * 100).toFixed(0)}%`,
    interval(row.cvr_auc),
    `${row.aucWins}/${row.cells}`,
    `${row.significantBetter}/${row.significantWorse}`,
    interval(row.cvr_rmse),
    `${row.rmseWins}/${row.cells}`,
  ]);
  return `${table(['comparison', 'psc share', 'Δ cvr_auc [95% CI]', 'higher', 'DeLong +/−', 'Δ cvr_rmse (all) [95% CI]', 'lower'], rows)}
Δ = right − left per cell (same simulated rows, same split); 95% t-intervals over cells; higher/lower: cells where
the right one is better; DeLong +/−: cells where DeLong's test (p < 0.05) finds its CVR AUC higher/lower`;
}

async function writeResult(path: string, result: PscSweepResult): Promise<void> {
  let text: string;
  if (path.endsWith('.json')) text = JSON.stringify(result, null, 2);
  else if (path.endsWith('.csv')) {
    const columns = Object.keys(result.rows[0] ?? {}) as (keyof (typeof result.rows)[number])[];
    text = [columns.join(','), ...result.rows.map((row) => columns.map((c) => String(row[c])).join(','))].join('\n');
  } else throw new UsageError(`--out must end in .json or .csv; got "${path}"`);
  await writeTextAtomically(path, `${text}\n`);
}

function list(values: Values, name: string, fallback: number[], valid: (x: number) => boolean, what: string): number[] {
  if (values[name] === undefined) return fallback;
  const parts = String(values[name]).split(',').map(Number);
  if (parts.length === 0 || parts.some((x) => !Number.isFinite(x) || !valid(x)))
    throw new UsageError(`--${name} must be a comma-separated list of ${what}; got "${values[name]}"`);
  return parts;
}

function models(value: unknown, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  const specs = String(value)
    .split(',')
    .map((m) => m.trim());
  for (const spec of specs)
    try {
      parseVariant(spec);
    } catch (error) {
      throw new UsageError(`--models: ${(error as Error).message}`);
    }
  return specs;
}
