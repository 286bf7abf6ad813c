/**
 * The benchmark's synthetic data and the contract between the harness and its two workers (tfjs, PyTorch).
 *
 * The parent generates the rows once and writes them as raw little-endian arrays into a temporary folder;
 * every worker, tfjs or PyTorch, reads the same files, so both sides train and score the very same rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodedDataset, FeatureSchema } from '../src-main/engine/data/dataset.js';
import { Random } from '../src-main/engine/random.js';

/** The reference configuration of issue 8. */
export const REFERENCE = {
  fields: 20,
  vocabSize: 10_000,
  embeddingDim: 8,
  hidden: [128, 64],
  activation: 'relu',
  batchSize: 1024,
  learningRate: 1e-3,
  inferBatchSize: 4096,
  /** Exponent of the Zipf law the ids follow (rank r has weight r^−s). */
  zipfExponent: 1.05,
} as const;

export const DATA_SEED = 20240917;

export interface DataMeta {
  rows: number;
  fields: number;
  vocabSize: number;
  zipfExponent: number;
  seed: number;
  /** Shares of the funnel, for the report. */
  clickRate: number;
  actionGivenClick: number;
  purchaseGivenClick: number;
  purchaseWithoutActionShare: number;
}

/** What every worker (tfjs or PyTorch) prints as one JSON line after RESULT_TAG. */
export interface WorkerResult {
  runtime: string;
  backend: string;
  device: string;
  version: string;
  model: string;
  /**
   * How the embedding table trains. dense: the full table's gradient and Adam over every row each step (tfjs's
   * plain path; PyTorch's models.py as is). sparse: only the rows a batch touched get a gradient and a lazy Adam
   * update (the engine's host table + SparseAdam; PyTorch's sparse embedding gradient + torch.optim.SparseAdam).
   */
  embedding: string;
  parameters: number;
  batchSize: number;
  warmupSteps: number;
  /** Timed steps per repeat. */
  steps: number;
  repeats: number;
  /** One figure per repeat (a window of `steps` consecutive steps after the warm-up). */
  trainSamplesPerSecond: number[];
  /** Wall time of the very first step (graph/kernel set-up included); informative only. */
  firstStepMs: number;
  /** Mean total loss over the first and the last timed window: both sides must be learning. */
  loss: { first: number; last: number };
  inferBatchSize: number;
  inferRows: number;
  /** One figure per repeat, each over all `inferRows` rows. */
  inferSamplesPerSecond: number[];
  /** Peak resident set of the worker process (data, runtime and model included), in MiB. */
  peakRssMiB: number;
  /** tfjs only: tensors left behind by a training step / a prediction (should be 0). */
  leakedTensors?: number;
}

export const RESULT_TAG = 'BENCH_RESULT ';
/** What bench/import-worker.ts prints as one JSON line. */
export const IMPORT_TAG = 'IMPORT_RESULT ';
/** A worker whose backend cannot start here prints this and the reason, and exits 0. */
export const UNAVAILABLE_TAG = 'BENCH_UNAVAILABLE ';

