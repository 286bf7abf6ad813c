import { createHash } from 'node:crypto';
import type { EncodedDataset } from './dataset.js';
import { openCsv, type CsvRow, type CsvTable } from './csv.js';
import { DataError } from './errors.js';
import { GrowableArray } from './growable-array.js';
import { checkedLabels, labelDetermination, labelDeterminesMessage, type LabelDetermination } from './leakage.js';
import {
  categoricalFeatures,
  fieldMinCount,
  guessRoles,
  isMissing,
  rolesOfEncoding,
  splitTokens,
  type ColumnRoles,
} from './roles.js';
import type { Finding, FunnelPolicy } from '../../../src-shared/types/data.js';

export type { Finding, FunnelPolicy } from '../../../src-shared/types/data.js';

/**
 * How raw cells became model inputs. Saved with a trained model so that a file scored later is encoded the
 * same way: `vocabulary[i]` is the value with id i + 1 (0 is missing, rare or unseen).
 */
export interface FeatureEncoding {
  version: 1;
  roles: ColumnRoles;
  /**
   * With `hashBuckets` the vocabulary is empty and a value's id is `hashBucket(value, hashBuckets)`: huge
   * vocabularies (user or item ids of a full log) then need no list of values. Encodings without it predate hashing.
   */
  categorical: { name: string; vocabulary: string[]; hashBuckets?: number }[];
  /** Absent in encodings saved before multi-hot support, which had no bags. */
  multiHot?: { name: string; vocabulary: string[]; maxLength: number }[];
  /** With `log`, values are log1p-transformed before the mean and std apply (skewed counts, prices). */
  dense: { name: string; mean: number; std: number; log?: boolean }[];
}

/**
 * The id of `value` among `buckets` hashed ids, 1..buckets (0 stays missing). MD5 rather than a runtime's own
 * hash, so that the project store's SQL (`('0x' || left(md5(v), 15))::BIGINT`) and this code agree forever.
 */
export function hashBucket(value: string, buckets: number): number {
  const digest = createHash('md5').update(value, 'utf8').digest('hex');
  return Number(BigInt(`0x${digest.slice(0, 15)}`) % BigInt(buckets)) + 1;
}

/**
 * Tokens kept per multi-hot cell; the rest are dropped with a warning. Every row is padded to the longest bag,
 * so one runaway cell would otherwise blow up memory and the embedding gather for the whole dataset.
 */
export const MAX_MULTI_HOT_LENGTH = 32;

export interface LoadCsvOptions {
  /** Replaces the suggested roles field by field. */
  roles?: Partial<ColumnRoles>;
  /** Categorical values seen fewer times than this share id 0. Default 1 (keep all); at least 2 for the user feature. */
  minCount?: number;
  /** Default 'drop', as public Ali-CCP loaders do. */
  funnelPolicy?: FunnelPolicy;
  /** Encode with this (e.g. a trained model's) encoding instead of fitting one; it fixes the feature columns. */
  encoding?: FeatureEncoding;
}

export interface LoadedDataset {
  dataset: EncodedDataset;
  encoding: FeatureEncoding;
  roles: ColumnRoles;
  findings: Finding[];
}

const ROLE_SAMPLE_ROWS = 1000;
const EXAMPLE_LINES = 5;

/** Fewer rows than this, and a feature equal to a label may be chance. */
export const LABEL_COPY_MIN_ROWS = 20;

/** Why a feature column that equals a label is refused, in the words every door uses. */
export function labelCopyMessage(feature: string, label: string): string {
  return (
    `column "${feature}" equals the label "${label}" on every row: as a feature it would give the models the ` +
    'answer (set its role to ignore)'
  );
}

/** Which feature columns equal a label on every row, watched row by row (the import's findLabelCopies, in SQL). */
class LabelCopies {
  private rows = 0;
  private readonly pairs: { feature: string; label: string; at: number; of: number; equal: boolean }[];

  constructor(header: string[], roles: ColumnRoles) {
    const labels = [roles.click, ...(roles.action ?? []).slice(0, 1), roles.purchase];
    this.pairs = [...categoricalFeatures(roles), ...roles.dense].flatMap((feature) =>
      labels.map((label) => ({ feature, label, at: header.indexOf(feature), of: header.indexOf(label), equal: true })),
    );
  }

