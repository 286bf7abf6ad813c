import * as tf from '../tf.js';
import { sliceRows, type EncodedDataset } from '../data/dataset.js';
import type { ModelReplica } from './replica.js';
import { STAGES, type EntireSpaceModel, type StageProbabilities } from '../models/model.js';

export type StageArrays = StageProbabilities<Float32Array>;

/** Below this many rows, handing half to a replica costs more than it saves. */
const MIN_ROWS_FOR_REPLICA = 16_384;

type Stage = (typeof STAGES)[number];

/**
 * Where predictions go: arrays of `rows` values per stage (made on first write), this call's rows from
 * `offset` on. Predicting the parts of a 10M-row dataset into one set of arrays copies nothing in between.
 */
export interface PredictionTarget {
  stages: Partial<Record<Stage, Float32Array>>;
  rows: number;
  offset: number;
}

/**
 * Every stage the model has, for every row, in batches so memory stays flat on any dataset size; written into
 * `into` when given (the result is then views of it). With a replica (another thread), it predicts the second
 * half of the rows while this thread predicts the first.
 */
export async function predictRows(
  model: EntireSpaceModel,
  data: EncodedDataset,
  batchSize = 4096,
  replica?: ModelReplica,
  into: PredictionTarget = { stages: {}, rows: data.rows, offset: 0 },
): Promise<StageArrays> {
  const put = (stage: Stage, values: Float32Array, at: number) =>
    (into.stages[stage] ??= new Float32Array(into.rows)).set(values, into.offset + at);
  if (replica && data.rows >= MIN_ROWS_FOR_REPLICA) {
    const half = Math.ceil(data.rows / 2);
    const theirs = replica.predict(model, sliceRows(data, half, data.rows), batchSize);
    // Awaited below; a failure meanwhile must not count as unhandled.
    theirs.catch(() => undefined);
    await predictRows(model, sliceRows(data, 0, half), batchSize, undefined, into);
    for (const [stage, values] of Object.entries(await theirs)) put(stage as Stage, values as Float32Array, half);
  } else {
    for (let start = 0; start < data.rows; start += batchSize) {
      const batch = sliceRows(data, start, Math.min(start + batchSize, data.rows));
      const stacked = tf.tidy(() => {
        const p = model.predict(model.inputs(batch), false);
        const present = STAGES.filter((stage) => p[stage] !== undefined);
        return { present, values: tf.stack(present.map((stage) => p[stage]!)) };
      });
      const values = (await stacked.values.data()) as Float32Array;
      stacked.values.dispose();
      stacked.present.forEach((stage, s) => put(stage, values.subarray(s * batch.rows, (s + 1) * batch.rows), start));
    }
  }
  const out: Partial<Record<Stage, Float32Array>> = {};
  for (const [stage, values] of Object.entries(into.stages))
    out[stage as Stage] = values.subarray(into.offset, into.offset + data.rows);
  return out as StageArrays;
}

export function range(start: number, end: number): Int32Array {
  const indices = new Int32Array(end - start);
  for (let i = 0; i < indices.length; i++) indices[i] = start + i;
  return indices;
}
