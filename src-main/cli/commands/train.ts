import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MODEL_NAMES, type ModelConfig } from '../../engine/models/index.js';
import type { TrainConfig, TrainSettings } from '../../engine/train/trainer.js';
import { settingOptions, settingsFrom, settingsHelp } from '../settings.js';
import { trainRun, type DataSource, type RunRecord } from '../../engine/run.js';
import { openProject } from '../../engine/store/project.js';
import type { FunnelPolicy } from '../../engine/data/encode.js';
import {
  backendHelp,
  backendName,
  backendOption,
  integer,
  oneOf,
  print,
  required,
  UsageError,
  type Command,
  type Values,
} from '../command.js';
import { table } from '../format.js';
import { rolesHelp, rolesOption } from '../roles.js';

/** Model and training options, shared by every command that trains (train, psc, experiment). */
export const trainOptions = settingOptions;
export const trainOptionsHelp = settingsHelp;

export const trainCommand: Command = {
  summary: 'train one or more models on a CSV file and report their metrics',
  usage: 'esmc-lab train --data FILE --model NAME[,NAME…] [options]',
  options: {
    data: { type: 'string' },
    project: { type: 'string' },
    dataset: { type: 'string' },
    'stored-split': { type: 'string' },
    roles: { type: 'string' },
    model: { type: 'string', default: 'esmc' },
    ...trainOptions,
    split: { type: 'string' },
    'funnel-violations': { type: 'string' },
    save: { type: 'string' },
    json: { type: 'boolean', default: false },
    threads: { type: 'string' },
    ...backendOption,
  },
  help: `Options:
  --data FILE             CSV/TSV with click, purchase and (for most models) in-shop action label columns
  --project P --dataset N a dataset imported with \`esmc-lab import\`; runs and every row's predictions are
                          stored in the project
  --stored-split NAME     with --project: the stored split to use (default "random", created if missing)
${rolesHelp('  ', 24)}
                          (with --data; a project's dataset keeps the roles it was imported with)
  --model NAMES           comma-separated: ${MODEL_NAMES.join(', ')} (default esmc); "all" for every model
${trainOptionsHelp}
  --split T,V,T           train/validation/test fractions, default 0.8,0.1,0.1
  --funnel-violations P   rows with a purchase or action but no click: drop (default), keep or fail
  --save PATH             save each trained model; "{model}" in PATH is replaced by the model name
  --json                  print the runs as one JSON document (progress still goes to stderr)
  --threads N             1 trains on one thread; 2 or more adds a replica of the model on a second core that
                          shares every step and prediction (wasm/cpu backends, training parts of 32k rows or
                          more); default the number of cores (${availableParallelism()} here)
${backendHelp}`,
  run: runTrain,
};

async function runTrain(values: Values): Promise<number> {
  const source = await dataSource(values);
  const models =
    String(values.model) === 'all'
      ? MODEL_NAMES
      : String(values.model)
          .split(',')
          .map((m) => m.trim());
  for (const model of models)
    if (!(MODEL_NAMES as string[]).includes(model))
      throw new UsageError(`Unknown model "${model}"; choose from ${MODEL_NAMES.join(', ')} or "all"`);
  const json = Boolean(values.json);
  let records: RunRecord[];
  try {
    records = await trainRun({
      source,
      models,
      modelConfig: modelConfigFrom(values),
      trainConfig: trainConfigFrom(values),
      split: splitFrom(values.split),
      backend: backendName(values.backend),
      savePath: values.save as string | undefined,
      onEvent: progressPrinter(),
      threads: threadsFrom(values),
    });
  } finally {
    if (source.kind === 'project') source.project.close();
  }
  if (json) print(JSON.stringify(records.length === 1 ? records[0] : records, null, 2));
  else print(runsTable(records));
  return records.some((r) => r.status === 'cancelled') ? 130 : 0;
}

function threadsFrom(values: Values): number | undefined {
  if (values.threads === undefined) return undefined;
  const threads = integer(values, 'threads', 1);
  if (threads < 1) throw new UsageError(`--threads must be 1 or more; got ${threads}`);
  return threads;
}

/** --data FILE, or --project P --dataset NAME: exactly one. */
async function dataSource(values: Values): Promise<DataSource> {
  if (values.project !== undefined) {
    if (values.data !== undefined) throw new UsageError('give --data or --project, not both');
    const dataset = required(values, 'dataset');
    if (!existsSync(String(values.project)))
      throw new UsageError(
        `no project at ${values.project}; create one with esmc-lab import --project ${values.project}`,
      );
    if (values.roles !== undefined)
      throw new UsageError(
        `--roles applies to --data; dataset "${dataset}" keeps the roles it was imported with ` +
          '(import it again with esmc-lab import --roles … --replace)',
      );
    const project = await openProject(String(values.project));
    const split = values['stored-split'] === undefined ? undefined : String(values['stored-split']);
    return { kind: 'project', project, dataset, split };
  }
  return {
    kind: 'file',
    path: required(values, 'data'),
    load: { funnelPolicy: funnelPolicy(values['funnel-violations']), roles: rolesOption(values) },
  };
}

