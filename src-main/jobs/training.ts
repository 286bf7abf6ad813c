import { randomUUID } from 'node:crypto';
import type { BackendName } from '../engine/backends/index.js';
import type { EncodedDataset } from '../engine/data/dataset.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../engine/models/index.js';
import { mergeSettings } from '../../src-shared/settings.js';
import { DEFAULT_SPLIT, loadFromProject, STREAM_ABOVE_ROWS } from '../engine/run.js';
import { storedRows } from '../engine/store/read.js';
import { isTrainingRows } from '../engine/train/rows.js';
import type { Project } from '../engine/store/project.js';
import { saveFailedRun, saveRun, type PartialTraining } from '../engine/store/runs.js';
import { resolveTrainSettings, type TrainSettings } from '../engine/train/trainer.js';
import { createSplit, listSplits } from '../engine/store/splits.js';
import type { JobContext } from './manager.js';
import { oneAtATime } from './queue.js';
import { runWorkerTask, type WorkerSlots } from './workers.js';
import { isRemoteRows, serveRows, type RemoteRows } from './rows-channel.js';
import type { WorkerTrainingSource } from './tasks.js';
import { StopFlag } from './stop-flag.js';
import type { ModelJobState, TrainingJobEvent } from '../../src-shared/api/contract.js';

/** The seed of the dataset's random split and of the streamed rows' order, as `esmc-lab train` uses. */
const SPLIT_SEED = 1;

export interface TrainingJob {
  /** A connection of its own (Project.connect), closed by the caller. */
  project: Project;
  dataset: string;
  models: string[];
  modelConfig?: Partial<ModelConfig>;
  /** `auto` values are resolved against the training part (the same way in the job and in each worker). */
  trainConfig?: Partial<TrainSettings>;
  backend?: BackendName;
  slots: WorkerSlots;
  /** Shared by every job of the service: creating a dataset's split happens once. */
  serialiseSplits: ReturnType<typeof oneAtATime>;
  onTrainEvent(model: string, event: TrainingJobEvent): void;
  /** Training parts of more rows than this are streamed to the workers from the store; default STREAM_ABOVE_ROWS. */
  streamAbove?: number;
}

/**
 * Trains each model on its own worker thread, as many at once as the slots allow, on the dataset's stored
 * split (the seeded random one, made on first use as `esmc-lab train` does). The main thread reads the
 * split once into shared memory — the training part of a large dataset instead streams to each worker from the
 * store, batch by batch — and stores each run as it finishes; a model that fails is stored as a failed run with
 * its error. Cancelling the job, or one model (JobContext.onCancelPart), stops each model after its current
 * step: one that had begun is stored as a cancelled run with its curves, and with its best epoch's weights,
 * metrics and predictions when an epoch finished; one still waiting for a worker is dropped. Returns the ids
 * of the runs stored, in the order of `models`.
 */
