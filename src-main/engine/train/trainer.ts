import * as tf from '../tf.js';
import type { EncodedDataset } from '../data/dataset.js';
import { evaluateStages, type StageMetrics } from '../metrics/index.js';
import type { EntireSpaceModel } from '../models/model.js';
import { sliceRows } from '../data/dataset.js';
import { predictRows } from './predict.js';
import { inMemoryRows, isTrainingRows, type TrainingRows } from './rows.js';
import {
  HOST_MEMORY_BACKENDS,
  HostAdam,
  SparseAdam,
  TFJS_ADAM,
  variableOptimizer,
  type VariableOptimizer,
} from './adam.js';
import { combineGradients, hostGradients, labelTensors, tensorGradients } from './gradients.js';
import { shareWeights, type ModelReplica } from './replica.js';
import type { FieldRange, SparseLookup } from '../layers/embedding.js';
import { PARAMETER_TERMS } from '../layers/constraint.js';
import { stageRates } from '../metrics/learning.js';
import { settingProblems } from '../../../src-shared/settings.js';
import type { TrainConfig, TrainEvent, TrainResult } from '../../../src-shared/types/training.js';

export type {
  TrainConfig,
  TrainEvent,
  EpochSummary,
  TrainResult,
  TrainSettings,
} from '../../../src-shared/types/training.js';
export { DEFAULT_TRAIN_SETTINGS, resolveTrainSettings } from '../../../src-shared/types/training.js';
export { labelTensors } from './gradients.js';

/**
 * A request to stop, read between steps: an AbortSignal, or a flag another thread sets in shared memory (a
 * training loop that never yields to the event loop would never see a message).
 */
export interface StopSignal {
  readonly aborted: boolean;
}

export interface TrainOptions {
  onEvent?: (event: TrainEvent) => void;
  /** Checked between steps: a step either completes or never starts; the best epoch so far is kept. */
  signal?: StopSignal;
  /**
   * A copy of the model on another thread that shares each step (data parallel): it takes half of every batch
   * and the gradients are combined. Used where that computes the same step: a sparse embedding and a loss that
   * is a mean over all rows, no dropout (the halves would draw the same masks), and batches of 256 rows or
   * more; otherwise training stays on this thread.
   */
  replica?: ModelReplica;
}

/** Below this batch size, half a batch is too small a product for the exchange to pay. */
const MIN_BATCH_FOR_REPLICA = 256;

/**
 * The share of a data-parallel step's table update that this thread takes. It also combines and applies the
 * towers' gradients meanwhile, while the replica, whose half comes in a little later, has only the table.
 */
const LEADER_TABLE_SHARE = 0.3;

const CURVE_POINTS_PER_EPOCH = 50;