  add(cells: string[]): void {
    this.rows++;
    for (const pair of this.pairs)
      if (pair.equal && parseLabel(cells[pair.at] ?? '') !== parseLabel(cells[pair.of] ?? '')) pair.equal = false;
  }

  refuse(file: string): void {
    const copy = this.rows >= LABEL_COPY_MIN_ROWS && this.pairs.find((pair) => pair.equal);
    if (copy) throw new DataError(file, 1, copy.at + 1, labelCopyMessage(copy.feature, copy.label));
  }
}

/** Reads, validates and encodes a CSV/TSV file in one streaming pass; only the encoded columns are kept. */
export async function loadCsvDataset(path: string, options: LoadCsvOptions = {}): Promise<LoadedDataset> {
  const minCount = options.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new RangeError(`minCount must be an integer ≥ 1, got ${minCount}`);
  if (options.encoding?.categorical.some((field) => field.hashBuckets !== undefined)) {
    throw new Error('this encoding hashes categorical values; score the file through its project (esmc-lab import)');
  }
  if (options.encoding && (options.roles?.categorical || options.roles?.multiHot || options.roles?.dense)) {
    throw new Error(
      'the reused encoding fixes the categorical, multi-hot and dense columns; leave roles.categorical/multiHot/dense unset',
    );
  }
  const table = await openCsv(path);
  try {
    const sample: CsvRow[] = [];
    while (sample.length < ROLE_SAMPLE_ROWS) {
      const next = await table.rows.next();
      if (next.done) break;
      sample.push(next.value);
    }
    const sampleCells = sample.map((row) => row.cells);
    const suggested = options.encoding?.roles ?? guessRoles(table.header, sampleCells);
    let roles: ColumnRoles = { ...suggested, ...options.roles };
    // The builder pairs the encoding's vocabularies and statistics with feature columns by position; a saved
    // encoding's fields are exactly its categorical fields, the user column among them or not.
    if (options.encoding) {
      roles = rolesOfEncoding(roles, options.encoding);
      if (options.roles?.userFeature !== undefined && options.roles.userFeature !== roles.userFeature)
        throw new Error(
          `the reused encoding fixes the features and ${roles.userFeature ? 'has' : 'has no'} user feature; leave roles.userFeature unset`,
        );
    }
    const builder = new DatasetBuilder(table, roles, options.funnelPolicy ?? 'drop', options.encoding);
    const copies = new LabelCopies(table.header, roles);
    for (const row of sample) {
      builder.add(row);
      copies.add(row.cells);
    }
    for await (const row of table.rows) {
      builder.add(row);
      copies.add(row.cells);
    }
    copies.refuse(path);
    const determiner = builder.labelDeterminer();
    if (determiner)
      throw new DataError(
        path,
        1,
        determiner.column.index + 1,
        labelDeterminesMessage(determiner.column.name, determiner.label, determiner.found),
      );
    return builder.finish(minCount);
  } finally {
    await table.rows.return();
  }
}

/** Labels are exactly 0/1; the float spellings are what pandas writes for a label column that held a NaN. */
export function parseLabel(cell: string): number | undefined {
  const value = cell.trim();
  if (value === '0' || value === '0.0') return 0;
  if (value === '1' || value === '1.0') return 1;
  return undefined;
}

/** How many rows had one kind of problem, and the first few of their lines. */
class Tally {
  count = 0;
  readonly lines: number[] = [];

  note(line: number): void {
    this.count++;
    if (this.lines.length < EXAMPLE_LINES) this.lines.push(line);
  }
}

/**
 * Ids in order of first appearance, so that the same file always gives the same ids. Rare values can only
 * be folded into 0 once all counts are known, so ids handed out while reading are provisional until `finish`.
 * A vocabulary taken from a saved encoding is frozen: it maps unseen values to 0 and never grows.
 */
class Vocabulary {
  private readonly ids: Map<string, number>;
  private readonly counts: number[] | undefined;

  private constructor(
    private readonly values: string[],
    frozen: boolean,
  ) {
    this.ids = new Map(values.map((value, index) => [value, index + 1]));
    this.counts = frozen ? undefined : [0];
  }