export async function runTraining(job: TrainingJob, context: JobContext): Promise<string[]> {
  const { project, dataset } = job;
  const { signal } = context;
  context.progress(0, `reading "${dataset}"`);
  // Two trainings started together on a dataset without a split would each create it.
  await job.serialiseSplits(async () => {
    const splits = await listSplits(project, dataset);
    if (!splits.some((split) => split.split === 'random')) await createSplit(project, dataset, { kind: 'random' });
  });
  // In shared memory: every worker thread reads the same rows, none copies them.
  // Without the simulator's truth columns: training, evaluation and the stored predictions never read them
  // (a 10M-row simulation's parts: 1.2 GB with them, 0.84 GB without).
  const loaded = await loadFromProject(
    { kind: 'project', project, dataset, shared: true, truth: false },
    DEFAULT_SPLIT,
    SPLIT_SEED,
    job.streamAbove ?? STREAM_ABOVE_ROWS,
  );
  signal.throwIfAborted();
  const { parts } = loaded;
  const split = loaded.store!.split;
  // Only plain data crosses to the workers (the loaded source also holds the project's connection); streamed
  // training rows cross as a port to ask for batches on, one per model.
  const sourceFor = (train: EncodedDataset | RemoteRows): WorkerTrainingSource => ({
    schema: loaded.schema,
    findings: loaded.findings,
    path: loaded.path,
    sha256: loaded.sha256,
    rows: loaded.rows,
    parts: { ...parts, train },
  });
  /** The training rows for one model's worker: the shared part, or a stream of its own on its own connection. */
  const trainingRowsFor = async (): Promise<{ train: EncodedDataset | RemoteRows; close(): Promise<void> }> => {
    if (!isTrainingRows(parts.train)) return { train: parts.train, close: async () => undefined };
    const connection = await project.connect();
    let server: ReturnType<typeof serveRows>;
    try {
      server = serveRows(await storedRows(connection, dataset, { part: 'train', split }, SPLIT_SEED));
    } catch (error) {
      connection.close();
      throw error;
    }
    return {
      train: server.remote,
      close: async () => {
        await server.close();
        connection.close();
      },
    };
  };
  const config = resolveTrainSettings(job.trainConfig, parts.train.rows);
  const totalSteps = Math.min(
    config.maxSteps ?? Infinity,
    config.epochs * Math.ceil(parts.train.rows / config.batchSize),
  );
  // The cores the models of this job would leave idle go to their replicas: one model alone on two cores
  // trains data-parallel, two models train side by side on one core each.
  const threads = Math.max(1, Math.floor(job.slots.size / Math.min(job.models.length, job.slots.size)));
  const fractions = job.models.map(() => 0);
  const states = job.models.map((): ModelJobState => 'queued');
  const report = () =>
    context.progress(fractions.reduce((a, b) => a + b, 0) / fractions.length, describe(job.models, states));
  const setState = (index: number, state: ModelJobState, ended?: { runId?: string; error?: string }) => {
    states[index] = state;
    if (ENDED.has(state)) fractions[index] = 1;
    job.onTrainEvent(job.models[index], { type: 'state', state, ...ended });
    report();
  };
  // Per model: a stop flag its worker reads between steps (it then keeps its best epoch and is stored), and a
  // signal that takes it out of the queue before it starts.
  const stops = job.models.map(() => new StopFlag());
  const unqueue = job.models.map(() => new AbortController());
  const stopModel = (index: number) => {
    stops[index].request();
    unqueue[index].abort(new DOMException(`${job.models[index]} was cancelled`, 'AbortError'));
  };
  context.onCancelPart((model) => {
    const index = job.models.indexOf(model);
    if (index < 0) throw new Error(`this training has no model "${model}"; it trains ${job.models.join(', ')}`);
    stopModel(index);
  });
  const stopEveryModel = () => job.models.forEach((_, index) => stopModel(index));
  signal.addEventListener('abort', stopEveryModel, { once: true });
  // One transaction at a time on this connection: two models may finish together.
  const save = oneAtATime();

  const trainOne = async (model: string, index: number): Promise<string | null> => {
    const startedAt = new Date();
    // What it did, from its events: kept for a model that fails, whose worker's own record is lost with it.
    const partial: PartialTraining = { curve: [], epochs: [] };
    try {
      const trained = await job.slots.use(unqueue[index].signal, async () => {
        setState(index, 'training');
        // The rows this model trains on: the training part, not the whole dataset.
        job.onTrainEvent(model, {
          type: 'loaded',
          rows: parts.train.rows,
          epochs: config.epochs,
          ...(config.maxSteps === undefined ? {} : { maxSteps: config.maxSteps }),
        });
        let rows: Awaited<ReturnType<typeof trainingRowsFor>> | undefined;
        try {
          rows = await trainingRowsFor();
          // No signal: a cancelled model is stopped through its flag, so it ends with what it learned.
          return await runWorkerTask(
            {
              kind: 'train',
              model,
              source: sourceFor(rows.train),
              modelConfig: job.modelConfig,
              trainConfig: job.trainConfig,
              backend: job.backend,
              threads,
              stop: stops[index].buffer,
            },
            {
              onMessage: (message) => {
                if (message.type !== 'train-event') return;
                const { event } = message;
                if (event.type === 'step') {
                  const done = (event.epoch - 1) * event.stepsPerEpoch + event.step;
                  fractions[index] = Math.min(1, done / totalSteps);
                  partial.curve.push({ step: done, epoch: event.epoch, losses: event.losses });
                  report();
                } else {
                  const { epoch, trainLoss, validation, validationLoss } = event;
                  partial.epochs.push({ epoch, trainLoss, validation, validationLoss });
                }
                job.onTrainEvent(model, event);
              },
              transfer: isRemoteRows(rows.train) ? [rows.train.port] : [],
            },
          );
        } finally {
          await rows?.close();
        }
      });
      const { record, predictions } = trained;
      record.storedIn = { project: project.path, dataset, split };
      setState(index, 'storing');
      await save(() => saveRun(project, record, { dataset, split }, predictions));
      setState(index, record.status === 'cancelled' ? 'cancelled' : 'stored', { runId: record.id });
      return record.id;
    } catch (error) {
      // Taken out of the queue before it began: nothing was done, nothing is stored.
      if (unqueue[index].signal.aborted && states[index] === 'queued') {
        setState(index, 'cancelled');
        return null;
      }
      const id = randomUUID();
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      await save(() =>
        saveFailedRun(
          project,
          {
            id,
            model,
            startedAt: startedAt.toISOString(),
            durationMs: Date.now() - startedAt.getTime(),
            error: message,
            modelConfig: mergeSettings(DEFAULT_MODEL_CONFIG, job.modelConfig),
            trainConfig: config,
            backend: null,
            ...(partial.curve.length > 0 ? { partial } : {}),
          },
          { dataset, split },
        ),
      );
      setState(index, 'failed', { runId: id, error: message });
      return id;
    }
  };

  // Settle every model before returning, so no save is still running when the caller closes the connection.
  const outcomes = await Promise.allSettled(job.models.map(trainOne));
  signal.removeEventListener('abort', stopEveryModel);
  context.conclude(describe(job.models, states));
  signal.throwIfAborted();
  return outcomes.flatMap((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value === null ? [] : [outcome.value];
  });
}

const ENDED: ReadonlySet<ModelJobState> = new Set(['stored', 'cancelled', 'failed']);

/**
 * Where the job's models are, in words, from the busiest state to the ended ones: "training esmm, esm2; esmc
 * waiting for a free worker; 1 stored". Once every model has ended: "2 stored; 1 cancelled (esmc)".
 */
export function describe(models: readonly string[], states: readonly ModelJobState[]): string {
  const named = (state: ModelJobState) => states.flatMap((s, i) => (s === state ? [models[i]] : []));
  const list = (state: ModelJobState) => named(state).join(', ');
  const parts: string[] = [];
  if (named('training').length) parts.push(`training ${list('training')}`);
  if (named('storing').length) parts.push(`storing ${list('storing')}`);
  if (named('queued').length) parts.push(`${list('queued')} waiting for a free worker`);
  const stored = named('stored').length;
  if (stored) parts.push(`${stored} stored`);
  for (const state of ['cancelled', 'failed'] as const)
    if (named(state).length) parts.push(`${named(state).length} ${state} (${list(state)})`);
  return parts.join('; ');
}
