import { rename, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_NAMES, initBackend, isBackendName, type BackendName } from '../engine/backends/index.js';
import { loadCsvDataset, type FeatureEncoding, type FunnelPolicy } from '../engine/data/encode.js';
import { DataError } from '../engine/data/errors.js';
import { evaluateStages, METRIC_DESCRIPTIONS } from '../engine/metrics/index.js';
import { DEFAULT_MODEL_CONFIG, MODEL_NAMES, modelInfo, STAGES, type ModelConfig } from '../engine/models/index.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../engine/train/trainer.js';
import { loadModel } from '../engine/train/checkpoint.js';
import { predictRows, type StageArrays } from '../engine/train/predict.js';
import { trainRun, type RunRecord } from '../engine/run.js';
import { table } from './format.js';

/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: string;
  run(values: Record<string, string | boolean | undefined>): Promise<number>;
}

const backendOption: Options = { backend: { type: 'string' } };
const backendHelp = `  --backend NAME        one of ${BACKEND_NAMES.join(', ')}; default: the fastest that starts`;

const commands: Record<string, Command> = {
  train: {
    summary: 'train one or more models on a CSV file and report their metrics',
    usage: 'esmc-lab train --data FILE --model NAME[,NAME…] [options]',
    options: {
      data: { type: 'string' },
      model: { type: 'string', default: 'esmc' },
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
      split: { type: 'string' },
      'funnel-violations': { type: 'string' },
      save: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...backendOption,
    },
    help: `Options:
  --data FILE             CSV/TSV with click, purchase and (for most models) in-shop action label columns
  --model NAMES           comma-separated: ${MODEL_NAMES.join(', ')} (default esmc); "all" for every model
  --epochs N              default ${DEFAULT_TRAIN_CONFIG.epochs}
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
  --loss-weights T=W,…    weight of each loss term by name (ctr, cvr, ctavr, ctcvr, constraint), default 1
  --split T,V,T           train/validation/test fractions, default 0.8,0.1,0.1
  --funnel-violations P   rows with a purchase or action but no click: drop (default), keep or fail
  --save PATH             save each trained model; "{model}" in PATH is replaced by the model name
  --json                  print the runs as one JSON document (progress still goes to stderr)
${backendHelp}`,
    run: runTrain,
  },
  evaluate: {
    summary: 'score a CSV file with a saved model: metrics per stage, optionally per-row predictions',
    usage: 'esmc-lab evaluate --model-file FILE --data FILE [--predictions OUT.csv] [--json]',
    options: {
      'model-file': { type: 'string' },
      data: { type: 'string' },
      predictions: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...backendOption,
    },
    help: `Options:
  --model-file FILE     a model saved by \`esmc-lab train --save\`
  --data FILE           CSV/TSV to score; encoded with the model's own encoding (unseen values → id 0)
  --predictions OUT     write every stage's probability per row as CSV
  --json                print the metrics as JSON
${backendHelp}`,
    run: runEvaluate,
  },
  models: {
    summary: 'list the models with their formulas and what supervises them',
    usage: 'esmc-lab models [--json]',
    options: { json: { type: 'boolean', default: false } },
    help: '  --json    print as JSON',
    run: async (values) => {
      const infos = MODEL_NAMES.map(modelInfo);
      if (values.json) print(JSON.stringify(infos, null, 2));
      else
        for (const info of infos)
          print(
            `${info.name.padEnd(6)} ${info.title} — ${info.paper}\n       ${info.formula}\n       loss: ${info.supervision.join(' + ')}\n`,
          );
      return 0;
    },
  },
  backends: {
    summary: 'show which tfjs backend and device this machine would train on',
    usage: 'esmc-lab backends [--backend NAME] [--json]',
    options: { ...backendOption, json: { type: 'boolean', default: false } },
    help: `${backendHelp}\n  --json    print as JSON`,
    run: async (values) => {
      const info = await initBackend(backendName(values.backend));
      if (values.json) print(JSON.stringify(info, null, 2));
      else {
        print(`${info.name}: ${info.device}`);
        for (const { name, reason } of info.skipped) print(`  skipped ${name}: ${reason}`);
      }
      return 0;
    },
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    print(overview());
    return 0;
  }
  if (name === '--version') {
    print(await version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    printError(`Unknown command "${name}".\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    print(`${command.summary}\n\nUsage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  try {
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
    return await command.run(values as Record<string, string | boolean | undefined>);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      printError(`${(error as Error).message}\n\nUsage: ${command.usage}\nSee: esmc-lab ${name} --help`);
      return 2;
    }
    printError(error instanceof DataError ? error.message : `Error: ${(error as Error).message}`);
    return 1;
  }
}

async function runTrain(values: Record<string, string | boolean | undefined>): Promise<number> {
  const dataPath = required(values, 'data');
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
  const records = await trainRun({
    dataPath,
    models,
    modelConfig: modelConfigFrom(values),
    trainConfig: trainConfigFrom(values),
    split: splitFrom(values.split),
    load: { funnelPolicy: funnelPolicy(values['funnel-violations']) },
    backend: backendName(values.backend),
    savePath: values.save as string | undefined,
    onEvent: progressPrinter(),
  });
  if (json) print(JSON.stringify(records.length === 1 ? records[0] : records, null, 2));
  else print(runsTable(records));
  return records.some((r) => r.status === 'cancelled') ? 130 : 0;
}

async function runEvaluate(values: Record<string, string | boolean | undefined>): Promise<number> {
  const modelFile = required(values, 'model-file');
  const dataPath = required(values, 'data');
  const backend = await initBackend(backendName(values.backend));
  const { model, header } = await loadModel<FeatureEncoding, Partial<RunRecord>>(modelFile);
  try {
    const { dataset, findings } = await loadCsvDataset(dataPath, { encoding: header.encoding });
    const predictions = await predictRows(model, dataset);
    const metrics = evaluateStages(predictions, dataset.labels, dataset.userIds);
    if (typeof values.predictions === 'string') await writePredictions(values.predictions, predictions, dataset.rows);
    const report = { model: header.model, modelFile, data: dataPath, rows: dataset.rows, backend, findings, metrics };
    if (values.json) print(JSON.stringify(report, null, 2));
    else {
      print(`${header.model} on ${dataPath} (${dataset.rows} rows, ${backend.device})`);
      print(
        table(
          ['metric', 'value'],
          Object.entries(metrics).map(([k, v]) => [k, v]),
        ),
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}

/** Per-row stage probabilities, written beside the target and renamed into place, so a failure leaves nothing half-written. */
async function writePredictions(path: string, predictions: StageArrays, rows: number) {
  const stages = STAGES.filter((stage) => predictions[stage]);
  const lines = [stages.map((s) => `p_${s}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(stages.map((s) => predictions[s]![r].toPrecision(7)).join(','));
  const temporary = `${path}.partial-${process.pid}`;
  await writeFile(temporary, lines.join('\n') + '\n');
  await rename(temporary, path);
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

function progressPrinter() {
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

function modelConfigFrom(values: Record<string, unknown>): Partial<ModelConfig> {
  const d = DEFAULT_MODEL_CONFIG;
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

function trainConfigFrom(values: Record<string, unknown>): Partial<TrainConfig> {
  const d = DEFAULT_TRAIN_CONFIG;
  return {
    epochs: integer(values, 'epochs', d.epochs),
    batchSize: integer(values, 'batch-size', d.batchSize),
    learningRate: number(values, 'lr', d.learningRate),
    weightDecay: number(values, 'weight-decay', d.weightDecay),
    seed: integer(values, 'seed', d.seed),
    patience: values.patience === 'none' ? null : integer(values, 'patience', d.patience ?? 2),
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

function backendName(value: unknown): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!isBackendName(String(value)))
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}; got "${value}"`);
  return value as BackendName;
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function number(values: Record<string, unknown>, name: string, fallback: number): number {
  if (values[name] === undefined) return fallback;
  const value = Number(values[name]);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number; got "${values[name]}"`);
  return value;
}

function integer(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = number(values, name, fallback);
  if (!Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number; got "${values[name]}"`);
  return value;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must list whole numbers ≥ 1; got "${text}"`);
  return value;
}

function oneOf<T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: T[],
  fallback: T,
  flag = `--${name}`,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

function overview(): string {
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  const metrics = Object.entries(METRIC_DESCRIPTIONS).map(([k, v]) => `  ${k.padEnd(16)} ${v}`);
  return `esmc-lab — entire-space post-click conversion models and Probability Space Confusion

Usage: esmc-lab <command> [options]      esmc-lab <command> --help

Commands:
${list.join('\n')}

Metrics reported:
${metrics.join('\n')}`;
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}
