import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { activeBackend, initBackend, type BackendInfo, type BackendName } from './backends/index.js';
import type { EncodedDataset, FeatureSchema } from './data/dataset.js';
import { loadCsvDataset, type FeatureEncoding, type Finding, type LoadCsvOptions } from './data/encode.js';
import { DEFAULT_SPLIT, splitRows, takeSplit, type SplitFractions } from './data/split.js';
import { createModel, DEFAULT_MODEL_CONFIG, type EntireSpaceModel, type ModelConfig } from './models/index.js';
import type { Project } from './store/project.js';
import { readDataset, schemaOf, storedRows } from './store/read.js';
import { saveRun, type RunPredictions } from './store/runs.js';
import { ensureSplit } from './store/splits.js';
import { HOST_MEMORY_BACKENDS } from './train/adam.js';
import { saveModel } from './train/checkpoint.js';
import { predictRows, type PredictionTarget, type StageArrays } from './train/predict.js';
import { ModelReplica } from './train/replica.js';
import { isTrainingRows, type TrainingRows } from './train/rows.js';
import {
  resolveTrainSettings,
  train,
  type StopSignal,
  type TrainConfig,
  type TrainEvent,
  type TrainSettings,
} from './train/trainer.js';
import { countLabels, scoreHeldOut, type LabelCounts, type LearningAssessment } from './metrics/learning.js';
import { supportFindings } from './data/support.js';
import { mergeSettings } from '../../src-shared/settings.js';
import type { RunRecord } from '../../src-shared/types/training.js';

export type { RunRecord } from '../../src-shared/types/training.js';

export { DEFAULT_SPLIT };

/** A file read directly, or a dataset imported into a project (whose stored split every model shares). */
export type DataSource =
  | { kind: 'file'; path: string; load?: LoadCsvOptions }
  | {
      kind: 'project';
      project: Project;
      dataset: string;
      split?: string;
      /** Read the parts into shared memory, for worker threads to train on without copies. */
      shared?: boolean;
      /** False leaves the simulator's truth columns out of the parts (training needs none). */
      truth?: boolean;
    };

/** The rows of one comparison, split once, with what describes where they came from. */
export interface LoadedSource {
  /** The training part is streamed from the store when it is too large to hold (see `streamAbove`). */
  parts: { train: EncodedDataset | TrainingRows; validation: EncodedDataset; test: EncodedDataset };
  schema: FeatureSchema;
  encoding: FeatureEncoding;
  findings: Finding[];
  path: string;
  sha256: string;
  rows: number;
  store?: { project: Project; dataset: string; split: string };
}

export interface TrainRunOptions {
  source: DataSource;
  models: string[];
  modelConfig?: Partial<ModelConfig>;
  trainConfig?: Partial<TrainSettings>;
  split?: SplitFractions;
  splitSeed?: number;
  /** A project's training part with more rows than this is streamed batch by batch instead of loaded. */
  streamAbove?: number;
  backend?: BackendName;
  /** Where to save each trained model; "{model}" is replaced by the model's name. */
  savePath?: string;
  onEvent?: (model: string, event: TrainEvent | LoadedEvent) => void;
  /** Called with each trained model (best weights) before it is disposed, e.g. to predict for an analysis. */
  onTrained?: (model: EntireSpaceModel, source: LoadedSource) => Promise<void>;
  signal?: AbortSignal;
  /** Threads per model (see TrainModelOptions.threads); models train one after another. Default: every core. */
  threads?: number;
}

/**
 * The data is read: its findings, what its parts can support (data/support.ts), and the settings every model
 * will train with (`auto` resolved against the training part).
 */
export interface LoadedEvent {
  type: 'loaded';
  rows: number;
  findings: Finding[];
  support: Finding[];
  config: TrainConfig;
}

/** DuckDB's cache while a project's rows train (see Project.withMemoryLimit); ESMC_LAB_TRAINING_DUCKDB_MEMORY overrides. */
export const TRAINING_DUCKDB_MEMORY = process.env.ESMC_LAB_TRAINING_DUCKDB_MEMORY || '512MB';

/** Loads the data, splits it once, and trains each model on the same rows: the CLI's `train`, headless. */
export function trainRun(options: TrainRunOptions): Promise<RunRecord[]> {
  const { source } = options;
  return source.kind === 'project'
    ? source.project.withMemoryLimit(TRAINING_DUCKDB_MEMORY, () => trainEach(options))
    : trainEach(options);
}

