import * as tf from '../tf.js';
import type { EncodedDataset, FeatureSchema } from '../data/dataset.js';
import type { ParameterStore } from './params.js';

/** The tensors of one batch, built once and shared by every tower. */
export interface BatchInputs {
  /** [batch × categoricalFields] row ids into the fused table (field offsets already added). */
  categoricalRows: tf.Tensor2D;
  /** Per multi-hot field: [batch × maxLength] row ids (padding points at the field's row 0) and a 0/1 mask. */
  bags: { rows: tf.Tensor2D; mask: tf.Tensor2D }[];
  dense: tf.Tensor2D;
  size: number;
}

/**
 * One fused table holds every categorical and multi-hot field, one block of rows per field, so a batch needs
 * one gather for all categorical fields. Output: [batch × (fields · dim + dense)], the "h" of every paper.
 */
export class FeatureEmbedding {
  readonly outputWidth: number;
  private readonly table: tf.Variable;
  private readonly offsets: number[];
  private readonly bagOffsets: number[];

  constructor(
    private readonly schema: FeatureSchema,
    readonly dim: number,
    params: ParameterStore,
    initStd = 0.05,
  ) {
    let rows = 0;
    this.offsets = schema.categorical.map((field) => ((rows += field.vocabSize), rows - field.vocabSize));
    this.bagOffsets = schema.multiHot.map((field) => ((rows += field.vocabSize), rows - field.vocabSize));
    if (rows === 0) throw new Error('The feature schema has no categorical or multi-hot field to embed');
    this.table = params.normal('embedding', [rows, dim], initStd);
    this.outputWidth = (schema.categorical.length + schema.multiHot.length) * dim + schema.dense.length;
  }

  /** Turns encoded rows into input tensors (caller disposes, or builds them inside a tidy). */
  inputs(data: EncodedDataset): BatchInputs {
    const n = data.rows;
    const fields = this.schema.categorical.length;
    const rows = new Int32Array(n * fields);
    for (let i = 0; i < n * fields; i++) {
      const field = i % fields;
      rows[i] = this.offsets[field] + clampId(data.categorical[i], this.schema.categorical[field].vocabSize);
    }
    const bags = this.schema.multiHot.map((field, f) => {
      const ids = data.multiHot[f];
      const bagRows = new Int32Array(ids.length);
      const mask = new Float32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const present = ids[i] >= 0;
        bagRows[i] = this.bagOffsets[f] + (present ? clampId(ids[i], field.vocabSize) : 0);
        mask[i] = present ? 1 : 0;
      }
      return {
        rows: tf.tensor2d(bagRows, [n, field.maxLength], 'int32'),
        mask: tf.tensor2d(mask, [n, field.maxLength], 'float32'),
      };
    });
    return {
      categoricalRows: tf.tensor2d(rows, [n, fields], 'int32'),
      bags,
      dense: tf.tensor2d(data.dense, [n, this.schema.dense.length], 'float32'),
      size: n,
    };
  }

  apply(inputs: BatchInputs): tf.Tensor2D {
    const n = inputs.size;
    const parts: tf.Tensor2D[] = [];
    if (this.schema.categorical.length > 0) {
      const flat = tf.reshape(inputs.categoricalRows, [-1]);
      parts.push(tf.reshape(tf.gather(this.table, flat), [n, this.schema.categorical.length * this.dim]));
    }
    this.schema.multiHot.forEach((field, f) => {
      const { rows, mask } = inputs.bags[f];
      const vectors = tf.reshape(tf.gather(this.table, tf.reshape(rows, [-1])), [n, field.maxLength, this.dim]);
      const summed = tf.sum(tf.mul(vectors, tf.expandDims(mask, 2)), 1) as tf.Tensor2D;
      parts.push(field.pooling === 'mean' ? tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1)) : summed);
    });
    if (this.schema.dense.length > 0) parts.push(inputs.dense);
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }
}

/** Ids outside the vocabulary (a file scored against an older encoding) fall into the OOV row 0. */
function clampId(id: number, vocabSize: number): number {
  return id >= 0 && id < vocabSize ? id : 0;
}
