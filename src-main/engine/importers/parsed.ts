import { categoricalFeatures, type ColumnRoles } from '../data/roles.js';
import { CELLS } from '../store/column-stats.js';
import type { Project } from '../store/project.js';
import { ident, isMissingSql, labelSql, parsedNumberSql } from '../store/sql.js';
import { RAW, readingStaged, STAGE, textOf, type OrderedRows, type TypedColumn } from './stage.js';

/**
 * The staged rows with each role's cells read once. STAGE holds every cell as text; the checks, the encoding and
 * the profile each read the labels and numbers again from that text, and parsing was most of an import's time
 * (docs/data.md, "Scale"). PARSED holds, for every row of STAGE:
 * - `__line`;
 * - each label column as UTINYINT 0/1, NULL when the cell is anything else;
 * - each dense and truth column as DOUBLE: NULL when missing, NaN when there but not a finite number;
 * - each multi-hot column as its bag of tokens (VARCHAR[], every token, `tokensSql`);
 * - the categorical, user and timestamp columns as the text they were staged as;
 * - a wide file's list of cells (CELLS), which the value counts read by position.
 * It is a table, except for a wide file, whose thousands of columns DuckDB stores slowly: a view of the same
 * SELECT then parses the cells where they are read, as before.
 */
export const PARSED = 'esmc_parsed';

/**
 * The bag of a multi-hot cell (`cell`, its text as SQL): `|`-separated tokens, trimmed, blanks dropped; a missing cell is empty. A cell of
 * tokens without blanks or spaces (nearly all) is split as it is: trimming and filtering every token, and testing
 * every cell for a missing spelling, cost two thirds of a file's read.
 */
export function tokensSql(cell: string): string {
  const missingSpelling = `(CASE lower(${cell}) WHEN 'na' THEN true WHEN 'nan' THEN true WHEN 'null' THEN true WHEN 'none' THEN true ELSE false END)`;
  return `(CASE WHEN regexp_full_match(${cell}, '[^|\\s]+(\\|[^|\\s]+)*')
            THEN (CASE WHEN length(${cell}) <= 4 AND ${missingSpelling} THEN []::VARCHAR[] ELSE string_split(${cell}, '|') END)
          WHEN ${isMissingSql(cell)} THEN []::VARCHAR[]
          ELSE list_filter(list_transform(string_split(${cell}, '|'), t -> trim(t)), t -> t <> '') END)`;
}

/** The label columns, click first and purchase last. */
export const labelColumns = (roles: ColumnRoles) => [roles.click, ...(roles.action ?? []), roles.purchase];

/**
 * Creates `table` from `select`, refusing a plan that would not keep the rows' order: DuckDB keeps it only when
 * it copies in batches, which some operators (a join, e.g. an IN list) rule out, and the rows' ids are their lines.
 */
export async function copyInOrder(project: Project, table: string, select: string): Promise<void> {
  const sql = `CREATE TEMP TABLE ${table} AS ${select}`;
  const plan = (await project.all(`EXPLAIN ${sql}`)).map((row) => String(row.explain_value)).join('\n');
  if (!plan.includes('BATCH_CREATE_TABLE_AS'))
    throw new Error(
      `internal: this copy would not keep the file's order of rows, so their lines: ${select.slice(0, 200)}`,
    );
  await project.run(sql);
}

/** How far the read of a file is, by DuckDB's count (a text file's total is estimated from its size). */
export interface RowsRead {
  rows: number;
  total: number;
  seconds: number;
}

/** How often the rows read are reported. */
const ROWS_READ_EVERY_MS = 500;

/** Runs `work`, reporting DuckDB's progress of the statement it runs on this connection while it runs. */
async function whileReporting<T>(
  project: Project,
  onRowsRead: ((read: RowsRead) => void) | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!onRowsRead) return work();
  // DuckDB counts a statement's progress only with its progress bar on; nothing is printed.
  await project.run('SET enable_progress_bar_print = false');
  await project.run('SET enable_progress_bar = true');
  const started = Date.now();
  const timer = setInterval(() => {
    const progress = project.connection.progress;
    const rows = Number(progress.rows_processed);
    if (progress.percentage >= 0 && rows > 0)
      onRowsRead({ rows, total: Number(progress.total_rows_to_process), seconds: (Date.now() - started) / 1000 });
  }, ROWS_READ_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await project.run('RESET enable_progress_bar');
    await project.run('RESET enable_progress_bar_print');
  }
}

/**
 * PARSED's columns, each role's cells parsed from their text; from a Parquet or JSON file's `typed` columns (read
 * directly, not as RAW's text) where parsing the value's text is known to give the same as the value itself.
 */
