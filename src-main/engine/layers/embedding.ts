import * as tf from '../tf.js';
import type { EncodedDataset, FeatureSchema } from '../data/dataset.js';
import type { ParameterStore, ParameterValue } from './params.js';
import { writtenTensor } from '../backends/wasm-heap.js';
import type { EmbeddingMode } from '../../../src-shared/types/training.js';

export type { EmbeddingMode } from '../../../src-shared/types/training.js';

/** The tensors of one batch, built once and shared by every tower. */
export interface BatchInputs {
  size: number;
  dense: tf.Tensor2D;
  /** Dense mode: [batch × categoricalFields] row ids into the fused table (field offsets already added). */
  categoricalRows?: tf.Tensor2D;
  /** Dense mode, per multi-hot field: [batch × maxLength] row ids (padding → the field's row 0) and a 0/1 mask. */
  bags?: { rows: tf.Tensor2D; mask: tf.Tensor2D }[];
  /** Sparse mode: the looked-up (and pooled) embeddings, [batch × (fields · dim)]; gradients are taken here. */
  embedded?: tf.Tensor2D;
  /** Sparse mode: which table rows fed each slot of `embedded`, to route its gradient back to them. */
  lookup?: SparseLookup;
}

export interface SparseLookup {
  /** [batch × categoricalFields] table rows. */
  categoricalRows: Int32Array;
  /** Per multi-hot field: [batch × maxLength] table rows, −1 = padding. */
  bagRows: Int32Array[];
  /** Per multi-hot field: [batch] the factor each present id's gradient gets (1, or 1/count for mean pooling). */
  bagScale: Float32Array[];
}

/** The rows one batch touched and the gradient of each, [rows × dim]. */
export interface RowGradients {
  rows: Int32Array;
  gradients: Float32Array;
}

/**
 * Fields [from, to) in the table's order, categorical then multi-hot: each owns its own block of table rows,
 * so threads that take disjoint ranges update disjoint rows.
 */
export interface FieldRange {
  from: number;
  to: number;
}

/** One part of a batch's embedding gradient: which rows the slots of `embedded` came from, and its weight. */
export interface RowGradientPart {
  lookup: SparseLookup;
  embedded: Float32Array;
  weight?: number;
}

export interface RowGradientSum {
  add(part: RowGradientPart): void;
  /** The rows touched and their summed gradients; the sum is over (a new one can start). */
  result(): RowGradients;
}

/**
 * One fused table holds every categorical and multi-hot field, one block of rows per field, so a batch needs
 * one gather for all categorical fields. Output: [batch × (fields · dim + dense)], the "h" of every paper.
 */
export class FeatureEmbedding {
  readonly outputWidth: number;
  readonly tableRows: number;
  private readonly table?: tf.Variable;
  private readonly hostTable?: ParameterValue;
  private readonly offsets: Int32Array;
  private readonly vocabSizes: Int32Array;
  private readonly bagOffsets: number[];
  /** Scratch: table row → its slot among the rows a batch touched, −1 when untouched. */
  private slotOfRow?: Int32Array;
  /** Scratch: what a row gradient sum returns, reused from batch to batch. */
  private scratch?: RowGradients;

  constructor(
    private readonly schema: FeatureSchema,
    readonly dim: number,
    params: ParameterStore,
    readonly mode: EmbeddingMode = 'dense',
    initStd = 0.05,
  ) {
    let rows = 0;
    this.offsets = Int32Array.from(schema.categorical, (field) => ((rows += field.vocabSize), rows - field.vocabSize));
    this.vocabSizes = Int32Array.from(schema.categorical, (field) => field.vocabSize);
    this.bagOffsets = schema.multiHot.map((field) => ((rows += field.vocabSize), rows - field.vocabSize));
    if (rows === 0) throw new Error('The feature schema has no categorical or multi-hot field to embed');
    this.tableRows = rows;
    if (mode === 'dense') this.table = params.normal('embedding', [rows, dim], initStd);
    else this.hostTable = params.normalHost('embedding', [rows, dim], initStd);
    this.outputWidth = (schema.categorical.length + schema.multiHot.length) * dim + schema.dense.length;
  }

  /** The host table of a sparse embedding, for its optimiser. */
  get hostValues(): Float32Array {
    if (!this.hostTable) throw new Error('Only a sparse embedding keeps its table on the host');
    return this.hostTable.data;
  }

