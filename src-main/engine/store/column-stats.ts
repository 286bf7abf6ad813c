import type { Project } from './project.js';
import { ident, isMissingSql, literal, textList } from './sql.js';

/**
 * Statistics of many columns in few scans. A file of thousands of columns must not cost a query per column:
 * every categorical value of every column is counted in one scan (`countValues`), and numbers are summarized a
 * chunk of columns per scan (`numericStats`), each query's text bounded whatever the width of the file.
 */

/** Columns summarized per numeric query: a bounded statement, and few scans for wide files. */
const NUMERIC_CHUNK = 100;
/** Example lines kept per finding. */
export const EXAMPLE_LINES = 5;

/** Splits `items` into runs of at most `size`. */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** A DuckDB list of lines as numbers. */
export const lineList = (value: unknown) => ((value as bigint[] | null) ?? []).map(Number);

/**
 * The funnel's aggregates over label columns __click, __action (optional) and __purchase, as SQL select items.
 * With `weight`, each row stands for that many rows (a count of rows with the same labels).
 */
export function funnelSelect(hasAction: boolean, weight?: string): string {
  const rows = (condition: string) => (weight === undefined ? `sum(${condition})` : `sum(${weight} * ${condition})`);
  const action = hasAction
    ? `${rows('__click * __action')}::DOUBLE AS actions,
       ${rows('__click * __action * __purchase')}::DOUBLE AS purchases_with_action,
       ${rows('__click * (1 - __action) * __purchase')}::DOUBLE AS purchases_without_action,`
    : '';
  const violation = hasAction ? `(__purchase = 1 OR __action = 1)` : `__purchase = 1`;
  const all = weight === undefined ? 'count(*)' : `sum(${weight})`;
  return `${all}::DOUBLE AS exposures, ${rows('__click')}::DOUBLE AS clicks, ${action}
    ${rows('__click * __purchase')}::DOUBLE AS purchases,
    coalesce(${all} FILTER (WHERE __click = 0 AND ${violation}), 0)::DOUBLE AS violations`;
}

/**
 * Up to this many columns are counted with a hash table each (GROUPING SETS), more unpivoted into one: at 1M rows
 * of 100 columns the first took 6.0 s against 7.9 s, at 100k rows of 500 columns 8.1 s against 6.3 s.
 */
const GROUPING_SETS_COLUMNS = 100;

/** The temp table `countValues` writes. */
export const VALUES = 'esmc_values';

/** A wide file's row as one list of text cells (importers/stage.ts): counted by position, not by column. */
export const CELLS = '__cells';

/**
 * Counts every value of the (text) `columns` of `relation` in one scan, into VALUES: one row per (field, value)
 * with `exposures` (the rows) and the rest of the funnel's aggregates, and `missing` (whether the value is a missing
 * spelling; SQL NULL is the value NULL). Vocabularies, missing counts, distinct counts and top values are then
 * small queries on VALUES. `hasAction`: whether the relation has __action. `cells`: the names of the relation's
 * list CELLS, by position, when it has one. `twins`: columns whose integer twin (parsed.ts, `integerTwins`) the
 * relation also holds.
 */