  static growing(): Vocabulary {
    return new Vocabulary([], false);
  }

  static frozen(values: string[]): Vocabulary {
    return new Vocabulary(values, true);
  }

  /** Ids handed out so far are 1..size. */
  get size(): number {
    return this.values.length;
  }

  id(value: string): number {
    const known = this.ids.get(value);
    if (!this.counts) return known ?? 0;
    if (known !== undefined) {
      this.counts[known]++;
      return known;
    }
    this.values.push(value);
    this.ids.set(value, this.values.length);
    this.counts.push(1);
    return this.values.length;
  }

  /** The kept values, and the final id of each provisional one (undefined when ids are already final). */
  finish(minCount: number): { vocabulary: string[]; finalIds?: Int32Array } {
    const counts = this.counts;
    if (!counts || minCount <= 1) return { vocabulary: this.values };
    const finalIds = new Int32Array(counts.length);
    const vocabulary: string[] = [];
    this.values.forEach((value, index) => {
      if (counts[index + 1] >= minCount) finalIds[index + 1] = vocabulary.push(value);
    });
    return { vocabulary, finalIds };
  }
}

/** One multi-hot column's tokens, row by row, kept unpadded until the longest bag is known. */
class BagColumn {
  private readonly ids = new GrowableArray((n) => new Int32Array(n));
  private readonly lengths = new GrowableArray((n) => new Int32Array(n));
  longest = 0;
  readonly missing = new Tally();
  readonly truncated = new Tally();

  constructor(
    readonly name: string,
    readonly index: number,
    readonly vocabulary: Vocabulary,
    readonly limit: number,
  ) {}

  add(cell: string, line: number): void {
    const tokens = splitTokens(cell);
    if (tokens.length === 0) this.missing.note(line);
    if (tokens.length > this.limit) this.truncated.note(line);
    const kept = Math.min(tokens.length, this.limit);
    for (let t = 0; t < kept; t++) this.ids.push(this.vocabulary.id(tokens[t]));
    this.lengths.push(kept);
    if (kept > this.longest) this.longest = kept;
  }

  /** Row-major [rows × maxLength], -1 = padding; `finalIds` folds rare tokens into 0 as for categoricals. */
  padded(maxLength: number, finalIds: Int32Array | undefined): Int32Array {
    const ids = this.ids.values;
    const lengths = this.lengths.values;
    const bags = new Int32Array(lengths.length * maxLength).fill(-1);
    let next = 0;
    for (let row = 0; row < lengths.length; row++) {
      const start = row * maxLength;
      for (let t = 0; t < lengths[row]; t++, next++) bags[start + t] = finalIds ? finalIds[ids[next]] : ids[next];
    }
    return bags;
  }
}

/** Welford's running mean and variance, stable for columns with a large mean and a small spread. */
class RunningStats {
  private n = 0;
  private mean = 0;
  private squares = 0;

  add(value: number): void {
    this.n++;
    const delta = value - this.mean;
    this.mean += delta / this.n;
    this.squares += delta * (value - this.mean);
  }

  /** A constant (or empty) column gets std 1, so it standardizes to 0 instead of dividing by zero. */
  result(): { mean: number; std: number } {
    const std = this.n > 0 ? Math.sqrt(this.squares / this.n) : 0;
    return { mean: this.mean, std: std > 0 ? std : 1 };
  }
}

interface Column {
  name: string;
  index: number;
}

class DatasetBuilder {
  private readonly file: string;
  private readonly click: Column;
  private readonly purchase: Column;
  private readonly actions: Column[];
  private readonly user: Column | undefined;
  private readonly categorical: Column[];
  private readonly bags: BagColumn[];
  private readonly dense: Column[];
  private readonly truth: Column[];
  private readonly vocabularies: Vocabulary[];
  private readonly denseStats: (RunningStats | { mean: number; std: number })[];
  private readonly categoricalIds = new GrowableArray((n) => new Int32Array(n));
  private readonly denseValues = new GrowableArray((n) => new Float64Array(n));
  private readonly clickLabels = new GrowableArray((n) => new Float32Array(n));
  private readonly actionLabels = new GrowableArray((n) => new Float32Array(n));
  private readonly purchaseLabels = new GrowableArray((n) => new Float32Array(n));
  private readonly userIds = new GrowableArray((n) => new Int32Array(n));
  private readonly userKeys = new Map<string, number>();
  private readonly truthValues: GrowableArray<Float32Array>[];
  private readonly missing: Tally[];
  private readonly funnelViolations = new Tally();
  private rows = 0;

