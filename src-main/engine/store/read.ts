import type { DuckDBResult } from '@duckdb/node-api';
import type { EncodedDataset, FeatureSchema } from '../data/dataset.js';
import type { FeatureEncoding } from '../data/encode.js';
import { datasetColumn } from '../importers/encoding.js';
import type { DatasetInfo, Project } from './project.js';
import type { TrainingRows } from '../train/rows.js';
import type { LabelCounts } from '../metrics/learning.js';
import { ident, literal } from './sql.js';

export type SplitPart = 'train' | 'validation' | 'test';

/** Which rows to read: all of them, or one part of a stored split (by default the split named 'random'). */
export interface PartSelector {
  part: SplitPart;
  split?: string;
}

export function schemaOf(encoding: FeatureEncoding): FeatureSchema {
  return {
    categorical: encoding.categorical.map((field) => ({
      name: field.name,
      vocabSize: (field.hashBuckets ?? field.vocabulary.length) + 1,
    })),
    multiHot: (encoding.multiHot ?? []).map((field) => ({
      name: field.name,
      vocabSize: field.vocabulary.length + 1,
      maxLength: field.maxLength,
      pooling: 'mean' as const,
    })),
    dense: encoding.dense.map((field) => ({ name: field.name })),
  };
}

/** Column layout of one read: labels, user key, features (bags as one column per slot), truth. */
function readQuery(info: DatasetInfo, selector?: PartSelector, shuffleSeed?: number, truth = true): string {
  const { encoding, roles } = info;
  const hasAction = (roles.action ?? []).length > 0;
  const items = [
    'd.click',
    hasAction ? 'd.action' : '0 AS action',
    'd.purchase',
    roles.user ? 'd.user_key' : '0 AS user_key',
  ];
  for (const field of encoding.categorical) items.push(`d.${ident(datasetColumn.categorical(field.name))}`);
  for (const field of encoding.multiHot ?? [])
    for (let slot = 1; slot <= field.maxLength; slot++)
      items.push(`coalesce(d.${ident(datasetColumn.multiHot(field.name))}[${slot}], -1)`);
  for (const field of encoding.dense) items.push(`d.${ident(datasetColumn.dense(field.name))}`);
  for (const name of truth ? roles.truth : []) items.push(`d.${ident(datasetColumn.truth(name))}`);
  items.push('d.row_id');
  const part = selector
    ? `JOIN splits s ON s.row_id = d.row_id AND s.dataset = ${literal(info.name)} AND s.split = ${literal(selector.split ?? 'random')} AND s.part = ${literal(selector.part)}`
    : '';
  // A seeded hash of the row id orders an epoch at random without reading the rows into memory to shuffle them.
  const order = shuffleSeed === undefined ? 'd.row_id' : `hash(d.row_id, ${Math.trunc(shuffleSeed)}), d.row_id`;
  return `SELECT ${items.join(', ')} FROM ${ident(info.tableName)} d ${part} ORDER BY ${order}`;
}

/** Fills EncodedDataset arrays from result chunks; one instance per output dataset (a whole read or a batch). */
class DatasetFiller {
  readonly dataset: EncodedDataset;
  private filled = 0;

  /** The truth columns read (none when the caller asked for no truth). */
  private readonly truthNames: string[];