async function trainEach(options: TrainRunOptions): Promise<RunRecord[]> {
  await initBackend(options.backend);
  const fractions = options.split ?? DEFAULT_SPLIT;
  const seed = options.splitSeed ?? 1;
  const source =
    options.source.kind === 'file'
      ? await loadFile(options.source.path, options.source.load, fractions, seed)
      : await loadFromProject(options.source, fractions, seed, options.streamAbove ?? STREAM_ABOVE_ROWS);
  options.onEvent?.('', {
    type: 'loaded',
    rows: source.rows,
    findings: source.findings,
    support: supportFindings(partCounts(source.parts)),
    config: resolveTrainSettings(options.trainConfig, source.parts.train.rows),
  });
  const records: RunRecord[] = [];
  for (const name of options.models) {
    if (options.signal?.aborted) break;
    const { model, record, replica } = await trainModel(name, source, {
      modelConfig: options.modelConfig,
      trainConfig: options.trainConfig,
      signal: options.signal,
      onEvent: (event) => options.onEvent?.(name, event),
      threads: options.threads ?? availableParallelism(),
    });
    try {
      // A run cancelled after an epoch holds that epoch's best weights: a result like any other.
      const usable = hasEpochs(record.training);
      if (usable) await options.onTrained?.(model, source);
      if (source.store) {
        const { project, dataset, split } = source.store;
        const predictions = usable ? await predictParts(model, source.parts, replica) : undefined;
        record.storedIn = { project: project.path, dataset, split };
        await saveRun(project, record, { dataset, split }, predictions);
      }
      if (options.savePath && usable) {
        record.savedTo = options.savePath.replaceAll('{model}', name);
        await saveModel<FeatureEncoding, Omit<RunRecord, 'savedTo'>>(record.savedTo, model, source.encoding, record);
      }
      records.push(record);
    } finally {
      await replica?.close();
      model.dispose();
    }
  }
  return records;
}

/** At least one epoch finished: the model holds its best epoch's weights, which were scored and can predict. */
export function hasEpochs(training: Pick<RunRecord['training'], 'epochsRun'>): boolean {
  return training.epochsRun > 0;
}

/** Each loaded part's funnel counts. */
export function partCounts(parts: LoadedSource['parts']): Record<keyof LoadedSource['parts'], LabelCounts> {
  const counted = (part: EncodedDataset | TrainingRows) =>
    isTrainingRows(part) ? part.counts : countLabels(part.labels);
  return { train: counted(parts.train), validation: counted(parts.validation), test: counted(parts.test) };
}

/** What one model trains on and what its run record says about the data. */
export type TrainingSource = Pick<LoadedSource, 'parts' | 'schema' | 'findings' | 'path' | 'sha256' | 'rows'>;

export interface TrainModelOptions {
  modelConfig?: Partial<ModelConfig>;
  /** `auto` values are resolved against the training part's rows; the run records what they became. */
  trainConfig?: Partial<TrainSettings>;
  /** Stops between steps; the run is then 'cancelled', scored with its best epoch when one finished. */
  signal?: StopSignal;
  onEvent?: (event: TrainEvent) => void;
  /**
   * 2 or more: a replica of the model on a second thread shares every step and every prediction (data
   * parallel; see TrainOptions.replica) on the backends whose tensors are in host memory. Default 1.
   */
  threads?: number;
}

/** Below this many training rows, starting a second thread and backend (about half a second) saves nothing. */
const REPLICA_MIN_TRAINING_ROWS = 32_768;

/**
 * Trains one model on loaded parts (the backend already initialised) and describes the run: metrics on the
 * validation and test parts with the best epoch's weights. The caller owns the model and disposes it, and
 * closes the replica (kept for the caller's own predictions) when there is one.
 */
export async function trainModel(
  name: string,
  source: TrainingSource,
  options: TrainModelOptions = {},
): Promise<{ model: EntireSpaceModel; record: RunRecord; replica?: ModelReplica }> {
  const { parts } = source;
  const modelConfig = mergeSettings(DEFAULT_MODEL_CONFIG, options.modelConfig);
  const trainConfig = resolveTrainSettings(options.trainConfig, parts.train.rows);
  const model = createModel(name, source.schema, modelConfig);
  let replica: ModelReplica | undefined;
  try {
    const worthAReplica = parts.train.rows >= REPLICA_MIN_TRAINING_ROWS;
    if ((options.threads ?? 1) > 1 && worthAReplica && HOST_MEMORY_BACKENDS.has(activeBackend().name))
      replica = await ModelReplica.start(model);
    const startedAt = new Date();
    const validation = parts.validation.rows > 0 ? parts.validation : undefined;
    const { status, ...training } = await train(model, { train: parts.train, validation }, trainConfig, {
      signal: options.signal,
      onEvent: options.onEvent,
      replica,
    });
    // Stopped before an epoch ended: its weights are a half-step of nothing, not a result to score.
    const heldOut = hasEpochs(training)
      ? await scoreModel(model, parts, training.baseRates ?? {}, replica)
      : { metrics: {} };
    const record: RunRecord = {
      id: randomUUID(),
      model: name,
      status,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      backend: withThreads(activeBackend(), training.threads ?? 1),
      data: {
        path: source.path,
        sha256: source.sha256,
        rows: source.rows,
        split: { train: parts.train.rows, validation: parts.validation.rows, test: parts.test.rows },
        findings: source.findings,
      },
      modelConfig,
      trainConfig,
      parameters: model.params.count(),
      training,
      metrics: heldOut.metrics,
      ...(heldOut.learning ? { learning: heldOut.learning } : {}),
    };
    return { model, record, replica };
  } catch (error) {
    await replica?.close();
    model.dispose();
    throw error;
  }
}

