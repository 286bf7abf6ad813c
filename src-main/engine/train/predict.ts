import * as tf from '../tf.js';
import { takeRows, type EncodedDataset } from '../data/dataset.js';
import { STAGES, type EntireSpaceModel, type StageProbabilities } from '../models/model.js';

export type StageArrays = StageProbabilities<Float32Array>;

/** Every stage the model has, for every row, in batches so memory stays flat on any dataset size. */
export async function predictRows(
  model: EntireSpaceModel,
  data: EncodedDataset,
  batchSize = 4096,
): Promise<StageArrays> {
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