export async function countValues(
  project: Project,
  relation: string,
  columns: string[],
  hasAction: boolean,
  { cells, twins }: { cells?: string[]; twins?: Map<string, string> } = {},
): Promise<void> {
  await project.run(`DROP TABLE IF EXISTS ${VALUES}`);
  // Cells are counted per value and labels (one small code), and the funnel's aggregates summed from those
  // counts: seven aggregates over every cell cost more than the extra key (27 s against 20 s on 100M cells).
  const code = `(__click + 2 * __purchase${hasAction ? ' + 4 * __action' : ''})::UTINYINT AS code`;
  let counted: string;
  if (columns.length === 0)
    counted = `SELECT NULL::VARCHAR AS field, NULL::VARCHAR AS value, 0::UTINYINT AS code, 0 AS n WHERE false`;
  else if (cells) {
    // Unnesting the list itself, rather than unpivoting a column per cell, keeps a row of thousands of cells one
    // value until it is counted; the whole list is unnested and filtered, since picking the counted cells out of
    // every row first costs more than the filter.
    const position = new Map(cells.map((name, i) => [name, i + 1]));
    const positions = columns.map((name) => position.get(name)!);
    counted = `SELECT (${textList(cells)})[field_index] AS field, value, code, n
               FROM (SELECT field_index, value, code, count(*) AS n
                     FROM (SELECT ${code}, unnest(${CELLS}) AS value, generate_subscripts(${CELLS}, 1) AS field_index
                           FROM ${relation})
                     WHERE field_index IN (SELECT unnest([${positions.join(', ')}]))
                     GROUP BY field_index, value, code)`;
  } else if (columns.length <= GROUPING_SETS_COLUMNS) {
    // One hash table per column: 10M rows of six columns counted in 1.6 s, against 2.5 s unpivoted. A column
    // with an integer twin is counted by the integer, and the few values made text after.
    const cellsOf = (name: string) => (twins?.has(name) ? ident(twins.get(name)!) : `CAST(${ident(name)} AS VARCHAR)`);
    const texts = columns.map((name) => `${cellsOf(name)} AS ${ident(name)}`);
    const grouped = (pick: (name: string) => string) =>
      `CASE ${columns.map((name) => `WHEN grouping(${ident(name)}) = 0 THEN ${pick(name)}`).join(' ')} END`;
    const text = (name: string) => `CAST(${ident(name)} AS VARCHAR)`;
    counted = `SELECT ${grouped(literal)} AS field, ${grouped(text)} AS value, code, count(*) AS n
               FROM (SELECT ${[code, ...texts].join(', ')} FROM ${relation})
               GROUP BY GROUPING SETS (${columns.map((name) => `(${ident(name)}, code)`).join(', ')})`;
  } else {
    const texts = columns.map((name) => `CAST(${ident(name)} AS VARCHAR) AS ${ident(name)}`);
    counted = `SELECT field, value, code, count(*) AS n
               FROM (SELECT ${[code, ...texts].join(', ')} FROM ${relation})
                    UNPIVOT INCLUDE NULLS (value FOR field IN (${columns.map(ident).join(', ')}))
               GROUP BY field, value, code`;
  }
  const labels = `code & 1 AS __click, (code >> 1) & 1 AS __purchase${hasAction ? ', (code >> 2) & 1 AS __action' : ''}`;
  const summed = `SELECT field, value, ${funnelSelect(hasAction, 'n')}
                  FROM (SELECT field, value, n, ${labels} FROM (${counted}))
                  GROUP BY field, value`;
  // Whether a value is missing is decided once per distinct value, after counting, not once per cell.
  await project.run(`CREATE TEMP TABLE ${VALUES} AS SELECT *, ${isMissingSql('value')} AS missing FROM (${summed})`);
}

export interface FieldSummary {
  /** Rows whose value is missing (NULL or a missing spelling). */
  missing: number;
  /** The first lines with a missing value (when asked for). */
  missingLines: number[];
  /** Distinct values that are not missing. */
  distinct: number;
  /** The smallest value that is not missing, as text. */
  someValue: string | null;
}

/**
 * Each counted field's missing and distinct values, from VALUES; with `linesFrom` (the counted relation, with
 * __line), the first lines of each field that has missing values, read for those fields only.
 */