/** Metrics and the "did it learn?" checks on the validation and test parts, from one prediction of each. */
async function scoreModel(
  model: EntireSpaceModel,
  parts: TrainingSource['parts'],
  baseRates: NonNullable<RunRecord['training']['baseRates']>,
  replica?: ModelReplica,
): Promise<{ metrics: RunRecord['metrics']; learning?: LearningAssessment }> {
  const scored: Parameters<typeof scoreHeldOut>[0] = {};
  for (const part of ['validation', 'test'] as const) {
    const data = parts[part];
    if (data.rows > 0)
      scored[part] = {
        predictions: await predictRows(model, data, undefined, replica),
        labels: data.labels,
        userIds: data.userIds,
      };
  }
  return scoreHeldOut(scored, baseRates);
}

/** The device as the run used it: "CPU (wasm SIMD), 2 threads" when a replica shared the steps. */
function withThreads(backend: BackendInfo, threads: number): BackendInfo {
  return threads > 1 ? { ...backend, device: `${backend.device}, ${threads} threads` } : backend;
}

async function loadFile(
  path: string,
  load: LoadCsvOptions | undefined,
  fractions: SplitFractions,
  seed: number,
): Promise<LoadedSource> {
  // The checksum reads the file once the reader has checked it: its open error would win the race otherwise.
  const loading = loadCsvDataset(path, load);
  const [loaded, sha256] = await Promise.all([loading, loading.then(() => fileSha256(path))]);
  return {
    parts: takeSplit(loaded.dataset, splitRows(loaded.dataset.rows, fractions, seed)),
    schema: loaded.dataset.schema,
    encoding: loaded.encoding,
    findings: loaded.findings,
    path,
    sha256,
    rows: loaded.dataset.rows,
  };
}

/** Beyond this many training rows, holding them (≈ 100 bytes a row with 20 fields) stops being cheap. */
export const STREAM_ABOVE_ROWS = 2_000_000;

/** Reads the three parts of a stored split, creating the seeded random split first if the dataset has none. */
export async function loadFromProject(
  source: Extract<DataSource, { kind: 'project' }>,
  fractions: SplitFractions,
  seed: number,
  streamAbove: number,
): Promise<LoadedSource> {
  const { project, dataset } = source;
  const info = await project.dataset(dataset);
  const split = await ensureSplit(project, dataset, source.split, fractions, seed);
  const read = (part: keyof SplitFractions) =>
    readDataset(project, dataset, { part, split }, { shared: source.shared, truth: source.truth });
  const streamed = await storedRows(project, dataset, { part: 'train', split }, seed);
  const parts = {
    train: streamed.rows > streamAbove ? streamed : await read('train'),
    validation: await read('validation'),
    test: await read('test'),
  };
  return {
    parts,
    schema: schemaOf(info.encoding),
    encoding: info.encoding,
    findings: info.findings,
    path: info.sourcePath,
    sha256: info.sha256,
    rows: info.rows,
    store: { project, dataset, split },
  };
}

/**
 * Every row of every part, so the project holds each stage's probability for any row an analyst opens. A
 * streamed training part is predicted batch by batch: only the outputs are held, never its rows.
 */
export async function predictParts(
  model: EntireSpaceModel,
  parts: LoadedSource['parts'],
  replica?: ModelReplica,
): Promise<RunPredictions> {
  const rows = parts.train.rows + parts.validation.rows + parts.test.rows;
  const rowIds = new Int32Array(rows);
  const target: PredictionTarget = { stages: {}, rows, offset: 0, shared: replica !== undefined };
  for await (const chunk of partChunks(parts)) {
    if (chunk.rows === 0) continue;
    await predictRows(model, chunk, undefined, replica, target);
    rowIds.set(chunk.rowIds!, target.offset);
    target.offset += chunk.rows;
  }
  const stages = target.stages;
  return { rowIds, stages: stages as StageArrays };
}

async function* partChunks(parts: LoadedSource['parts']): AsyncGenerator<EncodedDataset> {
  if (isTrainingRows(parts.train)) yield* parts.train.epoch(0, 65_536);
  else yield parts.train;
  yield parts.validation;
  yield parts.test;
}

export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