export async function train(
  model: EntireSpaceModel,
  data: { train: EncodedDataset | TrainingRows; validation?: EncodedDataset },
  config: TrainConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  validateConfig(config);
  // The epoch it stops in is validated like a full one.
  const maxSteps = config.maxSteps ?? Infinity;
  const rows = isTrainingRows(data.train) ? data.train : inMemoryRows(data.train, config.seed);
  if (rows.rows === 0) throw new Error('The training split has no rows');
  if (model.info.needsAction && !rows.hasActionLabel)
    throw new Error(`${model.info.name} needs an in-shop action label, and this data has none`);
  const baseRates = stageRates(rows.counts);
  // Before the weights are shared with a replica: it must start from the same biases.
  if (model.config.outputBias === 'base-rate') model.startAtRates(baseRates);
  const adam = { learningRate: config.learningRate, ...TFJS_ADAM, weightDecay: config.weightDecay };
  const embedding = model.sparseEmbedding;
  const replica =
    HOST_MEMORY_BACKENDS.has(tf.getBackend()) &&
    embedding &&
    model.lossIsRowMean &&
    model.config.tower.dropout === 0 &&
    config.batchSize >= MIN_BATCH_FOR_REPLICA
      ? options.replica
      : undefined;
  let optimizer: VariableOptimizer;
  let takeStep: (batch: EncodedDataset) => Promise<Record<string, number>>;
  if (replica) {
    // Shared memory: the tower weights the replica reads (this optimiser writes them), and the table's
    // moments (each thread updates the rows of its own fields).
    const weights = shareWeights(model);
    const towers = new HostAdam(adam, weights.byVariable);
    const moments = SparseAdam.sharedMoments(embedding!.hostValues.length);
    const [leaderFields, replicaFields] = embedding!.splitFields(LEADER_TABLE_SHARE);
    await replica.beginTraining(adam, weights, { moments, fields: replicaFields });
    const table = { adam: new SparseAdam(embedding!.hostValues, embedding!.dim, adam, moments), fields: leaderFields };
    optimizer = towers;
    takeStep = (batch) => dataParallelStep(model, towers, table, replica, batch);
  } else {
    const sparse = embedding && new SparseAdam(embedding.hostValues, embedding.dim, adam);
    optimizer = variableOptimizer(adam);
    takeStep = (batch) => trainStep(model, optimizer, sparse, batch);
  }
  const stepsPerEpoch = Math.ceil(rows.rows / config.batchSize);
  const curveWindow = Math.max(1, Math.floor(stepsPerEpoch / CURVE_POINTS_PER_EPOCH));
  const result: TrainResult = {
    status: 'completed',
    epochsRun: 0,
    bestEpoch: null,
    curve: [],
    epochs: [],
    samplesPerSecond: 0,
    threads: replica ? 2 : 1,
    baseRates,
  };
  const monitorName = config.monitor === 'loss' ? 'validation loss' : 'validation CVR AUC';
  let best: { score: number; epoch: number; weights: Awaited<ReturnType<typeof model.params.read>> } | null = null;
  let step = 0;
  let trainedSamples = 0;
  let trainingMs = 0;
  let lastEventAt = 0;

  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const epochSums: Record<string, number> = {};
      const windowSums: Record<string, number> = {};
      let windowSteps = 0;
      let s = 0;
      for await (const batch of rows.epoch(epoch, config.batchSize)) {
        if (options.signal?.aborted) {
          result.status = 'cancelled';
          break;
        }
        if (step >= maxSteps) break;
        const started = performance.now();
        const losses = await takeStep(batch);
        trainingMs += performance.now() - started;
        trainedSamples += batch.rows;
        step++;
        addInto(epochSums, losses);
        addInto(windowSums, losses);
        windowSteps++;
        const lastOfEpoch = s === stepsPerEpoch - 1 || step >= maxSteps;
        if (windowSteps === curveWindow || lastOfEpoch) {
          result.curve.push({ step, epoch, losses: scaled(windowSums, 1 / windowSteps) });
          for (const key of Object.keys(windowSums)) delete windowSums[key];
          windowSteps = 0;
        }
        const now = performance.now();
        if (options.onEvent && (now - lastEventAt >= config.progressIntervalMs || lastOfEpoch)) {
          lastEventAt = now;
          const samplesPerSecond = (trainedSamples / trainingMs) * 1000;
          options.onEvent({ type: 'step', epoch, step: s + 1, stepsPerEpoch, losses, samplesPerSecond });
        }
        s++;
      }
      if (result.status === 'cancelled') break;
      result.epochsRun = epoch;
      const trainLoss = scaled(epochSums, 1 / Math.max(s, 1));
      const validation = data.validation ? await evaluate(model, data.validation, options.replica) : undefined;
      const validationLoss = data.validation ? await lossOn(model, data.validation) : undefined;
      // Higher is better for both: the loss enters negated.
      const score = config.monitor === 'loss' ? -(validationLoss ?? NaN) : (validation?.cvr_auc ?? NaN);
      const improved = Number.isFinite(score) && (best === null || score > best.score);
      if (improved) best = { score, epoch, weights: await model.params.read() };
      result.epochs.push({ epoch, trainLoss, validation, validationLoss });
      options.onEvent?.({ type: 'epoch', epoch, trainLoss, validation, validationLoss, improved });
      const waited = best === null ? 0 : epoch - best.epoch;
      if (config.patience !== null && best !== null && waited >= config.patience && step >= config.minSteps) {
        result.status = 'early-stopped';
        result.stopReason = `${monitorName} did not improve for ${waited} epochs after epoch ${best.epoch}`;
        break;
      }
      if (step >= maxSteps) break;
    }
  } finally {
    optimizer.dispose();
    replica?.endTraining();
  }
  if (best !== null) {
    model.params.assign(best.weights);
    result.bestEpoch = best.epoch;
  } else if (result.epochsRun > 0) {
    result.bestEpoch = result.epochsRun;
  }
  if (result.status === 'completed' && step >= maxSteps && Number.isFinite(maxSteps))
    result.stopReason = `stopped after ${maxSteps} steps, as asked`;
  result.samplesPerSecond = trainingMs > 0 ? (trainedSamples / trainingMs) * 1000 : 0;
  return result;
}

/**
 * One optimiser step, atomic with respect to cancellation; returns the batch's loss terms and total. Adam
 * updates the variables; a sparse embedding's touched rows get their gradient from `embedded`, the looked-up
 * rows, and are updated on the host by lazy Adam.
 */