  constructor(
    private readonly info: DatasetInfo,
    readonly capacity: number,
    shared = false,
    truth = true,
  ) {
    const schema = schemaOf(info.encoding);
    const { roles } = info;
    this.truthNames = truth ? roles.truth : [];
    const int32 = (n: number) => (shared ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n));
    const float32 = (n: number) => (shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n));
    this.dataset = {
      schema,
      rows: 0,
      categorical: int32(capacity * schema.categorical.length),
      multiHot: schema.multiHot.map((field) => int32(capacity * field.maxLength)),
      dense: float32(capacity * schema.dense.length),
      labels: {
        click: float32(capacity),
        action: (roles.action ?? []).length > 0 ? float32(capacity) : undefined,
        purchase: float32(capacity),
      },
      userIds: roles.user ? int32(capacity) : undefined,
      truth:
        this.truthNames.length > 0
          ? Object.fromEntries(this.truthNames.map((name) => [name, float32(capacity)]))
          : undefined,
      rowIds: int32(capacity),
    };
  }

  get full(): boolean {
    return this.filled === this.capacity;
  }

  /** Copies rows [from, from + count) of `columns` (one value array per query column); returns how many fit. */
  add(columns: (number | null)[][], from: number): number {
    const { dataset } = this;
    const count = Math.min(columns[0].length - from, this.capacity - this.filled);
    const nCat = dataset.schema.categorical.length;
    const nDense = dataset.schema.dense.length;
    for (let i = 0; i < count; i++) {
      const r = from + i;
      const row = this.filled + i;
      let c = 0;
      const next = () => Number(columns[c++][r] ?? 0);
      dataset.labels.click[row] = next();
      const action = next();
      if (dataset.labels.action) dataset.labels.action[row] = action;
      dataset.labels.purchase[row] = next();
      const user = next();
      if (dataset.userIds) dataset.userIds[row] = user;
      for (let f = 0; f < nCat; f++) dataset.categorical[row * nCat + f] = next();
      dataset.schema.multiHot.forEach((field, f) => {
        for (let slot = 0; slot < field.maxLength; slot++) dataset.multiHot[f][row * field.maxLength + slot] = next();
      });
      for (let f = 0; f < nDense; f++) dataset.dense[row * nDense + f] = next();
      for (const name of this.truthNames) dataset.truth![name][row] = next();
      dataset.rowIds![row] = next();
    }
    this.filled += count;
    dataset.rows = this.filled;
    return count;
  }

  /** The rows filled so far, without copying when it is all of them. */
  finish(): EncodedDataset {
    if (this.filled === this.capacity) return this.dataset;
    const n = this.filled;
    const d = this.dataset;
    const nCat = d.schema.categorical.length;
    const nDense = d.schema.dense.length;
    return {
      ...d,
      rows: n,
      categorical: d.categorical.subarray(0, n * nCat),
      multiHot: d.multiHot.map((bag, f) => bag.subarray(0, n * d.schema.multiHot[f].maxLength)),
      dense: d.dense.subarray(0, n * nDense),
      labels: {
        click: d.labels.click.subarray(0, n),
        action: d.labels.action?.subarray(0, n),
        purchase: d.labels.purchase.subarray(0, n),
      },
      userIds: d.userIds?.subarray(0, n),
      truth: d.truth && Object.fromEntries(Object.entries(d.truth).map(([k, v]) => [k, v.subarray(0, n)])),
      rowIds: d.rowIds?.subarray(0, n),
    };
  }
}

/** A result's rows a chunk (2,048 rows) at a time, as one array per column: memory holds one chunk, not the result. */
export async function* chunkColumns(result: DuckDBResult): AsyncGenerator<(number | null)[][]> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const columns: (number | null)[][] = [];
    for (let c = 0; c < chunk.columnCount; c++) {
      const vector = chunk.getColumnVector(c);
      const values = new Array<number | null>(chunk.rowCount);
      for (let r = 0; r < chunk.rowCount; r++) values[r] = vector.getItem(r) as number | null;
      columns.push(values);
    }
    yield columns;
  }
}

async function countRows(project: Project, info: DatasetInfo, selector?: PartSelector): Promise<number> {
  if (!selector) return info.rows;
  const row = await project.one(
    `SELECT count(*)::DOUBLE AS n FROM splits WHERE dataset = $1 AND split = $2 AND part = $3`,
    [info.name, selector.split ?? 'random', selector.part],
  );
  const n = Number(row?.n ?? 0);
  if (n === 0) {
    const known = await project.one(`SELECT count(*)::DOUBLE AS n FROM split_info WHERE dataset = $1 AND split = $2`, [
      info.name,
      selector.split ?? 'random',
    ]);
    if (Number(known?.n) === 0)
      throw new Error(
        `dataset "${info.name}" has no split "${selector.split ?? 'random'}"; create it first (createSplit)`,
      );
  }
  return n;
}