export async function fieldSummaries(project: Project, linesFrom?: string): Promise<Map<string, FieldSummary>> {
  const rows = await project.all(
    `SELECT field, coalesce(sum(exposures) FILTER (WHERE missing), 0)::DOUBLE AS missing,
            count(*) FILTER (WHERE NOT missing)::DOUBLE AS distinct_values,
            min(value) FILTER (WHERE NOT missing) AS some_value
     FROM ${VALUES} GROUP BY field`,
  );
  const summaries = new Map<string, FieldSummary>(
    rows.map((row) => [
      String(row.field),
      {
        missing: Number(row.missing),
        missingLines: [],
        distinct: Number(row.distinct_values),
        someValue: row.some_value === null ? null : String(row.some_value),
      },
    ]),
  );
  if (linesFrom) {
    const withMissing = [...summaries].filter(([, summary]) => summary.missing > 0).map(([name]) => name);
    const found = await badCells(
      project,
      linesFrom,
      withMissing.map((name) => ({ name, bad: isMissingSql(ident(name)) })),
    );
    for (const [name, cells] of found) summaries.get(name)!.missingLines = cells.lines;
  }
  return summaries;
}

export interface NumericColumn {
  name: string;
  /** The column as a number, NULL when missing, as SQL (importers/parsed.ts reads every number once). */
  value: string;
}

