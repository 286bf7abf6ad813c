import { listValue } from '@duckdb/node-api';
import { MAX_MULTI_HOT_LENGTH, type FeatureEncoding } from '../data/encode.js';
import { categoricalFeatures, fieldMinCount, type ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { hashBucketSql, ident, isMissingSql, numberSql } from '../store/sql.js';

/**
 * The encoding as SQL: the same contract as the CSV loader's FeatureEncoding (id i + 1 is vocabulary[i], 0 is
 * missing, rare or unseen; dense values standardized), fitted and applied inside DuckDB. Vocabularies are
 * ranked by frequency (ties by value), so id 1 is the most common value and ids do not depend on row order.
 */

/** The relation encoding reads: raw text columns beside __line and the 0/1 label columns. */
export const KEPT = 'esmc_kept';

export interface FitOptions {
  /** Values (and bag tokens) seen fewer times than this share id 0. Default 1 (keep all); at least 2 for the user feature. */
  minCount?: number;
  /** Categorical columns hashed into this many buckets instead of getting a vocabulary. */
  hashBuckets?: Record<string, number>;
  /** Dense columns log1p-transformed before standardizing. */
  logDense?: string[];
}

/** The bag of a multi-hot cell: `|`-separated tokens, trimmed, blanks dropped; a missing cell is empty. */
export function tokensSql(column: string): string {
  const cell = ident(column);
  return `(CASE WHEN ${isMissingSql(cell)} THEN []::VARCHAR[] ELSE list_filter(list_transform(string_split(${cell}, '|'), t -> trim(t)), t -> t <> '') END)`;
}

/** A dense cell as a number (NULL when missing), log1p-transformed when `log`. */
export function denseValueSql(column: string, log: boolean | undefined): string {
  const value = numberSql(ident(column));
  return log ? `ln(1 + ${value})` : value;
}

const vocabTable = (kind: 'c' | 'm', index: number) => `esmc_vocab_${kind}${index}`;
const bagTable = (index: number) => `esmc_bags_${index}`;

async function vocabularyOf(project: Project, table: string): Promise<string[]> {
  return (await project.all(`SELECT value FROM ${table} ORDER BY id`)).map((row) => String(row.value));
}

/**
 * Fits vocabularies, bag widths and dense statistics on KEPT; leaves the vocabulary tables for `encodedSelect`.
 * The categorical fields are `categoricalFeatures(roles)`: the user column among them unless `userFeature` is false.
 */
export async function fitEncoding(project: Project, roles: ColumnRoles, options: FitOptions): Promise<FeatureEncoding> {
  const minCount = options.minCount ?? 1;
  const categorical: FeatureEncoding['categorical'] = [];
  for (const [c, name] of categoricalFeatures(roles).entries()) {
    const buckets = options.hashBuckets?.[name];
    if (buckets !== undefined) {
      categorical.push({ name, vocabulary: [], hashBuckets: buckets });
      continue;
    }
    const column = ident(name);
    await project.run(
      `CREATE TEMP TABLE ${vocabTable('c', c)} AS
       SELECT value, (row_number() OVER (ORDER BY n DESC, value))::INTEGER AS id
       FROM (SELECT ${column} AS value, count(*) AS n FROM ${KEPT} WHERE NOT ${isMissingSql(column)}
             GROUP BY 1 HAVING count(*) >= ${fieldMinCount(roles, name, minCount)})`,
    );
    categorical.push({ name, vocabulary: await vocabularyOf(project, vocabTable('c', c)) });
  }
  const multiHot: NonNullable<FeatureEncoding['multiHot']> = [];
  for (const [m, name] of (roles.multiHot ?? []).entries()) {
    const tokens = `${tokensSql(name)}[1:${MAX_MULTI_HOT_LENGTH}]`;
    await project.run(
      `CREATE TEMP TABLE ${vocabTable('m', m)} AS
       SELECT value, (row_number() OVER (ORDER BY n DESC, value))::INTEGER AS id
       FROM (SELECT token AS value, count(*) AS n FROM (SELECT unnest(${tokens}) AS token FROM ${KEPT})
             GROUP BY 1 HAVING count(*) >= ${minCount})`,
    );
    const longest = await project.one(`SELECT max(len(${tokens}))::INTEGER AS n FROM ${KEPT}`);
    multiHot.push({
      name,
      vocabulary: await vocabularyOf(project, vocabTable('m', m)),
      maxLength: Math.max(Number(longest?.n ?? 0), 1),
    });
  }
  const dense: FeatureEncoding['dense'] = [];
  for (const name of roles.dense) {
    const log = options.logDense?.includes(name);
    const stats = await project.one(
      `SELECT avg(x) AS mean, stddev_pop(x) AS std FROM (SELECT ${denseValueSql(name, log)} AS x FROM ${KEPT})`,
    );
    const std = Number(stats?.std ?? 0);
    // A constant (or empty) column gets std 1, so it standardizes to 0 instead of dividing by zero.
    dense.push({
      name,
      mean: Number(stats?.mean ?? 0),
      std: std > 0 ? std : 1,
      ...(log ? { log: true } : {}),
    });
  }
  return { version: 1, roles, categorical, multiHot, dense };
}

/** Loads a stored encoding's vocabularies into the tables `encodedSelect` joins, to encode a new file with it. */
export async function loadEncoding(project: Project, encoding: FeatureEncoding): Promise<void> {
  const load = (table: string, vocabulary: string[]) =>
    project.run(
      `CREATE TEMP TABLE ${table} AS SELECT unnest(l) AS value, generate_subscripts(l, 1)::INTEGER AS id
       FROM (SELECT $1::VARCHAR[] AS l)`,
      [listValue(vocabulary)],
    );
  for (const [c, field] of encoding.categorical.entries())
    if (field.hashBuckets === undefined) await load(vocabTable('c', c), field.vocabulary);
  for (const [m, field] of (encoding.multiHot ?? []).entries()) await load(vocabTable('m', m), field.vocabulary);
}

/** Encodes each bag into a list of ids (in token order, unknown tokens 0), one row per __line with tokens. */
export async function encodeBags(project: Project, encoding: FeatureEncoding): Promise<void> {
  for (const [m, field] of (encoding.multiHot ?? []).entries()) {
    await project.run(
      `CREATE TEMP TABLE ${bagTable(m)} AS
       SELECT __line, list(coalesce(v.id, 0) ORDER BY pos) AS ids
       FROM (SELECT __line, unnest(t) AS token, generate_subscripts(t, 1) AS pos
             FROM (SELECT __line, ${tokensSql(field.name)}[1:${field.maxLength}] AS t FROM ${KEPT})) x
       LEFT JOIN ${vocabTable('m', m)} v ON v.value = x.token
       GROUP BY __line`,
    );
  }
}

/** Column names in a dataset table, prefixed by role so that a feature can never shadow a label column. */
export const datasetColumn = {
  categorical: (name: string) => `cat.${name}`,
  multiHot: (name: string) => `bag.${name}`,
  dense: (name: string) => `dense.${name}`,
  truth: (name: string) => `truth.${name}`,
};

/**
 * The SELECT that writes a dataset table from KEPT: row_id 0..n-1 in file order, the source line, 0/1 labels,
 * the user key (0.. by first appearance, as the CSV loader numbers users), the timestamp in Unix seconds,
 * and the encoded features.
 */
export function encodedSelect(encoding: FeatureEncoding, hasAction: boolean): string {
  const { roles } = encoding;
  const items = [
    `(row_number() OVER (ORDER BY k.__line) - 1)::INTEGER AS row_id`,
    `k.__line::BIGINT AS source_line`,
    `k.__click::UTINYINT AS click`,
    ...(hasAction ? [`k.__action::UTINYINT AS action`] : []),
    `k.__purchase::UTINYINT AS purchase`,
  ];
  const joins: string[] = [];
  if (roles.user) {
    items.push(`u.key AS user_key`);
    joins.push(
      `LEFT JOIN (SELECT value, (row_number() OVER (ORDER BY first_line) - 1)::INTEGER AS key
                  FROM (SELECT coalesce(${ident(roles.user)}, '') AS value, min(__line) AS first_line FROM ${KEPT} GROUP BY 1)) u
       ON u.value = coalesce(k.${ident(roles.user)}, '')`,
    );
  }
  if (roles.timestamp) {
    const cell = `trim(k.${ident(roles.timestamp)})`;
    items.push(`coalesce(TRY_CAST(${cell} AS DOUBLE), epoch(TRY_CAST(${cell} AS TIMESTAMP))) AS time`);
  }
  encoding.categorical.forEach((field, c) => {
    const cell = `k.${ident(field.name)}`;
    const name = ident(datasetColumn.categorical(field.name));
    if (field.hashBuckets !== undefined) {
      items.push(
        `(CASE WHEN ${isMissingSql(cell)} THEN 0 ELSE ${hashBucketSql(cell, field.hashBuckets)} END) AS ${name}`,
      );
    } else {
      items.push(`coalesce(v${c}.id, 0)::INTEGER AS ${name}`);
      joins.push(`LEFT JOIN ${vocabTable('c', c)} v${c} ON v${c}.value = ${cell}`);
    }
  });
  (encoding.multiHot ?? []).forEach((field, m) => {
    items.push(`coalesce(b${m}.ids, []::INTEGER[]) AS ${ident(datasetColumn.multiHot(field.name))}`);
    joins.push(`LEFT JOIN ${bagTable(m)} b${m} ON b${m}.__line = k.__line`);
  });
  for (const field of encoding.dense) {
    // A missing value becomes the mean, i.e. 0 once standardized, as in the CSV loader.
    const value = denseValueSql(field.name, field.log).replaceAll(ident(field.name), `k.${ident(field.name)}`);
    items.push(
      `coalesce((${value} - ${field.mean}) / ${field.std}, 0)::DOUBLE AS ${ident(datasetColumn.dense(field.name))}`,
    );
  }
  for (const name of roles.truth)
    items.push(`TRY_CAST(trim(k.${ident(name)}) AS DOUBLE) AS ${ident(datasetColumn.truth(name))}`);
  return `SELECT ${items.join(',\n  ')}\nFROM ${KEPT} k\n${joins.join('\n')}\nORDER BY row_id`;
}
