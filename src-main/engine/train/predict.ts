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
  /** Arrays in shared memory: a replica writes its half of the rows into them directly, copying nothing. */
  shared?: boolean;
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
  const allocate = () =>
    into.shared ? new Float32Array(new SharedArrayBuffer(4 * into.rows)) : new Float32Array(into.rows);
  const put = (stage: Stage, values: Float32Array, at: number) =>
    (into.stages[stage] ??= allocate()).set(values, into.offset + at);
  if (replica && data.rows >= MIN_ROWS_FOR_REPLICA) {
    const half = Math.ceil(data.rows / 2);
    // One row first: it makes the target's arrays, which a shared target's replica writes into. (A whole batch
    // first kept the replica waiting for it: 1/8 longer on 64k rows.)
    const first = 1;
    await predictRows(model, sliceRows(data, 0, first), batchSize, undefined, into);
    const theirRows = sliceRows(data, half, data.rows);
    const theirs = into.shared
      ? replica.predictInto(model, theirRows, batchSize, { ...into, offset: into.offset + half })
      : replica.predict(model, theirRows, batchSize);
    // Awaited below; a failure meanwhile must not count as unhandled.
    theirs.catch(() => undefined);
    await predictRows(model, sliceRows(data, first, half), batchSize, undefined, {
      ...into,
      offset: into.offset + first,
    });
    const answer = await theirs;
    if (answer) for (const [stage, values] of Object.entries(answer)) put(stage as Stage, values as Float32Array, half);
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