  /** Turns encoded rows into input tensors (caller disposes, or builds them inside a tidy). */
  inputs(data: EncodedDataset): BatchInputs {
    const n = data.rows;
    const fields = this.schema.categorical.length;
    const categoricalRows = new Int32Array(n * fields);
    const [offsets, vocabSizes] = [this.offsets, this.vocabSizes];
    for (let i = 0, at = 0; i < n; i++)
      for (let f = 0; f < fields; f++, at++)
        categoricalRows[at] = offsets[f] + clampId(data.categorical[at], vocabSizes[f]);
    const bagRows = this.schema.multiHot.map((field, f) => {
      const ids = data.multiHot[f];
      const rows = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++)
        rows[i] = ids[i] >= 0 ? this.bagOffsets[f] + clampId(ids[i], field.vocabSize) : -1;
      return rows;
    });
    const dense = tf.tensor2d(data.dense, [n, this.schema.dense.length], 'float32');
    if (this.mode === 'sparse') return this.lookUp(n, categoricalRows, bagRows, dense);
    return {
      size: n,
      dense,
      categoricalRows: tf.tensor2d(categoricalRows, [n, fields], 'int32'),
      bags: this.schema.multiHot.map((field, f) => {
        const rows = bagRows[f];
        const mask = rows.map((row) => (row >= 0 ? 1 : 0));
        const padded = rows.map((row) => (row >= 0 ? row : this.bagOffsets[f]));
        return {
          rows: tf.tensor2d(padded, [n, field.maxLength], 'int32'),
          mask: tf.tensor2d(Float32Array.from(mask), [n, field.maxLength], 'float32'),
        };
      }),
    };
  }

  apply(inputs: BatchInputs): tf.Tensor2D {
    const parts: tf.Tensor2D[] = [];
    if (inputs.embedded) parts.push(inputs.embedded);
    else parts.push(...this.gather(inputs));
    if (this.schema.dense.length > 0) parts.push(inputs.dense);
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }

  /** Every field: categorical, then multi-hot. */
  get fields(): FieldRange {
    return { from: 0, to: this.schema.categorical.length + this.schema.multiHot.length };
  }

  /**
   * The fields in two ranges, the first with about `share` of a row's lookups (a multi-hot field counts its
   * length): how two threads share a table update by its cost.
   */
  splitFields(share: number): [FieldRange, FieldRange] {
    const lookups = [...this.schema.categorical.map(() => 1), ...this.schema.multiHot.map((field) => field.maxLength)];
    const total = lookups.reduce((a, b) => a + b, 0);
    let at = 0;
    for (let sum = 0; at < lookups.length && sum + lookups[at] / 2 <= share * total; at++) sum += lookups[at];
    return [
      { from: 0, to: at },
      { from: at, to: lookups.length },
    ];
  }

  /** `sumRowGradients` with every part at once. */
  rowGradients(parts: RowGradientPart[], fields: FieldRange = this.fields): RowGradients {
    const sum = this.sumRowGradients(fields);
    for (const part of parts) sum.add(part);
    return sum.result();
  }

  /**
   * Starts summing a batch's gradient of `embedded` into the table rows that fed it (the gradient of a gather),
   * the rows of `fields` only. Parts of one batch (the halves of a data-parallel step) are added one at a time,
   * each scaled by its weight, and every row's sum adds them in that order. The result is scratch memory, valid
   * until the next sum starts.
   */
  sumRowGradients({ from, to }: FieldRange = this.fields): RowGradientSum {
    const { dim } = this;
    const fields = this.schema.categorical.length;
    const width = (fields + this.schema.multiHot.length) * dim;
    const bagWidth = this.schema.multiHot.reduce((sum, field) => sum + field.maxLength, 0);
    const slotOfRow = (this.slotOfRow ??= new Int32Array(this.tableRows).fill(-1));
    let { rows, gradients } = (this.scratch ??= { rows: new Int32Array(0), gradients: new Float32Array(0) });
    let touched = 0;
    const add = (row: number, embedded: Float32Array, at: number, scale: number) => {
      let slot = slotOfRow[row];
      if (slot < 0) {
        slot = slotOfRow[row] = touched++;
        rows[slot] = row;
        gradients.fill(0, slot * dim, slot * dim + dim);
      }
      for (let k = 0, to = slot * dim; k < dim; k++) gradients[to + k] += scale * embedded[at + k];
    };
    const [firstField, lastField] = [Math.min(from, fields), Math.min(to, fields)];
    return {
      add: ({ lookup, embedded, weight = 1 }) => {
        const n = embedded.length / width;
        const capacity = Math.min(this.tableRows, touched + n * (fields + bagWidth));
        if (rows.length < capacity) {
          const grown = { rows: new Int32Array(capacity), gradients: new Float32Array(capacity * dim) };
          grown.rows.set(rows.subarray(0, touched));
          grown.gradients.set(gradients.subarray(0, touched * dim));
          ({ rows, gradients } = this.scratch = grown);
        }
        const categorical = lookup.categoricalRows;
        // Field by field: one field's rows of `slotOfRow` stay in cache. A table row belongs to one field, so
        // its part still adds up in the batch's row order.
        for (let f = firstField; f < lastField; f++)
          for (let i = 0; i < n; i++) add(categorical[i * fields + f], embedded, i * width + f * dim, weight);
        this.schema.multiHot.forEach((field, b) => {
          if (fields + b < from || fields + b >= to) return;
          const [bagRows, bagScale] = [lookup.bagRows[b], lookup.bagScale[b]];
          for (let i = 0; i < n; i++) {
            const at = i * width + (fields + b) * dim;
            for (let k = 0; k < field.maxLength; k++) {
              const row = bagRows[i * field.maxLength + k];
              if (row >= 0) add(row, embedded, at, weight * bagScale[i]);
            }
          }
        });
      },
      result: () => {
        for (let slot = 0; slot < touched; slot++) slotOfRow[rows[slot]] = -1;
        return { rows: rows.subarray(0, touched), gradients: gradients.subarray(0, touched * dim) };
      },
    };
  }

  private gather(inputs: BatchInputs): tf.Tensor2D[] {
    const n = inputs.size;
    const table = this.table!;
    const parts: tf.Tensor2D[] = [];
    if (this.schema.categorical.length > 0) {
      const flat = tf.reshape(inputs.categoricalRows!, [-1]);
      parts.push(tf.reshape(tf.gather(table, flat), [n, this.schema.categorical.length * this.dim]));
    }
    this.schema.multiHot.forEach((field, f) => {
      const { rows, mask } = inputs.bags![f];
      const vectors = tf.reshape(tf.gather(table, tf.reshape(rows, [-1])), [n, field.maxLength, this.dim]);
      const summed = tf.sum(tf.mul(vectors, tf.expandDims(mask, 2)), 1) as tf.Tensor2D;
      parts.push(field.pooling === 'mean' ? tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1)) : summed);
    });
    return parts;
  }

  private lookUp(n: number, categoricalRows: Int32Array, bagRows: Int32Array[], dense: tf.Tensor2D): BatchInputs {
    const { dim } = this;
    const table = this.hostTable!.data;
    const fields = this.schema.categorical.length;
    const width = (fields + this.schema.multiHot.length) * dim;
    const bagScale = this.schema.multiHot.map(() => new Float32Array(n));
    // Gathered straight into the tensor's memory (the wasm heap): 4096 rows are 2.6 MB.
    const embedded = writtenTensor([n, width], (values) => {
      // Field by field, so one field's block of the table stays in cache; element by element, as a subarray
      // per field would allocate 20 views per row (3× slower).
      for (let f = 0; f < fields; f++)
        for (let i = 0, to = f * dim; i < n; i++, to += width) {
          const from = categoricalRows[i * fields + f] * dim;
          for (let d = 0; d < dim; d++) values[to + d] = table[from + d];
        }
      for (let i = 0; i < n; i++) {
        this.schema.multiHot.forEach((field, b) => {
          const to = i * width + (fields + b) * dim;
          values.fill(0, to, to + dim);
          let count = 0;
          for (let k = 0; k < field.maxLength; k++) {
            const row = bagRows[b][i * field.maxLength + k];
            if (row < 0) continue;
            count++;
            for (let d = 0; d < dim; d++) values[to + d] += table[row * dim + d];
          }
          const scale = field.pooling === 'mean' && count > 0 ? 1 / count : 1;
          if (scale !== 1) for (let d = 0; d < dim; d++) values[to + d] *= scale;
          bagScale[b][i] = scale;
        });
      }
    }) as tf.Tensor2D;
    return { size: n, dense, embedded, lookup: { categoricalRows, bagRows, bagScale } };
  }
}

/** Ids outside the vocabulary (a file scored against an older encoding) fall into the OOV row 0. */
function clampId(id: number, vocabSize: number): number {
  return id >= 0 && id < vocabSize ? id : 0;
}

/** Frees every tensor of a batch built outside a tidy. */
export function disposeInputs(inputs: BatchInputs): void {
  tf.dispose(
    [
      inputs.dense,
      inputs.categoricalRows,
      inputs.embedded,
      ...(inputs.bags ?? []).flatMap((b) => [b.rows, b.mask]),
    ].filter((t) => t !== undefined),
  );
}
