import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DEFAULT_MODEL_CONFIG, MODEL_NAMES, type ModelConfig } from '../../engine/models/index.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../engine/train/trainer.js';
import { trainRun, type DataSource, type RunRecord } from '../../engine/run.js';
import { openProject } from '../../engine/store/project.js';
import type { FunnelPolicy } from '../../engine/data/encode.js';
import {
  backendHelp,
  backendName,
  backendOption,
  integer,
  number,
  oneOf,
  positiveInteger,
  print,
  required,
  UsageError,
  type Command,
  type Options,
  type Values,
} from '../command.js';
import { table } from '../format.js';

/** Model and training options, shared by every command that trains (train, experiment). */
export const trainOptions: Options = {
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  patience: { type: 'string' },
  seed: { type: 'string' },
  'embedding-dim': { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  dropout: { type: 'string' },
  lambda: { type: 'string' },
  'constraint-layers': { type: 'string' },
  'constraint-distance': { type: 'string' },
  'constraint-gradient': { type: 'string' },
  'loss-weights': { type: 'string' },
};

export const trainOptionsHelp = `  --epochs N              default ${DEFAULT_TRAIN_CONFIG.epochs}
  --batch-size N          default ${DEFAULT_TRAIN_CONFIG.batchSize}
  --lr X                  Adam learning rate, default ${DEFAULT_TRAIN_CONFIG.learningRate}
  --weight-decay X        L2 added to gradients, default ${DEFAULT_TRAIN_CONFIG.weightDecay}
  --patience N|none       early stopping on validation CVR AUC, default ${DEFAULT_TRAIN_CONFIG.patience}
  --seed N                initial weights, dropout and shuffling, default ${DEFAULT_TRAIN_CONFIG.seed}
  --embedding-dim N       default ${DEFAULT_MODEL_CONFIG.embeddingDim}
  --hidden W,W,…          tower hidden widths, default ${DEFAULT_MODEL_CONFIG.tower.hidden.join(',')}
  --activation NAME       relu, tanh, sigmoid, elu or linear, default ${DEFAULT_MODEL_CONFIG.tower.activation}
  --dropout X             default ${DEFAULT_MODEL_CONFIG.tower.dropout}
  --lambda X              esmc/esmg parameter-constraint weight λ, default ${DEFAULT_MODEL_CONFIG.constraint.lambda}
  --constraint-layers L   hidden or all, default ${DEFAULT_MODEL_CONFIG.constraint.layers}
  --constraint-distance D l2 or cosine, default ${DEFAULT_MODEL_CONFIG.constraint.distance}
  --constraint-gradient G both or cvr-only, default ${DEFAULT_MODEL_CONFIG.constraint.gradient}
  --loss-weights T=W,…    weight of each loss term by name (ctr, cvr, ctavr, ctcvr, constraint), default 1`;

export const trainCommand: Command = {
  summary: 'train one or more models on a CSV file and report their metrics',
  usage: 'esmc-lab train --data FILE --model NAME[,NAME…] [options]',
  options: {
    data: { type: 'string' },
    project: { type: 'string' },
    dataset: { type: 'string' },
    'stored-split': { type: 'string' },
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
    const project = await openProject(String(values.project));
    const split = values['stored-split'] === undefined ? undefined : String(values['stored-split']);
    return { kind: 'project', project, dataset, split };
  }
  return {
    kind: 'file',
    path: required(values, 'data'),
    load: { funnelPolicy: funnelPolicy(values['funnel-violations']) },
  };
}

function runsTable(records: RunRecord[]): string {
  const columns = ['cvr_auc', 'ctr_auc', 'ctcvr_auc', 'ctavr_auc', 'cvr_logloss', 'cvr_gauc'];
  const rows = records.map((r) => {
    const m = r.metrics.test ?? r.metrics.validation ?? {};
    return [
      r.model,
      r.status,
      r.training.bestEpoch ?? 0,
      ...columns.map((c) => m[c] ?? NaN),
      r.training.samplesPerSecond,
    ];
  });
  const first = records[0];
  const where = first ? `\n${first.data.rows} rows (${first.data.split.test} test), ${first.backend.device}` : '';
  const metricSpace = records.some((r) => r.metrics.test) ? 'test split' : 'validation split';
  return `${table(['model', 'status', 'best epoch', ...columns, 'samples/s'], rows)}${where}; metrics on the ${metricSpace}`;
}

export function progressPrinter() {
  const interactive = process.stderr.isTTY;
  return (model: string, event: Parameters<NonNullable<Parameters<typeof trainRun>[0]['onEvent']>>[1]) => {
    if (event.type === 'loaded') {
      process.stderr.write(`loaded ${event.rows} rows\n`);
      for (const finding of event.findings) process.stderr.write(`  ${finding.severity}: ${finding.message}\n`);
    } else if (event.type === 'step' && interactive) {
      const loss = event.losses.total.toFixed(4);
      process.stderr.write(
        `\r${model} epoch ${event.epoch} step ${event.step}/${event.stepsPerEpoch} loss ${loss} ${event.samplesPerSecond.toFixed(0)} samples/s   `,
      );
    } else if (event.type === 'epoch') {
      const auc = event.validation ? ` validation cvr_auc ${event.validation.cvr_auc.toFixed(4)}` : '';
      process.stderr.write(
        `${interactive ? '\r' : ''}${model} epoch ${event.epoch} loss ${event.trainLoss.total.toFixed(4)}${auc}${' '.repeat(20)}\n`,
      );
    }
  };
}

export function modelConfigFrom(values: Record<string, unknown>, d = DEFAULT_MODEL_CONFIG): ModelConfig {
  return {
    embeddingDim: integer(values, 'embedding-dim', d.embeddingDim),
    lossWeights: values['loss-weights'] === undefined ? d.lossWeights : lossWeights(String(values['loss-weights'])),
    seed: integer(values, 'seed', d.seed),
    tower: {
      hidden:
        values.hidden === undefined
          ? d.tower.hidden
          : String(values.hidden)
              .split(',')
              .map((w) => positiveInteger('hidden', w)),
      activation: oneOf(values, 'activation', ['relu', 'tanh', 'sigmoid', 'elu', 'linear'], d.tower.activation),
      dropout: number(values, 'dropout', d.tower.dropout),
    },
    constraint: {
      lambda: number(values, 'lambda', d.constraint.lambda),
      layers: oneOf(values, 'constraint-layers', ['hidden', 'all'], d.constraint.layers),
      distance: oneOf(values, 'constraint-distance', ['l2', 'cosine'], d.constraint.distance),
      gradient: oneOf(values, 'constraint-gradient', ['both', 'cvr-only'], d.constraint.gradient),
    },
  };
}

export function trainConfigFrom(values: Record<string, unknown>, d = DEFAULT_TRAIN_CONFIG): TrainConfig {
  return {
    epochs: integer(values, 'epochs', d.epochs),
    batchSize: integer(values, 'batch-size', d.batchSize),
    learningRate: number(values, 'lr', d.learningRate),
    weightDecay: number(values, 'weight-decay', d.weightDecay),
    seed: integer(values, 'seed', d.seed),
    patience: values.patience === 'none' ? null : integer(values, 'patience', d.patience ?? 2),
    progressIntervalMs: d.progressIntervalMs,
  };
}

function lossWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [term, weight] = pair.split('=');
    if (!term || weight === undefined || !Number.isFinite(Number(weight)) || Number(weight) < 0)
      throw new UsageError(
        `--loss-weights takes term=weight pairs with weights ≥ 0, e.g. ctr=1,ctcvr=2; got "${pair}"`,
      );
    weights[term.trim()] = Number(weight);
  }
  return weights;
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