export interface NumericStats {
  missing: number;
  /** The first lines with a missing value (when asked for). */
  missingLines: number[];
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

/**
 * Count of missing cells, mean, population std, min and max of numeric columns, a chunk of columns per scan; the
 * first lines with a missing value are looked for only in the columns that have one (most have none, and the
 * search costs as much as the rest).
 */
export async function numericStats(
  project: Project,
  relation: string,
  columns: NumericColumn[],
  options: { lines: boolean },
): Promise<Map<string, NumericStats>> {
  const stats = new Map<string, NumericStats>();
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  for (const chunk of chunksOf(columns, NUMERIC_CHUNK)) {
    const items = chunk.map(({ value }, i) =>
      [
        `(count(*) - count(${value}))::DOUBLE AS m${i}`,
        `avg(${value}) AS a${i}`,
        `stddev_pop(${value}) AS s${i}`,
        `min(${value}) AS lo${i}`,
        `max(${value}) AS hi${i}`,
      ].join(', '),
    );
    const row = (await project.one(`SELECT ${items.join(',\n')} FROM ${relation}`))!;
    chunk.forEach(({ name }, i) =>
      stats.set(name, {
        missing: Number(row[`m${i}`]),
        missingLines: [],
        mean: number(row[`a${i}`]),
        std: number(row[`s${i}`]),
        min: number(row[`lo${i}`]),
        max: number(row[`hi${i}`]),
      }),
    );
  }
  const withMissing = options.lines ? columns.filter(({ name }) => stats.get(name)!.missing > 0) : [];
  for (const chunk of chunksOf(withMissing, NUMERIC_CHUNK)) {
    const items = chunk.map(({ value }, i) => `min(__line, ${EXAMPLE_LINES}) FILTER (WHERE ${value} IS NULL) AS l${i}`);
    const row = (await project.one(`SELECT ${items.join(',\n')} FROM ${relation}`))!;
    chunk.forEach(({ name }, i) => (stats.get(name)!.missingLines = lineList(row[`l${i}`])));
  }
  return stats;
}

/** The temp table `summarizeBags` writes: every bag column's tokens counted, one row per (field, value) with `n`. */
export const TOKENS = 'esmc_tokens';

export interface BagSummary extends FieldSummary {
  /** Distinct non-empty bags (FieldSummary's `distinct`); `someValue`, the smallest as text. */
  meanLength: number | null;
  /** The longest bag's length, counting at most `keep` tokens. */
  longest: number;
  /** Bags of more than `keep` tokens, and the first lines with one. */
  tooLong: number;
  tooLongLines: number[];
}

/**
 * What the checks, the encoding and the profile read of each bag (list) column of `relation`, in one scan per
 * column, with the tokens counted into TOKENS: the relation's bags were read five times before, and parsed each
 * time where the relation is a view of the file. `keep`: the tokens of a bag the encoding keeps. `lines`: find
 * the first lines of empty and long bags (in the relation's __line), where there are some.
 */
export async function summarizeBags(
  project: Project,
  relation: string,
  bags: string[],
  { keep, lines }: { keep: number; lines: boolean },
): Promise<Map<string, BagSummary>> {
  const summaries = new Map<string, BagSummary>();
  for (const name of bags) {
    const bag = `(SELECT ${lines ? '__line, ' : ''}${ident(name)} AS t FROM ${relation})`;
    const row = (await project.one(
      `SELECT count(*) FILTER (WHERE len(t) = 0)::DOUBLE AS missing,
              count(DISTINCT t::VARCHAR) FILTER (WHERE len(t) > 0)::DOUBLE AS distinct_values,
              min(t::VARCHAR) FILTER (WHERE len(t) > 0) AS some_value,
              avg(len(t)) AS mean_length,
              coalesce(max(least(len(t), ${keep})), 0)::INTEGER AS longest,
              count(*) FILTER (WHERE len(t) > ${keep})::DOUBLE AS too_long
       FROM ${bag}`,
    ))!;
    const summary: BagSummary = {
      missing: Number(row.missing),
      missingLines: [],
      distinct: Number(row.distinct_values),
      someValue: row.some_value === null ? null : String(row.some_value),
      meanLength: row.mean_length === null ? null : Number(row.mean_length),
      longest: Number(row.longest),
      tooLong: Number(row.too_long),
      tooLongLines: [],
    };
    if (lines && (summary.missing > 0 || summary.tooLong > 0)) {
      const found = (await project.one(
        `SELECT min(__line, ${EXAMPLE_LINES}) FILTER (WHERE len(t) = 0) AS missing,
                min(__line, ${EXAMPLE_LINES}) FILTER (WHERE len(t) > ${keep}) AS too_long
         FROM ${bag}`,
      ))!;
      summary.missingLines = lineList(found.missing);
      summary.tooLongLines = lineList(found.too_long);
    }
    summaries.set(name, summary);
  }
  const counted = bags.map(
    (name) =>
      `SELECT ${literal(name)} AS field, value, count(*) AS n
       FROM (SELECT unnest(${ident(name)}) AS value FROM ${relation}) GROUP BY value`,
  );
  await project.run(`DROP TABLE IF EXISTS ${TOKENS}`);
  await project.run(
    `CREATE TEMP TABLE ${TOKENS} AS ${
      counted.length > 0
        ? counted.join(' UNION ALL ')
        : 'SELECT NULL::VARCHAR AS field, NULL::VARCHAR AS value, 0::BIGINT AS n WHERE false'
    }`,
  );
  return summaries;
}

export interface BadCells {
  count: number;
  lines: number[];
}

/**
 * Rows where each column's `bad` predicate holds: count and first lines, a chunk of columns per scan. The rows
 * are counted first, and the lines read only for the columns that have bad ones (most files have none, and
 * finding the lines costs more than the count).
 */
export async function badCells(
  project: Project,
  relation: string,
  columns: { name: string; bad: string }[],
): Promise<Map<string, BadCells>> {
  const counts = new Map<string, number>();
  for (const chunk of chunksOf(columns, NUMERIC_CHUNK)) {
    const items = chunk.map(({ bad }, i) => `count_if(${bad})::DOUBLE AS n${i}`);
    const row = (await project.one(`SELECT ${items.join(',\n')} FROM ${relation}`))!;
    chunk.forEach(({ name }, i) => counts.set(name, Number(row[`n${i}`] ?? 0)));
  }
  const found = new Map<string, BadCells>();
  for (const chunk of chunksOf(
    columns.filter(({ name }) => counts.get(name)! > 0),
    NUMERIC_CHUNK,
  )) {
    const items = chunk.map(({ bad }, i) => `min(__line, ${EXAMPLE_LINES}) FILTER (WHERE ${bad}) AS l${i}`);
    const row = (await project.one(`SELECT ${items.join(',\n')} FROM ${relation}`))!;
    chunk.forEach(({ name }, i) => found.set(name, { count: counts.get(name)!, lines: lineList(row[`l${i}`]) }));
  }
  return found;
}
