import { categoricalFeatures, type ColumnRoles } from '../data/roles.js';
import { CELLS } from '../store/column-stats.js';
import type { Project } from '../store/project.js';
import { ident, isMissingSql, labelSql, parsedNumberSql } from '../store/sql.js';
import { RAW, readingStaged, STAGE, type OrderedRows } from './stage.js';

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

/** The bag of a multi-hot cell: `|`-separated tokens, trimmed, blanks dropped; a missing cell is empty. */
export function tokensSql(column: string): string {
  const cell = ident(column);
  return `(CASE WHEN ${isMissingSql(cell)} THEN []::VARCHAR[] ELSE list_filter(list_transform(string_split(${cell}, '|'), t -> trim(t)), t -> t <> '') END)`;
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
  const items: string[] = [];
  for (const name of labelColumns(roles)) items.push(`${labelSql(ident(name))}::UTINYINT AS ${ident(name)}`);
  for (const name of [...roles.dense, ...roles.truth]) items.push(`${parsedNumberSql(ident(name))} AS ${ident(name)}`);
  for (const name of roles.multiHot ?? []) items.push(`${tokensSql(name)} AS ${ident(name)}`);
  const texts = new Set([
    ...categoricalFeatures(roles),
    ...(roles.user ? [roles.user] : []),
    ...(roles.timestamp ? [roles.timestamp] : []),
  ]);
  for (const name of texts) items.push(ident(name));
  if (cells) items.push(CELLS);
  if (ordered) {
    await readingStaged(
      ordered,
      whileReporting(project, onRowsRead, () =>
        copyInOrder(project, PARSED_ROWS, `SELECT ${items.join(', ')} FROM ${RAW}`),
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
