/**
 * One tfjs measurement in its own process (so peak RSS is this model's and this backend's alone):
 *   node --import tsx bench/worker.ts --data DIR --backend wasm --model esmc --embedding sparse --warmup 5
 *        --steps 30 --repeats 3 --infer-batches 16
 * Prints one RESULT_TAG line with a WorkerResult. bench/run.ts starts it; it is not meant to be run by hand.
 *
 * It measures the engine's public paths, as the CLI and the app use them: `train()` (one epoch over
 * (warmup + repeats·steps)·batch rows, a step event after every step) and `predictRows()` (batches of 4096,
 * each inside tf.tidy).
 */
import { parseArgs } from 'node:util';
import * as tf from '../src-main/engine/tf.js';
import { initBackend, isBackendName } from '../src-main/engine/backends/index.js';
import { takeRows } from '../src-main/engine/data/dataset.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../src-main/engine/models/index.js';
import { predictRows, range } from '../src-main/engine/train/predict.js';
import { train } from '../src-main/engine/train/trainer.js';
import { ModelReplica } from '../src-main/engine/train/replica.js';
import { readData, REFERENCE, RESULT_TAG, UNAVAILABLE_TAG, type WorkerResult } from './data.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    backend: { type: 'string' },
    model: { type: 'string' },
    warmup: { type: 'string' },
    steps: { type: 'string' },
    repeats: { type: 'string' },
    'infer-batches': { type: 'string' },
    embedding: { type: 'string' },
    'batch-size': { type: 'string', default: String(REFERENCE.batchSize) },
    threads: { type: 'string', default: '1' },
  },
});
const whole = (name: keyof typeof values, min: number): number => {
  const value = Number(values[name]);
  if (!(Number.isInteger(value) && value >= min)) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
};
const backendName = values.backend ?? '';
if (!isBackendName(backendName)) throw new Error(`Unknown backend "${backendName}"`);
const modelName = values.model ?? '';
const warmup = whole('warmup', 1);
const steps = whole('steps', 1);
const repeats = whole('repeats', 1);
const inferBatches = whole('infer-batches', 1);
const embedding = values.embedding ?? DEFAULT_MODEL_CONFIG.embedding ?? 'dense';
if (embedding !== 'dense' && embedding !== 'sparse') throw new Error(`--embedding must be dense or sparse`);
const { inferBatchSize } = REFERENCE;
const batchSize = whole('batch-size', 1);
const threads = whole('threads', 1);

let backend: Awaited<ReturnType<typeof initBackend>>;
try {
  backend = await initBackend(backendName);
} catch (error) {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const reason = message.replace(/^Backend "[^"]+" is not available here: /, '').trim();
  process.stdout.write(`${UNAVAILABLE_TAG}${reason}\n`);
  process.exit(0);
}
const trainRows = (warmup + repeats * steps) * batchSize;
const inferRows = inferBatches * inferBatchSize;
const data = readData(values.data!, Math.max(trainRows, inferRows));
const trainData = trainRows === data.rows ? data : takeRows(data, range(0, trainRows));
const inferData = inferRows === data.rows ? data : takeRows(data, range(0, inferRows));

const config: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: REFERENCE.embeddingDim,
  tower: { hidden: [...REFERENCE.hidden], activation: REFERENCE.activation, dropout: 0 },
  lossWeights: {},
  seed: 1,
  embedding,
};
const model = createModel(modelName, data.schema, config);
// Two threads: a replica of the model on the second core takes half of every batch and of the rows to predict.
const replica = threads > 1 ? await ModelReplica.start(model) : undefined;

// Training: a timestamp after every step (the step event comes once the step's losses are read back, so the
// step has finished); window k covers steps warmup + k·steps + 1 … warmup + (k + 1)·steps.
const tensorsBefore = tf.memory().numTensors;
const started = performance.now();
const stamps: number[] = [];
const losses: number[] = [];
await train(
  model,
  { train: trainData },
  {
    epochs: 1,
    batchSize,
    learningRate: REFERENCE.learningRate,
    weightDecay: 0,
    seed: 1,
    monitor: 'loss',
    patience: null,
    minSteps: 0,
    progressIntervalMs: 0,
  },
  {
    replica,
    onEvent: (event) => {
      if (event.type !== 'step') return;
      stamps.push(performance.now());
      losses.push(event.losses.total);
    },
  },
);
const expectedSteps = warmup + repeats * steps;
if (stamps.length !== expectedSteps)
  throw new Error(`Expected a step event after each of ${expectedSteps} steps, got ${stamps.length}`);
const trainSamplesPerSecond: number[] = [];
const windowLoss: number[] = [];
for (let k = 0; k < repeats; k++) {
  const from = warmup + k * steps - 1;
  const to = from + steps;
  trainSamplesPerSecond.push(((steps * batchSize) / (stamps[to] - stamps[from])) * 1000);
  windowLoss.push(losses.slice(from + 1, to + 1).reduce((a, b) => a + b, 0) / steps);
}
const leakedByTraining = tf.memory().numTensors - tensorsBefore;

// Inference: one warm-up batch, then every repeat scores all inferRows rows.
await predictRows(model, takeRows(inferData, range(0, inferBatchSize)), inferBatchSize);
if (replica) await predictRows(model, inferData, inferBatchSize, replica);
const tensorsBeforeInference = tf.memory().numTensors;
const inferSamplesPerSecond: number[] = [];
for (let k = 0; k < repeats; k++) {
  const t0 = performance.now();
  const out = await predictRows(model, inferData, inferBatchSize, replica);
  const ms = performance.now() - t0;
  if (!(out.ctcvr.length === inferRows && Number.isFinite(out.ctcvr[inferRows - 1])))
    throw new Error('predictRows returned an incomplete or non-finite result');
  inferSamplesPerSecond.push((inferRows / ms) * 1000);
}
const leakedTensors = leakedByTraining + tf.memory().numTensors - tensorsBeforeInference;

const result: WorkerResult = {
  runtime: `tfjs ${backend.name}${threads > 1 ? ` ×${threads} threads` : ''}`,
  backend: backend.name,
  device: backend.device,
  version: `tfjs ${tf.version_core}`,
  model: modelName,
  embedding,
  parameters: model.params.count(),
  batchSize,
  warmupSteps: warmup,
  steps,
  repeats,
  trainSamplesPerSecond,
  firstStepMs: stamps[0] - started,
  loss: { first: windowLoss[0], last: windowLoss[repeats - 1] },
  inferBatchSize,
  inferRows,
  inferSamplesPerSecond,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  leakedTensors,
};
await replica?.close();
model.dispose();
process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`);
