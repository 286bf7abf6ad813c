import * as tf from '../tf.js';
import { sliceRows, takeRows, type EncodedDataset } from '../data/dataset.js';
import type { ModelReplica } from './replica.js';
import { STAGES, type EntireSpaceModel, type StageProbabilities } from '../models/model.js';

export type StageArrays = StageProbabilities<Float32Array>;

/** Below this many rows, handing half to a replica costs more than it saves. */
const MIN_ROWS_FOR_REPLICA = 16_384;

/**
 * Every stage the model has, for every row, in batches so memory stays flat on any dataset size. With a
 * replica (another thread), it predicts the second half of the rows while this thread predicts the first.
 */
export async function predictRows(
  model: EntireSpaceModel,
  data: EncodedDataset,
  batchSize = 4096,
  replica?: ModelReplica,
): Promise<StageArrays> {
  if (replica && data.rows >= MIN_ROWS_FOR_REPLICA) {
    const half = Math.ceil(data.rows / 2);
    const theirs = replica.predict(model, sliceRows(data, half, data.rows), batchSize);
    // Awaited below; a failure meanwhile must not count as unhandled.
    theirs.catch(() => undefined);
    const mine = await predictRows(model, sliceRows(data, 0, half), batchSize);
    const other = await theirs;
    const out: Partial<Record<(typeof STAGES)[number], Float32Array>> = {};
    for (const stage of Object.keys(mine) as (typeof STAGES)[number][]) {
      out[stage] = new Float32Array(data.rows);
      out[stage].set(mine[stage]!);
      out[stage].set(other[stage]!, half);
    }
    return out as StageArrays;
  }
  const out: Partial<Record<(typeof STAGES)[number], Float32Array>> = {};
  for (let start = 0; start < data.rows; start += batchSize) {
    const end = Math.min(start + batchSize, data.rows);
    const batch = start === 0 && end === data.rows ? data : takeRows(data, range(start, end));
    const stacked = tf.tidy(() => {
      const p = model.predict(model.inputs(batch), false);
      const present = STAGES.filter((stage) => p[stage] !== undefined);
      return { present, values: tf.stack(present.map((stage) => p[stage]!)) };
    });
    const values = (await stacked.values.data()) as Float32Array;
    stacked.values.dispose();
    stacked.present.forEach((stage, s) => {
      out[stage] ??= new Float32Array(data.rows);
      out[stage].set(values.subarray(s * batch.rows, (s + 1) * batch.rows), start);
    });
  }
  return out as StageArrays;
}

export function range(start: number, end: number): Int32Array {
  const indices = new Int32Array(end - start);
  for (let i = 0; i < indices.length; i++) indices[i] = start + i;
  return indices;
}