  constructor(
    table: CsvTable,
    private readonly roles: ColumnRoles,
    private readonly funnelPolicy: FunnelPolicy,
    private readonly reused: FeatureEncoding | undefined,
  ) {
    this.file = table.file;
    const claimed = new Map<string, string>();
    const column = (role: string, name: string): Column => {
      const index = table.header.indexOf(name);
      if (index === -1) {
        throw new DataError(
          table.file,
          table.headerLine,
          undefined,
          `the ${role} column "${name}" is not in the header; the columns are ${table.header.join(', ')}`,
        );
      }
      return { name, index };
    };
    // A column may serve one of these roles only: a label that is also a feature would leak into the model.
    const claim = (role: string, name: string): Column => {
      const found = column(role, name);
      const other = claimed.get(name);
      if (other) {
        throw new DataError(
          table.file,
          table.headerLine,
          found.index + 1,
          `column "${name}" cannot be both ${other} and ${role}`,
        );
      }
      claimed.set(name, role);
      return found;
    };
    const required = (role: 'click' | 'purchase'): Column => {
      if (!roles[role]) {
        throw new DataError(
          table.file,
          table.headerLine,
          undefined,
          `no column looks like the ${role} label; name it in roles.${role}`,
        );
      }
      return claim(`the ${role} label`, roles[role]);
    };
    this.click = required('click');
    this.purchase = required('purchase');
    this.actions = (roles.action ?? []).map((name) => claim('an action label', name));
    // The user key first: a user column the file lacks is named as such, not as the categorical feature it also is.
    this.user = roles.user ? column('user', roles.user) : undefined;
    this.categorical = categoricalFeatures(roles).map((name) => claim('categorical', name));
    const multiHot = (roles.multiHot ?? []).map((name) => claim('multi-hot', name));
    this.dense = roles.dense.map((name) => claim('dense', name));
    this.truth = roles.truth.map((name) => claim('a truth column', name));
    // An ignored column that a later file lacks is no problem; one that is also given another role is.
    roles.ignore.filter((name) => table.header.includes(name)).forEach((name) => claim('ignored', name));

    this.vocabularies = reused
      ? reused.categorical.map((field) => Vocabulary.frozen(field.vocabulary))
      : this.categorical.map(() => Vocabulary.growing());
    this.bags = multiHot.map(({ name, index }, f) => {
      const field = reused?.multiHot?.[f];
      return field
        ? new BagColumn(name, index, Vocabulary.frozen(field.vocabulary), field.maxLength)
        : new BagColumn(name, index, Vocabulary.growing(), MAX_MULTI_HOT_LENGTH);
    });
    this.denseStats = reused
      ? reused.dense.map(({ mean, std }) => ({ mean, std }))
      : this.dense.map(() => new RunningStats());
    this.truthValues = this.truth.map(() => new GrowableArray((n) => new Float32Array(n)));
    this.missing = [...this.categorical, ...this.dense].map(() => new Tally());
  }