export function parsedItems(roles: ColumnRoles, typed?: TypedColumn[]): string[] {
  const types = new Map(typed?.map((column) => [column.name, column.type]));
  const textOfCell = (name: string) => {
    const type = types.get(name);
    return type === undefined ? ident(name) : textOf({ name, type });
  };
  const items: string[] = [];
  for (const name of labelColumns(roles)) {
    const label = typedLabelSql(ident(name), types.get(name)) ?? labelSql(textOfCell(name));
    items.push(`${label}::UTINYINT AS ${ident(name)}`);
  }
  for (const name of [...roles.dense, ...roles.truth])
    items.push(
      `${typedNumberSql(ident(name), types.get(name)) ?? parsedNumberSql(textOfCell(name))} AS ${ident(name)}`,
    );
  for (const name of roles.multiHot ?? [])
    items.push(`${typedTokensSql(ident(name), types.get(name)) ?? tokensSql(textOfCell(name))} AS ${ident(name)}`);
  const texts = new Set([
    ...categoricalFeatures(roles),
    ...(roles.user ? [roles.user] : []),
    ...(roles.timestamp ? [roles.timestamp] : []),
  ]);
  for (const name of texts) items.push(`${textOfCell(name)} AS ${ident(name)}`);
  return items;
}

/** DuckDB's integer types, whose text is the decimal number they hold. */
const INTEGER_TYPE = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;

/**
 * A typed label as `labelSql` reads its text (textOf), or undefined when the type's text is not known that well:
 * an integer's text is '0' or '1' for 0 and 1 only, a boolean's is '0' or '1', and a double's is '1.0', '0.0' or
 * '-0.0' (not a label) for 1, 0 and -0.
 */
export function typedLabelSql(value: string, type: string | undefined): string | undefined {
  if (type === undefined) return undefined;
  if (INTEGER_TYPE.test(type)) return `(CASE ${value} WHEN 0 THEN 0 WHEN 1 THEN 1 END)`;
  if (type === 'BOOLEAN') return `${value}::INTEGER`;
  if (type === 'DOUBLE')
    return `(CASE WHEN ${value} = 1 THEN 1 WHEN ${value} = 0 AND NOT signbit(${value}) THEN 0 END)`;
  return undefined;
}

/**
 * A typed number as `parsedNumberSql` reads its text (textOf), or undefined when the type's text is not known that
 * well: an integer's decimal text casts to the double the integer casts to, and a double's text to itself, except
 * 'nan', a missing spelling (NULL), and 'inf', not finite (NaN). A float's text is not its double.
 */
export function typedNumberSql(value: string, type: string | undefined): string | undefined {
  if (type === undefined) return undefined;
  if (INTEGER_TYPE.test(type)) return `${value}::DOUBLE`;
  if (type === 'BOOLEAN') return `${value}::INTEGER::DOUBLE`;
  if (type === 'DOUBLE')
    return `(CASE WHEN isnan(${value}) THEN NULL WHEN isinf(${value}) THEN 'NaN'::DOUBLE ELSE ${value} END)`;
  return undefined;
}

/**
 * A typed list of integers as `tokensSql` reads its text (textOf joins the items with '|', leaving out NULLs): each
 * item's decimal text is a token. Undefined for any other type: a text item may hold spaces, a '|' or nothing.
 */
export function typedTokensSql(value: string, type: string | undefined): string | undefined {
  if (type === undefined || !type.endsWith('[]') || !INTEGER_TYPE.test(type.slice(0, -2))) return undefined;
  return `coalesce(list_filter(${value}, t -> t IS NOT NULL)::VARCHAR[], []::VARCHAR[])`;
}

/** The copy PARSED numbers, when the file was staged without one (OrderedRows). */
const PARSED_ROWS = 'esmc_parsed_rows';

/**
 * Writes PARSED from STAGE for these roles (checkRoles has passed); `cells`: the staged file is wide; `ordered`:
 * it was staged without a copy, and the copy made here reads RAW (in parallel, in file order) and is numbered by
 * its row ids.
 */
export async function parseStaged(
  project: Project,
  roles: ColumnRoles,
  staged: { cells?: string[]; ordered?: OrderedRows },
  onRowsRead?: (read: RowsRead) => void,
): Promise<void> {
  const { cells, ordered } = staged;
  const items = parsedItems(roles, ordered?.typed?.columns);
  if (cells) items.push(CELLS);
  if (ordered) {
    // A typed file is parsed from its own columns: its text (RAW) would only be parsed back.
    const from = ordered.typed?.source ?? RAW;
    await readingStaged(
      ordered,
      whileReporting(project, onRowsRead, () =>
        copyInOrder(project, PARSED_ROWS, `SELECT ${items.join(', ')} FROM ${from}`),
      ),
    );
    await project.run(
      `CREATE TEMP VIEW ${PARSED} AS SELECT rowid + ${ordered.firstLine} AS __line, * FROM ${PARSED_ROWS}`,
    );
  } else
    await project.run(
      `CREATE TEMP ${cells ? 'VIEW' : 'TABLE'} ${PARSED} AS SELECT ${['__line', ...items].join(', ')} FROM ${STAGE}`,
    );
}
