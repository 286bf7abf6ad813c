import { listValue } from '@duckdb/node-api';
import { MAX_MULTI_HOT_LENGTH, type FeatureEncoding } from '../data/encode.js';
import { categoricalFeatures, fieldMinCount, type ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { TOKENS, VALUES, type BagSummary } from '../store/column-stats.js';
import type { KeptNumbers } from './validate.js';
import { hashBucketSql, ident, isMissingSql, literal, textList } from '../store/sql.js';

/**
 * The encoding as SQL: the same contract as the CSV loader's FeatureEncoding (id i + 1 is vocabulary[i], 0 is
 * missing, rare or unseen; dense values standardized), fitted and applied inside DuckDB. Vocabularies are
 * ranked by frequency (ties by value), so id 1 is the most common value and ids do not depend on row order.
 */

/** The relation encoding reads: the kept rows of PARSED (parsed.ts) with their labels as __click, __action, __purchase. */
export const KEPT = 'esmc_kept';

export interface FitOptions {
  /** The kept rows' numbers, as validation read them. */
  numbers: KeptNumbers;
  /** The kept rows' bags, as validation read them (their tokens counted in TOKENS). */
  bags: Map<string, BagSummary>;
  /** Values (and bag tokens) seen fewer times than this share id 0. Default 1 (keep all); at least 2 for the user feature. */
  minCount?: number;
  /** Categorical columns hashed into this many buckets instead of getting a vocabulary. */
  hashBuckets?: Record<string, number>;
  /** Dense columns log1p-transformed before standardizing. */
  logDense?: string[];
}

/** A dense column of KEPT (a number, NULL when missing), log1p-transformed when `log` (NULL at -1 or below). */
export function denseValueSql(column: string, log: boolean | undefined): string {
  return log ? `(CASE WHEN ${column} > -1 THEN ln(1 + ${column}) END)` : column;
}

/** Every categorical field's vocabulary in one table: (field, value, id). */
const VOCABULARY = 'esmc_vocabulary';
/** Long vocabularies' ids per row, one list in the order of the plan's `many` fields (`encodeCategorical`). */
const CODES = 'esmc_codes';
/** A vocabulary this short is searched as a list written in the statement (a scan of a short list costs less than a join). */
const SHORT_VOCABULARY = 64;
/** Up to this many long vocabularies are joined one by one; more are looked up at once. */
const DIRECT_JOIN_FIELDS = 50;
const bagVocabulary = (index: number) => `esmc_vocab_m${index}`;
const bagTable = (index: number) => `esmc_bags_${index}`;
/**
 * A bag vocabulary this short is searched per token, as one list every row reads (0.2 s for 3.4M tokens of 200
 * values); a longer one is joined token by token (encodeBags). Written into the statement instead, the list is
 * copied for every token, ten times slower.
 */
const SHORT_BAG_VOCABULARY = 1024;
const isShortBag = (field: { vocabulary: string[] }) => field.vocabulary.length <= SHORT_BAG_VOCABULARY;

async function vocabularyOf(project: Project, table: string): Promise<string[]> {
  return (await project.all(`SELECT value FROM ${table} ORDER BY id`)).map((row) => String(row.value));
}

/**
 * How each categorical field's ids are looked up, so that a file of thousands of columns costs time in proportion
 * to its cells: a short vocabulary is searched as a constant list (no join, no table); a few long ones are joined
 * one by one; many long ones are unpivoted and joined once (a join per column carries every column of the row
 * through it, and thousands of joins exceed DuckDB's statement depth). Hashed fields need no lookup. A value with
 * a NUL cannot be written in a statement: its vocabulary is joined.
 */
interface LookupPlan {
  /** Long vocabularies joined one by one; a field in neither list has a short one. */
  joined: string[];
  /** Long vocabularies looked up through CODES, each at its position (1-based). */
  many: Map<string, number>;
}

function lookupPlan(encoding: Pick<FeatureEncoding, 'categorical'>): LookupPlan {
  const withVocabulary = encoding.categorical.filter((field) => field.hashBuckets === undefined);
  const isShort = (field: { vocabulary: string[] }) =>
    field.vocabulary.length <= SHORT_VOCABULARY && field.vocabulary.every((value) => !value.includes('\u0000'));
  const long = withVocabulary.filter((field) => !isShort(field)).map((field) => field.name);
  const direct = long.length <= DIRECT_JOIN_FIELDS;
  return {
    joined: direct ? long : [],
    many: new Map(direct ? [] : long.map((name, i) => [name, i + 1])),
  };
}

/**
 * Fits vocabularies, bag widths and dense statistics on KEPT; leaves the vocabulary tables for `encodedSelect`.
 * The categorical fields are `categoricalFeatures(roles)`: the user column among them unless `userFeature` is false.
 * Their values must have been counted into VALUES (validation's column issues do it, store/column-stats.ts).
 */
export async function fitEncoding(project: Project, roles: ColumnRoles, options: FitOptions): Promise<FeatureEncoding> {
  const minCount = options.minCount ?? 1;
  const fields = categoricalFeatures(roles);
  const hashed = fields.filter((name) => options.hashBuckets?.[name] !== undefined);
  const userMinCount = roles.user ? fieldMinCount(roles, roles.user, minCount) : minCount;
  await project.run(
    `CREATE TEMP TABLE ${VOCABULARY} AS
     SELECT field, value, (row_number() OVER (PARTITION BY field ORDER BY exposures DESC, value))::INTEGER AS id
     FROM ${VALUES}
     WHERE NOT missing AND exposures >= (CASE WHEN field = $1 THEN ${userMinCount} ELSE ${minCount} END)
       ${hashed.length > 0 ? `AND field NOT IN (${hashed.map(literal).join(', ')})` : ''}`,
    [roles.user ?? null],
  );
  const vocabularies = new Map(
    (await project.all(`SELECT field, list(value ORDER BY id) AS vocabulary FROM ${VOCABULARY} GROUP BY field`)).map(
      (row) => [String(row.field), (row.vocabulary as unknown[]).map(String)],
    ),
  );
  const categorical: FeatureEncoding['categorical'] = fields.map((name) => {
    const buckets = options.hashBuckets?.[name];
    return buckets !== undefined
      ? { name, vocabulary: [], hashBuckets: buckets }
      : { name, vocabulary: vocabularies.get(name) ?? [] };
  });
  const multiHot: NonNullable<FeatureEncoding['multiHot']> = [];
  for (const [m, name] of (roles.multiHot ?? []).entries()) {
    const bag = options.bags.get(name)!;
    // The tokens a bag keeps, counted: validation counted every token, which is the same when no bag is cut.
    const counted =
      bag.tooLong === 0
        ? `SELECT value, n FROM ${TOKENS} WHERE field = ${literal(name)}`
        : `SELECT token AS value, count(*) AS n
           FROM (SELECT unnest(${ident(name)}[1:${MAX_MULTI_HOT_LENGTH}]) AS token FROM ${KEPT}) GROUP BY 1`;
    await project.run(
      `CREATE TEMP TABLE ${bagVocabulary(m)} AS
       SELECT value, (row_number() OVER (ORDER BY n DESC, value))::INTEGER AS id
       FROM (${counted}) WHERE n >= ${minCount}`,
    );
    multiHot.push({
      name,
      vocabulary: await vocabularyOf(project, bagVocabulary(m)),
      maxLength: Math.max(bag.longest, 1),
    });
  }
  const dense: FeatureEncoding['dense'] = roles.dense.map((name) => {
    const { mean, std } = (options.logDense?.includes(name) ? options.numbers.logged : options.numbers.raw).get(name)!;
    // A constant (or empty) column gets std 1, so it standardizes to 0 instead of dividing by zero.
    return {
      name,
      mean: mean ?? 0,
      std: std !== null && std > 0 ? std : 1,
      ...(options.logDense?.includes(name) ? { log: true } : {}),
    };
  });
  return { version: 1, roles, categorical, multiHot, dense };
}

/** Loads a stored encoding's vocabularies into the tables `encodedSelect` joins, to encode a new file with it. */
export async function loadEncoding(project: Project, encoding: FeatureEncoding): Promise<void> {
  const fields: string[] = [];
  const values: string[] = [];
  const ids: number[] = [];
  for (const field of encoding.categorical)
    if (field.hashBuckets === undefined)
      field.vocabulary.forEach((value, i) => {
        fields.push(field.name);
        values.push(value);
        ids.push(i + 1);
      });
  await project.run(
    `CREATE TEMP TABLE ${VOCABULARY} AS
     SELECT unnest($1::VARCHAR[]) AS field, unnest($2::VARCHAR[]) AS value, unnest($3::INTEGER[]) AS id`,
    [listValue(fields), listValue(values), listValue(ids)],
  );
  for (const [m, field] of (encoding.multiHot ?? []).entries())
    await project.run(
      `CREATE TEMP TABLE ${bagVocabulary(m)} AS SELECT unnest(l) AS value, generate_subscripts(l, 1)::INTEGER AS id
       FROM (SELECT $1::VARCHAR[] AS l)`,
      [listValue(field.vocabulary)],
    );
}

/**
 * The categorical fields looked up by their integer twin (parsed.ts, `integerTwins`), each joined: the long
 * vocabularies joined anyway, and short ones while the joins stay within DIRECT_JOIN_FIELDS. A join on the integer
 * cost as much as searching the short list by text, and casting each cell to text cost as much again.
 */
function integerLookups(
  encoding: Pick<FeatureEncoding, 'categorical'>,
  plan: LookupPlan,
  twins: Map<string, string>,
): Set<string> {
  const twinned = encoding.categorical
    .filter((field) => field.hashBuckets === undefined && twins.has(field.name) && !plan.many.has(field.name))
    .map((field) => field.name);
  const short = twinned.filter((name) => !plan.joined.includes(name));
  const room = Math.max(0, DIRECT_JOIN_FIELDS - plan.joined.length);
  return new Set([...twinned.filter((name) => plan.joined.includes(name)), ...short.slice(0, room)]);
}

/** Looks up the many long vocabularies of a wide file, when it has them (see LookupPlan), into CODES. */
export async function encodeCategorical(project: Project, encoding: FeatureEncoding): Promise<void> {
  const plan = lookupPlan(encoding);
  if (plan.many.size === 0) return;
  const many = [...plan.many.keys()];
  await project.run(
    `CREATE TEMP TABLE ${CODES} AS
     SELECT u.__line, list(coalesce(v.id, 0) ORDER BY u.position) AS ids
     FROM (SELECT __line, unnest(range(1, ${many.length + 1})) AS position,
                  unnest([${many.map((name) => `${ident(name)}::VARCHAR`).join(', ')}]) AS value
           FROM ${KEPT}) u
     LEFT JOIN (SELECT f.position, v.value, v.id FROM ${VOCABULARY} v
                JOIN (SELECT unnest($1::VARCHAR[]) AS field, unnest(range(1, ${many.length + 1})) AS position) f
                ON f.field = v.field) v
     ON v.position = u.position AND v.value = u.value
     GROUP BY u.__line`,
    [listValue(many)],
  );
}

/** The lines KEPT's rows come from: the first, the last, and how many rows (0, 0 and 0 when there are none). */
export interface KeptLines {
  first: number;
  last: number;
  rows: number;
}

export async function keptLines(project: Project): Promise<KeptLines> {
  const row = (await project.one(
    `SELECT coalesce(min(__line), 0)::BIGINT AS first, coalesce(max(__line), 0)::BIGINT AS last, count(*)::BIGINT AS rows
     FROM ${KEPT}`,
  ))!;
  return { first: Number(row.first), last: Number(row.last), rows: Number(row.rows) };
}

/**
 * Rows whose bags are encoded in one statement: a bag's ids are gathered per row by a GROUP BY over the rows,
 * whose lists DuckDB keeps in memory, so a file of 10M rows is encoded in slices of this many lines (at 1 GB of
 * DuckDB memory one statement over 10M rows ran out of it).
 */
export const BAG_SLICE_LINES = 2_000_000;

/**
 * Encodes each bag with a long vocabulary into a list of ids (in token order, unknown tokens 0), one row per
 * __line with tokens; `encodedSelect` looks up the short ones itself.
 */
export async function encodeBags(
  project: Project,
  encoding: Pick<FeatureEncoding, 'multiHot'>,
  { first, last }: KeptLines,
  sliceLines = BAG_SLICE_LINES,
): Promise<void> {
  const bags = encoding.multiHot ?? [];
  if (bags.every(isShortBag)) return;
  for (const [m, field] of bags.entries()) {
    if (isShortBag(field)) continue;
    await project.run(`CREATE TEMP TABLE ${bagTable(m)} (__line BIGINT, ids INTEGER[])`);
    // Sorting each row's (position, id) pairs after gathering them costs a fifth of gathering them in order.
    for (let from = first; from <= last; from += sliceLines)
      await project.run(
        `INSERT INTO ${bagTable(m)}
         SELECT __line, list_transform(list_sort(list({pos: pos, id: coalesce(v.id, 0)})), p -> p.id) AS ids
         FROM (SELECT __line, unnest(t) AS token, generate_subscripts(t, 1) AS pos
               FROM (SELECT __line, ${ident(field.name)}[1:${field.maxLength}] AS t FROM ${KEPT}
                     WHERE __line >= $1 AND __line < $2)) x
         LEFT JOIN ${bagVocabulary(m)} v ON v.value = x.token
         GROUP BY __line`,
        [from, from + sliceLines],
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
export function encodedSelect(
  encoding: FeatureEncoding,
  hasAction: boolean,
  lines: KeptLines,
  twins: Map<string, string> = new Map(),
): string {
  const { roles } = encoding;
  // Kept rows from one run of lines (none dropped, nearly every import) are numbered from their lines; others in a
  // narrow query joined by line: a window or a sort over the whole row would carry every column of a wide file
  // through it. The readers order by row_id, not by where a row lies in the table.
  const oneRun = lines.rows === 0 || lines.last - lines.first + 1 === lines.rows;
  const items = [
    oneRun ? `(k.__line - ${lines.first})::INTEGER AS row_id` : `n.row_id`,
    `k.__line::BIGINT AS source_line`,
    `k.__click::UTINYINT AS click`,
    ...(hasAction ? [`k.__action::UTINYINT AS action`] : []),
    `k.__purchase::UTINYINT AS purchase`,
  ];
  const joins = oneRun
    ? []
    : [
        `JOIN (SELECT __line, (row_number() OVER (ORDER BY __line) - 1)::INTEGER AS row_id FROM ${KEPT}) n ON n.__line = k.__line`,
      ];
  if (roles.user) {
    // Missing and '' are one user, as in the CSV loader; an integer's text is never ''.
    const twin = twins.get(roles.user);
    const [user, same] = twin
      ? [ident(twin), `u.value IS NOT DISTINCT FROM k.${ident(twin)}`]
      : [`coalesce(${ident(roles.user)}, '')`, `u.value = coalesce(k.${ident(roles.user)}, '')`];
    items.push(`u.key AS user_key`);
    joins.push(
      `LEFT JOIN (SELECT value, (row_number() OVER (ORDER BY first_line) - 1)::INTEGER AS key
                  FROM (SELECT ${user} AS value, min(__line) AS first_line FROM ${KEPT} GROUP BY 1)) u
       ON ${same}`,
    );
  }
  if (roles.timestamp) {
    const cell = `trim(k.${ident(roles.timestamp)})`;
    items.push(`coalesce(TRY_CAST(${cell} AS DOUBLE), epoch(TRY_CAST(${cell} AS TIMESTAMP))) AS time`);
  }
  const plan = lookupPlan(encoding);
  if (plan.many.size > 0) joins.push(`LEFT JOIN ${CODES} codes ON codes.__line = k.__line`);
  const byInteger = integerLookups(encoding, plan, twins);
  encoding.categorical.forEach((field, c) => {
    const cell = `k.${ident(field.name)}`;
    const name = ident(datasetColumn.categorical(field.name));
    if (byInteger.has(field.name)) {
      // The vocabulary's integers: a value that is not an integer's one spelling ('007', '1e3') names no cell.
      const integer = `TRY_CAST(value AS HUGEINT)`;
      items.push(`coalesce(v${c}.id, 0)::INTEGER AS ${name}`);
      joins.push(
        `LEFT JOIN (SELECT ${integer} AS value, id FROM ${VOCABULARY}
                    WHERE field = ${literal(field.name)} AND CAST(${integer} AS VARCHAR) = value) v${c}
         ON v${c}.value = k.${ident(twins.get(field.name)!)}::HUGEINT`,
      );
    } else if (field.hashBuckets !== undefined)
      items.push(
        `(CASE WHEN ${isMissingSql(cell)} THEN 0 ELSE ${hashBucketSql(cell, field.hashBuckets)} END) AS ${name}`,
      );
    else if (plan.many.has(field.name))
      items.push(`coalesce(codes.ids[${plan.many.get(field.name)}], 0)::INTEGER AS ${name}`);
    else if (plan.joined.includes(field.name)) {
      items.push(`coalesce(v${c}.id, 0)::INTEGER AS ${name}`);
      joins.push(`LEFT JOIN ${VOCABULARY} v${c} ON v${c}.field = ${literal(field.name)} AND v${c}.value = ${cell}`);
    } else {
      items.push(`coalesce(list_position(${textList(field.vocabulary)}, ${cell}), 0)::INTEGER AS ${name}`);
    }
  });
  (encoding.multiHot ?? []).forEach((field, m) => {
    const name = ident(datasetColumn.multiHot(field.name));
    if (isShortBag(field)) {
      items.push(
        `list_transform(k.${ident(field.name)}[1:${field.maxLength}], t -> coalesce(list_position(b${m}.vocabulary, t), 0)::INTEGER) AS ${name}`,
      );
      joins.push(`CROSS JOIN (SELECT list(value ORDER BY id) AS vocabulary FROM ${bagVocabulary(m)}) b${m}`);
    } else {
      items.push(`coalesce(b${m}.ids, []::INTEGER[]) AS ${name}`);
      joins.push(`LEFT JOIN ${bagTable(m)} b${m} ON b${m}.__line = k.__line`);
    }
  });
  for (const field of encoding.dense) {
    // A missing value becomes the mean, i.e. 0 once standardized, as in the CSV loader.
    const value = denseValueSql(`k.${ident(field.name)}`, field.log);
    items.push(
      `coalesce((${value} - ${field.mean}) / ${field.std}, 0)::DOUBLE AS ${ident(datasetColumn.dense(field.name))}`,
    );
  }
  for (const name of roles.truth) items.push(`k.${ident(name)} AS ${ident(datasetColumn.truth(name))}`);
  return `SELECT ${items.join(',\n  ')}\nFROM ${KEPT} k\n${joins.join('\n')}`;
}