  add(row: CsvRow): void {
    const { cells, line } = row;
    const click = this.label(row, this.click);
    const purchase = this.label(row, this.purchase);
    const actionLabels = this.actions.map((column) => this.label(row, column));
    const actionColumn = this.actions.find((_, a) => actionLabels[a] === 1);
    const action = actionColumn ? 1 : 0;
    const offending = click === 1 ? undefined : purchase === 1 ? this.purchase : actionColumn;
    if (offending) {
      if (this.funnelPolicy === 'fail') {
        throw this.error(
          line,
          offending,
          `${offending.name}=1 but ${this.click.name}=0: a purchase or in-shop action needs a click first`,
        );
      }
      this.funnelViolations.note(line);
      if (this.funnelPolicy === 'drop') return;
    }
    this.clickLabels.push(click);
    this.purchaseLabels.push(purchase);
    if (this.actions.length > 0) this.actionLabels.push(action);

    this.categorical.forEach((column, c) => {
      const cell = cells[column.index];
      if (isMissing(cell)) {
        this.missing[c].note(line);
        this.categoricalIds.push(0);
      } else this.categoricalIds.push(this.vocabularies[c].id(cell));
    });
    for (const bag of this.bags) bag.add(cells[bag.index], line);
    this.dense.forEach((column, d) => {
      const cell = cells[column.index];
      if (isMissing(cell)) {
        this.missing[this.categorical.length + d].note(line);
        this.denseValues.push(NaN);
        return;
      }
      const parsed = this.number(row, column, 'a dense feature');
      const value = this.reused?.dense[d].log ? Math.log1p(parsed) : parsed;
      const stats = this.denseStats[d];
      if (stats instanceof RunningStats) stats.add(value);
      this.denseValues.push(value);
    });
    this.truth.forEach((column, t) => this.truthValues[t].push(this.number(row, column, 'a truth column')));
    if (this.user) {
      const key = cells[this.user.index];
      let id = this.userKeys.get(key);
      if (id === undefined) {
        id = this.userKeys.size;
        this.userKeys.set(key, id);
      }
      this.userIds.push(id);
    }
    this.rows++;
  }

  /**
   * The first categorical feature that nearly determines a label (data/leakage.ts), in the order of the import's
   * check, from the provisional ids and labels already read: one pass over them per column. Id 0 (missing, or
   * unseen by a reused encoding) predicts nothing. Purchases and actions count on clicked rows, as the import's
   * VALUES counts them.
   */
  labelDeterminer(): { column: Column; label: string; found: LabelDetermination } | undefined {
    const ids = this.categoricalIds.values;
    const nCat = this.categorical.length;
    const click = this.clickLabels.values;
    const action = this.actions.length > 0 ? this.actionLabels.values : undefined;
    const purchase = this.purchaseLabels.values;
    for (const [c, column] of this.categorical.entries()) {
      const size = this.vocabularies[c].size + 1;
      const rows = new Int32Array(size);
      const positives = { click: new Int32Array(size), action: new Int32Array(size), purchase: new Int32Array(size) };
      for (let row = 0; row < this.rows; row++) {
        const id = ids[row * nCat + c];
        rows[id]++;
        if (click[row] !== 1) continue;
        positives.click[id]++;
        if (action?.[row] === 1) positives.action[id]++;
        if (purchase[row] === 1) positives.purchase[id]++;
      }
      for (const { label, name } of checkedLabels(this.roles)) {
        const found = labelDetermination(
          Array.from(rows, (n, id) => ({
            positives: positives[label][id],
            negatives: n - positives[label][id],
            missing: id === 0,
          })),
        );
        if (found.determines) return { column, label: name, found };
      }
    }
    return undefined;
  }