async function trainStep(
  model: EntireSpaceModel,
  optimizer: VariableOptimizer,
  sparse: SparseAdam | undefined,
  batch: EncodedDataset,
): Promise<Record<string, number>> {
  let names: string[] = [];
  let embedded: tf.Tensor | undefined;
  let lookup: SparseLookup | undefined;
  const losses = tf.tidy(() => {
    const gradients = tensorGradients(model, batch);
    const variables = [...model.params.variables.values()];
    const byVariable = new Map<tf.Variable, tf.Tensor>();
    variables.forEach((variable, i) => gradients.variables[i] && byVariable.set(variable, gradients.variables[i]));
    optimizer.step(byVariable);
    names = gradients.lossNames;
    if (gradients.embedded) embedded = tf.keep(gradients.embedded);
    lookup = gradients.lookup;
    return gradients.losses;
  });
  const values = await losses.data();
  losses.dispose();
  if (embedded) {
    const dEmbedded = (await embedded.data()) as Float32Array;
    embedded.dispose();
    sparse!.step(model.sparseEmbedding!.rowGradients([{ lookup: lookup!, embedded: dEmbedded }]));
  }
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/**
 * The same step on two threads: the replica takes the second half of the batch while this thread computes the
 * first; the towers' gradients are combined here and one optimiser applies them. Each thread then updates its
 * own fields' rows of the embedding table for the whole batch, adding the parts in the same order (this
 * thread's first). The step ends once both are done, so the next lookups read an updated table and nothing
 * reads it half-written.
 */
async function dataParallelStep(
  model: EntireSpaceModel,
  optimizer: HostAdam,
  table: { adam: SparseAdam; fields: FieldRange },
  replica: ModelReplica,
  batch: EncodedDataset,
): Promise<Record<string, number>> {
  const variables = [...model.params.variables.values()];
  // A short batch (an epoch's last) is computed here whole; the replica still updates its fields.
  const split = batch.rows >= MIN_BATCH_FOR_REPLICA;
  const half = split ? Math.ceil(batch.rows / 2) : batch.rows;
  const theirs = split ? replica.gradients(model, sliceRows(batch, half, batch.rows)) : undefined;
  // Awaited below; until then a failure must not count as unhandled (it would end the process).
  theirs?.catch(() => undefined);
  const mine = hostGradients(model, sliceRows(batch, 0, half));
  const embeddingUpdated = replica.updateEmbedding({ lookup: mine.lookup!, embedded: mine.embedded!, rows: mine.rows });
  embeddingUpdated.catch(() => undefined);
  // This thread's part of its fields' rows while the replica finishes its half.
  const rowSum = model.sparseEmbedding!.sumRowGradients(table.fields);
  rowSum.add({ lookup: mine.lookup!, embedded: mine.embedded!, weight: mine.rows / batch.rows });
  const parts = theirs ? [mine, await theirs] : [mine];
  if (parts[1])
    rowSum.add({ lookup: parts[1].lookup!, embedded: parts[1].embedded!, weight: parts[1].rows / batch.rows });
  const combined = combineGradients(parts);
  optimizer.stepHost(
    new Map(variables.flatMap((variable, i) => (combined.variables[i] ? [[variable, combined.variables[i]]] : []))),
  );
  table.adam.step(rowSum.result());
  await embeddingUpdated;
  return combined.losses;
}

export async function evaluate(
  model: EntireSpaceModel,
  data: EncodedDataset,
  replica?: ModelReplica,
): Promise<StageMetrics> {
  return evaluateStages(await predictRows(model, data, undefined, replica), data.labels, data.userIds);
}

/**
 * The model's own loss on `data`, weighted as in training, without the terms of the parameters alone (the
 * constraint): what early stopping watches. Batch means weighted by rows, so it does not depend on the batch size
 * except through a term that averages over a subset (naive's clicked rows), which stays close.
 */
export async function lossOn(model: EntireSpaceModel, data: EncodedDataset, batchSize = 4096): Promise<number> {
  let sum = 0;
  for (let start = 0; start < data.rows; start += batchSize) {
    const batch = sliceRows(data, start, Math.min(start + batchSize, data.rows));
    const total = tf.tidy(() => {
      const { terms } = model.loss(model.inputs(batch), labelTensors(batch), false);
      const weighted = Object.entries(terms)
        .filter(([name]) => !PARAMETER_TERMS.has(name))
        .map(([name, term]) => tf.mul(term, model.lossWeight(name)));
      return tf.addN(weighted);
    });
    sum += (await total.data())[0] * batch.rows;
    total.dispose();
  }
  return data.rows > 0 ? sum / data.rows : NaN;
}

/** The same checks as every door (src-shared/settings.ts), on the resolved values. */
function validateConfig(config: TrainConfig): void {
  const problems = settingProblems('train', config);
  if (problems.length) throw new Error(`Invalid training configuration: ${problems.join('; ')}`);
}

function addInto(sums: Record<string, number>, values: Record<string, number>): void {
  for (const [key, value] of Object.entries(values)) sums[key] = (sums[key] ?? 0) + value;
}

function scaled(values: Record<string, number>, factor: number): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value * factor]));
}