export function benchSchema(fields: number = REFERENCE.fields, vocabSize: number = REFERENCE.vocabSize): FeatureSchema {
  return {
    categorical: Array.from({ length: fields }, (_, f) => ({ name: `f${f}`, vocabSize })),
    multiHot: [],
    dense: [],
  };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Skewed ids and labels that respect the funnel. Ids follow a Zipf law over 1..vocab−1 (0 stays the OOV row),
 * each field with its own random rank → id map so the hot rows are scattered through the table. Each id has
 * small effects on the click, action and purchase logits; a ⇒ c and b ⇒ c always hold, and some purchases come
 * without an in-shop action (the case PSC is about).
 */
export function generateData(rows: number, seed = DATA_SEED): { data: EncodedDataset; meta: DataMeta } {
  const { fields, vocabSize, zipfExponent } = REFERENCE;
  const random = new Random(seed);
  const cdf = new Float64Array(vocabSize - 1);
  let total = 0;
  for (let r = 0; r < cdf.length; r++) cdf[r] = total += Math.pow(r + 1, -zipfExponent);
  for (let r = 0; r < cdf.length; r++) cdf[r] /= total;
  const rankToId = Array.from({ length: fields }, () => {
    const ids = Int32Array.from({ length: vocabSize - 1 }, (_, i) => i + 1);
    return random.shuffle(ids);
  });
  const effect = () => Float32Array.from({ length: fields * vocabSize }, () => 0.25 * random.normal());
  const clickEffect = effect();
  const actionEffect = effect();
  const purchaseEffect = effect();

  const categorical = new Int32Array(rows * fields);
  const click = new Float32Array(rows);
  const action = new Float32Array(rows);
  const purchase = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let zc = -1.6;
    let za = -0.9;
    let zb = -1.2;
    for (let f = 0; f < fields; f++) {
      const u = random.next();
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      const id = rankToId[f][lo];
      categorical[i * fields + f] = id;
      zc += clickEffect[f * vocabSize + id];
      za += actionEffect[f * vocabSize + id];
      zb += purchaseEffect[f * vocabSize + id];
    }
    if (random.next() >= sigmoid(zc)) continue;
    click[i] = 1;
    action[i] = random.next() < sigmoid(za) ? 1 : 0;
    // Purchases mostly follow an in-shop action, but not always (direct purchases).
    purchase[i] = random.next() < sigmoid(zb + (action[i] ? 1.2 : -2.0)) ? 1 : 0;
  }
  const data: EncodedDataset = {
    schema: benchSchema(fields, vocabSize),
    rows,
    categorical,
    multiHot: [],
    dense: new Float32Array(0),
    labels: { click, action, purchase },
  };
  const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
  const clicks = sum(click);
  let directPurchases = 0;
  for (let i = 0; i < rows; i++) if (purchase[i] && !action[i]) directPurchases++;
  const meta: DataMeta = {
    rows,
    fields,
    vocabSize,
    zipfExponent,
    seed,
    clickRate: clicks / rows,
    actionGivenClick: sum(action) / Math.max(1, clicks),
    purchaseGivenClick: sum(purchase) / Math.max(1, clicks),
    purchaseWithoutActionShare: directPurchases / Math.max(1, sum(purchase)),
  };
  return { data, meta };
}

/** Raw arrays: categorical.i32 [rows × fields], click/action/purchase.f32 [rows], and meta.json. */
export function writeData(dir: string, data: EncodedDataset, meta: DataMeta): void {
  const raw = (array: Int32Array | Float32Array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  writeFileSync(join(dir, 'categorical.i32'), raw(data.categorical));
  writeFileSync(join(dir, 'click.f32'), raw(data.labels.click));
  writeFileSync(join(dir, 'action.f32'), raw(data.labels.action!));
  writeFileSync(join(dir, 'purchase.f32'), raw(data.labels.purchase));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/** The first `rows` rows of the files `writeData` wrote. */
export function readData(dir: string, rows: number): EncodedDataset {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DataMeta;
  if (rows > meta.rows) throw new Error(`The benchmark data has ${meta.rows} rows; ${rows} were asked for`);
  const read = <T>(name: string, make: (buffer: ArrayBuffer, length: number) => T, length: number): T => {
    const bytes = readFileSync(join(dir, name));
    const copy = new ArrayBuffer(length * 4);
    new Uint8Array(copy).set(bytes.subarray(0, length * 4));
    return make(copy, length);
  };
  const f32 = (name: string) => read(name, (b, n) => new Float32Array(b, 0, n), rows);
  return {
    schema: benchSchema(meta.fields, meta.vocabSize),
    rows,
    categorical: read('categorical.i32', (b, n) => new Int32Array(b, 0, n), rows * meta.fields),
    multiHot: [],
    dense: new Float32Array(0),
    labels: { click: f32('click.f32'), action: f32('action.f32'), purchase: f32('purchase.f32') },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
