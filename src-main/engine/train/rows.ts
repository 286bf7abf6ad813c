import { takeRows, type EncodedDataset } from '../data/dataset.js';
import { Random } from '../random.js';
import { countLabels, type LabelCounts } from '../metrics/learning.js';

/**
 * The rows a model trains on, one shuffled pass at a time: held in memory, or streamed batch by batch (from
 * the project store) when the training split is too large to hold. Every row comes exactly once per epoch.
 */
export interface TrainingRows {
  rows: number;
  hasActionLabel: boolean;
  /** What the constant predictor knows: the part's funnel counts (the rates output biases start from). */
  counts: LabelCounts;
  epoch(epoch: number, batchSize: number): AsyncIterable<EncodedDataset>;
}

/** Shuffles in memory with one generator across epochs, so a seed fixes every epoch's order. */
export function inMemoryRows(data: EncodedDataset, seed: number): TrainingRows {
  const shuffler = new Random(seed);
  return {
    rows: data.rows,
    hasActionLabel: data.labels.action !== undefined,
    counts: countLabels(data.labels),
    async *epoch(_epoch, batchSize) {
      const order = shuffler.shuffle(Int32Array.from({ length: data.rows }, (_, i) => i));
      for (let start = 0; start < data.rows; start += batchSize)
        yield takeRows(data, order.subarray(start, start + batchSize));
    },
  };
}

export function isTrainingRows(data: EncodedDataset | TrainingRows): data is TrainingRows {
  return 'epoch' in data;
}
