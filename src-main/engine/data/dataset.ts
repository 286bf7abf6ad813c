/**
 * The engine's in-memory, column-major view of encoded rows: what models train on and are scored against.
 * Readers (CSV today, the project store later) produce it; batches are slices of it.
 */

/** A categorical field: one id per row, 0 is the out-of-vocabulary / missing bucket. */
export interface CategoricalField {
  name: string;
  vocabSize: number;
}

/** A multi-hot bag: up to `maxLength` ids per row, padded with -1, pooled into one embedding. */
export interface MultiHotField {
  name: string;
  vocabSize: number;
  maxLength: number;
  pooling: 'sum' | 'mean';
}

export interface DenseField {
  name: string;
}

export interface FeatureSchema {
  categorical: CategoricalField[];
  multiHot: MultiHotField[];
  dense: DenseField[];
}

/** The labels of the decision path exposure → click → in-shop action → purchase, one 0/1 per row. */
export interface FunnelLabels {
  click: Float32Array;
  /** Absent when the data has no in-shop action label (e.g. Ali-CCP); models that need it refuse such data. */
  action?: Float32Array;
  purchase: Float32Array;
}

export interface EncodedDataset {
  schema: FeatureSchema;
  rows: number;
  /** Row-major [rows × categorical.length]. */
  categorical: Int32Array;
  /** One row-major [rows × maxLength] array per multi-hot field, -1 = padding. */
  multiHot: Int32Array[];
  /** Row-major [rows × dense.length], already standardized. */
  dense: Float32Array;
  labels: FunnelLabels;
  /** Per-row user key for GAUC and user splits; absent when the data has no user column. */
  userIds?: Int32Array;
  /** True per-row probabilities carried by simulated data, keyed by column name (true_ctr, true_cvr, …). */
  truth?: Record<string, Float32Array>;
  /** Each row's id in the project store, so results computed on a batch or split can be written back to it. */
  rowIds?: Int32Array;
}

/**
 * Rows start … end − 1 as views of the same arrays (the halves of a batch split across threads), or with `copy`
 * as arrays of their own: what crosses to another thread, since posting a view copies its whole buffer.
 */
export function sliceRows(data: EncodedDataset, start: number, end: number, copy = false): EncodedDataset {
  const part = <T extends Int32Array | Float32Array>(array: T, perRow: number) =>
    (copy ? array.slice(start * perRow, end * perRow) : array.subarray(start * perRow, end * perRow)) as T;
  const perRow = <T extends Int32Array | Float32Array>(array: T | undefined) => array && part(array, 1);
  const { labels } = data;
  return {
    schema: data.schema,
    rows: end - start,
    categorical: part(data.categorical, data.schema.categorical.length),
    multiHot: data.multiHot.map((bag, f) => part(bag, data.schema.multiHot[f].maxLength)),
    dense: part(data.dense, data.schema.dense.length),
    labels: {
      click: part(labels.click, 1),
      purchase: part(labels.purchase, 1),
      ...(labels.action && { action: part(labels.action, 1) }),
    },
    ...(data.userIds && { userIds: perRow(data.userIds) }),
    ...(data.rowIds && { rowIds: perRow(data.rowIds) }),
    ...(data.truth && {
      truth: Object.fromEntries(Object.entries(data.truth).map(([key, values]) => [key, part(values, 1)])),
    }),
  };
}

/** Picks rows (in the given order) out of a dataset; batches and splits are both views made this way. */
export function takeRows(data: EncodedDataset, indices: ArrayLike<number>): EncodedDataset {
  const n = indices.length;
  const nCat = data.schema.categorical.length;
  const nDense = data.schema.dense.length;
  const categorical = new Int32Array(n * nCat);
  const dense = new Float32Array(n * nDense);
  const multiHot = data.multiHot.map((_, f) => new Int32Array(n * data.schema.multiHot[f].maxLength));
  const pick = (src: Float32Array) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[indices[i]];
    return out;
  };
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    categorical.set(data.categorical.subarray(r * nCat, (r + 1) * nCat), i * nCat);
    dense.set(data.dense.subarray(r * nDense, (r + 1) * nDense), i * nDense);
    data.multiHot.forEach((bag, f) => {
      const len = data.schema.multiHot[f].maxLength;
      multiHot[f].set(bag.subarray(r * len, (r + 1) * len), i * len);
    });
  }
  const pickIds = (src: Int32Array | undefined) => {
    if (!src) return undefined;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[indices[i]];
    return out;
  };
  const truth = data.truth ? Object.fromEntries(Object.entries(data.truth).map(([k, v]) => [k, pick(v)])) : undefined;
  return {
    schema: data.schema,
    rows: n,
    categorical,
    multiHot,
    dense,
    labels: {
      click: pick(data.labels.click),
      action: data.labels.action && pick(data.labels.action),
      purchase: pick(data.labels.purchase),
    },
    userIds: pickIds(data.userIds),
    truth,
    rowIds: pickIds(data.rowIds),
  };
}