function runsTable(records: RunRecord[]): string {
  const columns = ['cvr_auc', 'ctr_auc', 'ctcvr_auc', 'ctavr_auc', 'cvr_logloss', 'cvr_gauc'];
  const rows = records.map((r) => {
    const m = r.metrics.test ?? r.metrics.validation ?? {};
    return [
      r.model,
      r.status,
      learnedCell(r),
      r.training.bestEpoch ?? 0,
      ...columns.map((c) => m[c] ?? NaN),
      r.training.samplesPerSecond,
    ];
  });
  const first = records[0];
  const where = first ? `\n${first.data.rows} rows (${first.data.split.test} test), ${first.backend.device}` : '';
  const metricSpace = records.some((r) => r.metrics.test) ? 'test split' : 'validation split';
  const verdicts = records
    .filter((r) => r.learning?.status === 'not-learned')
    .map((r) => `\n${r.model}: ${r.learning!.summary}; its numbers are not results`);
  return `${table(['model', 'status', 'learned', 'best epoch', ...columns, 'samples/s'], rows)}${where}; metrics on the ${metricSpace}${verdicts.join('')}`;
}

/** "yes", "no: cvr, ctcvr", or "—" for a run without a verdict (cancelled, or from an older version). */
function learnedCell(record: RunRecord): string {
  const learning = record.learning;
  if (!learning) return '—';
  if (learning.status === 'not-learned') return `no: ${learning.notLearned.join(', ')}`;
  if (learning.status === 'untestable') return 'untestable';
  return learning.weak?.length ? `yes; not ${learning.weak.join(', ')}` : 'yes';
}

/** "batch 64, lr 0.001, up to 31 epochs (auto: …)": the settings every model trains with, and why. */
export function describeSettings(config: TrainConfig): string {
  const stopping =
    config.patience === null
      ? 'no early stopping'
      : `early stopping on ${config.monitor === 'loss' ? 'validation loss' : 'validation CVR AUC'} after ${config.patience} epochs without improvement, not before step ${config.minSteps}`;
  const lines = [
    `training: batch ${config.batchSize}, lr ${config.learningRate}, up to ${config.epochs} epochs, ${stopping}`,
    ...Object.entries(config.auto ?? {}).map(([name, reason]) => `  auto ${name}: ${reason}`),
  ];
  return lines.join('\n');
}

export function progressPrinter() {
  const interactive = process.stderr.isTTY;
  return (model: string, event: Parameters<NonNullable<Parameters<typeof trainRun>[0]['onEvent']>>[1]) => {
    if (event.type === 'loaded') {
      process.stderr.write(`loaded ${event.rows} rows\n`);
      for (const finding of [...event.findings, ...event.support])
        process.stderr.write(`  ${finding.severity}: ${finding.message}\n`);
      process.stderr.write(`${describeSettings(event.config)}\n`);
    } else if (event.type === 'step' && interactive) {
      const loss = event.losses.total.toFixed(4);
      process.stderr.write(
        `\r${model} epoch ${event.epoch} step ${event.step}/${event.stepsPerEpoch} loss ${loss} ${event.samplesPerSecond.toFixed(0)} samples/s   `,
      );
    } else if (event.type === 'epoch') {
      const loss = event.validationLoss === undefined ? '' : ` validation loss ${event.validationLoss.toFixed(4)}`;
      const auc = event.validation ? ` cvr_auc ${event.validation.cvr_auc.toFixed(4)}` : '';
      const best = event.improved ? ' (best)' : '';
      process.stderr.write(
        `${interactive ? '\r' : ''}${model} epoch ${event.epoch} loss ${event.trainLoss.total.toFixed(4)}${loss}${auc}${best}${' '.repeat(20)}\n`,
      );
    }
  };
}

/** The model settings the flags give; the rest keep their defaults downstream. */
export function modelConfigFrom(values: Values): Partial<ModelConfig> {
  return settingsFrom(values).modelConfig;
}

/** The training settings the flags give; the rest keep their defaults (or `auto`) downstream. */
export function trainConfigFrom(values: Values): Partial<TrainSettings> {
  return settingsFrom(values).trainConfig;
}

function splitFrom(value: unknown) {
  if (value === undefined) return undefined;
  const parts = String(value).split(',').map(Number);
  if (parts.length !== 3 || parts.some((p) => !(p >= 0)) || Math.abs(parts[0] + parts[1] + parts[2] - 1) > 1e-9)
    throw new UsageError(`--split must be three fractions that add up to 1, e.g. 0.8,0.1,0.1; got "${value}"`);
  return { train: parts[0], validation: parts[1], test: parts[2] };
}

function funnelPolicy(value: unknown): FunnelPolicy {
  return oneOf({ v: value }, 'v', ['drop', 'keep', 'fail'], 'drop', '--funnel-violations');
}