/** The funnel counts of a part (or the whole dataset), counted in DuckDB: what a streamed part's rates come from. */
export async function countLabelsOf(
  project: Project,
  info: DatasetInfo,
  selector?: PartSelector,
): Promise<LabelCounts> {
  const withAction = (info.roles.action ?? []).length > 0;
  const inPart = selector
    ? `WHERE d.row_id IN (SELECT row_id FROM splits WHERE dataset = $1 AND split = $2 AND part = $3)`
    : '';
  const row = await project.one(
    `SELECT count(*)::DOUBLE AS n, coalesce(sum(d.click), 0)::DOUBLE AS clicks,
            coalesce(sum(d.click * d.purchase), 0)::DOUBLE AS purchases,
            ${withAction ? 'coalesce(sum(d.click * d.action), 0)::DOUBLE' : 'NULL'} AS actions,
            ${withAction ? 'coalesce(sum(d.click * d.action * d.purchase), 0)::DOUBLE' : 'NULL'} AS action_purchases
     FROM ${ident(info.tableName)} d ${inPart}`,
    selector ? [info.name, selector.split ?? 'random', selector.part] : [],
  );
  const count = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    rows: Number(row?.n ?? 0),
    clicks: Number(row?.clicks ?? 0),
    clickedActions: count(row?.actions),
    clickedActionPurchases: count(row?.action_purchases),
    clickedPurchases: Number(row?.purchases ?? 0),
  };
}

/**
 * The whole dataset, or one part of a stored split, as the engine's in-memory arrays; for data that fits.
 * With `shared`, the arrays live in SharedArrayBuffers, which worker threads read without a copy.
 */
export async function readDataset(
  project: Project,
  name: string,
  selector?: PartSelector,
  options: {
    shared?: boolean;
    /** False leaves the simulator's truth columns out (training never reads them). Default true. */
    truth?: boolean;
  } = {},
): Promise<EncodedDataset> {
  const info = await project.dataset(name);
  const filler = new DatasetFiller(info, await countRows(project, info, selector), options.shared, options.truth);
  const result = await project.connection.stream(readQuery(info, selector, undefined, options.truth));
  for await (const columns of chunkColumns(result)) filler.add(columns, 0);
  return filler.finish();
}

/**
 * The same rows in order, `batchSize` at a time, streamed from DuckDB chunk by chunk: memory holds one batch
 * and one chunk, whatever the dataset's size. The last batch may be shorter.
 */
export async function* batches(
  project: Project,
  name: string,
  selector: PartSelector | undefined,
  batchSize: number,
  shuffleSeed?: number,
): AsyncGenerator<EncodedDataset, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  const info = await project.dataset(name);
  const total = await countRows(project, info, selector);
  const result = await project.connection.stream(readQuery(info, selector, shuffleSeed));
  let remaining = total;
  let filler = new DatasetFiller(info, Math.min(batchSize, remaining));
  for await (const columns of chunkColumns(result)) {
    let from = 0;
    while (from < columns[0].length) {
      from += filler.add(columns, from);
      if (filler.full) {
        yield filler.dataset;
        remaining -= filler.capacity;
        if (remaining === 0) return;
        filler = new DatasetFiller(info, Math.min(batchSize, remaining));
      }
    }
  }
  if (filler.dataset.rows > 0) yield filler.finish();
}

/**
 * A split part as training rows streamed from the store, in a new seeded random order every epoch: memory
 * holds one batch and one chunk, so a training split of any size trains.
 */
export async function storedRows(
  project: Project,
  name: string,
  selector: PartSelector,
  seed: number,
): Promise<TrainingRows> {
  const info = await project.dataset(name);
  return {
    rows: await countRows(project, info, selector),
    hasActionLabel: (info.roles.action ?? []).length > 0,
    counts: await countLabelsOf(project, info, selector),
    epoch: (epoch, batchSize) => batches(project, name, selector, batchSize, seed * 100_003 + epoch),
  };
}