  finish(minCount: number): LoadedDataset {
    const categorical = this.categoricalIds.values.slice();
    const nCat = this.categorical.length;
    const vocabularies = this.vocabularies.map((vocabulary, c) => {
      const { vocabulary: values, finalIds } = vocabulary.finish(
        fieldMinCount(this.roles, this.categorical[c].name, minCount),
      );
      if (finalIds) for (let i = c; i < categorical.length; i += nCat) categorical[i] = finalIds[categorical[i]];
      return values;
    });
    const bags = this.bags.map((bag, f) => {
      const { vocabulary, finalIds } = bag.vocabulary.finish(minCount);
      // A reused encoding fixes the width, so the model trained with it gets the input shape it expects.
      const maxLength = this.reused?.multiHot?.[f].maxLength ?? Math.max(bag.longest, 1);
      return { name: bag.name, vocabulary, maxLength, ids: bag.padded(maxLength, finalIds) };
    });
    const denseStats = this.denseStats.map((stats) => (stats instanceof RunningStats ? stats.result() : stats));
    const raw = this.denseValues.values;
    const nDense = this.dense.length;
    const dense = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const { mean, std } = denseStats[i % nDense];
      // A missing value becomes the mean, i.e. 0 once standardized.
      dense[i] = Number.isNaN(raw[i]) ? 0 : (raw[i] - mean) / std;
    }
    const encoding: FeatureEncoding = this.reused ?? {
      version: 1,
      roles: this.roles,
      categorical: this.categorical.map(({ name }, c) => ({ name, vocabulary: vocabularies[c] })),
      multiHot: bags.map(({ name, vocabulary, maxLength }) => ({ name, vocabulary, maxLength })),
      dense: this.dense.map(({ name }, d) => ({ name, ...denseStats[d] })),
    };
    const dataset: EncodedDataset = {
      schema: {
        categorical: this.categorical.map(({ name }, c) => ({ name, vocabSize: vocabularies[c].length + 1 })),
        multiHot: bags.map(({ name, vocabulary, maxLength }) => ({
          name,
          vocabSize: vocabulary.length + 1,
          maxLength,
          pooling: 'mean' as const,
        })),
        dense: this.dense.map(({ name }) => ({ name })),
      },
      rows: this.rows,
      categorical,
      multiHot: bags.map(({ ids }) => ids),
      dense,
      labels: {
        click: this.clickLabels.values.slice(),
        action: this.actions.length > 0 ? this.actionLabels.values.slice() : undefined,
        purchase: this.purchaseLabels.values.slice(),
      },
      userIds: this.user ? this.userIds.values.slice() : undefined,
      truth:
        this.truth.length > 0
          ? Object.fromEntries(this.truth.map(({ name }, t) => [name, this.truthValues[t].values.slice()]))
          : undefined,
    };
    return { dataset, encoding, roles: this.roles, findings: this.findings() };
  }

  private findings(): Finding[] {
    const findings: Finding[] = [];
    const violations = this.funnelViolations;
    if (violations.count > 0) {
      const dropped = this.funnelPolicy === 'drop';
      findings.push({
        severity: 'warning',
        code: dropped ? 'funnel-rows-dropped' : 'funnel-rows-kept',
        message:
          `${violations.count} rows have a purchase or in-shop action without a click; ` +
          (dropped ? 'they were dropped' : 'they were kept, so the labels break the funnel click ⇒ action/purchase'),
        count: violations.count,
        exampleLines: violations.lines,
      });
    }
    [...this.categorical, ...this.dense].forEach(({ name }, i) => {
      const tally = this.missing[i];
      if (tally.count === 0) return;
      const encodedAs = i < this.categorical.length ? 'id 0' : 'the column mean (0 after standardization)';
      findings.push({
        severity: 'info',
        code: 'missing-values',
        message: `${tally.count} missing values in "${name}", encoded as ${encodedAs}`,
        column: name,
        count: tally.count,
        exampleLines: tally.lines,
      });
    });
    for (const { name, missing, truncated, limit } of this.bags) {
      if (missing.count > 0) {
        findings.push({
          severity: 'info',
          code: 'missing-values',
          message: `${missing.count} missing values in "${name}", encoded as an empty bag`,
          column: name,
          count: missing.count,
          exampleLines: missing.lines,
        });
      }
      if (truncated.count > 0) {
        findings.push({
          severity: 'warning',
          code: 'multi-hot-truncated',
          message: `${truncated.count} cells of "${name}" have more than ${limit} tokens; only the first ${limit} were kept`,
          column: name,
          count: truncated.count,
          exampleLines: truncated.lines,
        });
      }
    }
    return findings;
  }

  private label(row: CsvRow, column: Column): number {
    const cell = row.cells[column.index];
    const value = parseLabel(cell);
    if (value === undefined) throw this.error(row.line, column, `label must be 0 or 1, got "${cell}"`);
    return value;
  }

  private number(row: CsvRow, column: Column, role: string): number {
    const cell = row.cells[column.index];
    const value = isMissing(cell) ? NaN : Number(cell.trim());
    if (!Number.isFinite(value)) throw this.error(row.line, column, `${role} must be a number, got "${cell}"`);
    return value;
  }

  private error(line: number, column: Column, problem: string): DataError {
    return new DataError(this.file, line, column.index + 1, `column "${column.name}": ${problem}`);
  }
}
