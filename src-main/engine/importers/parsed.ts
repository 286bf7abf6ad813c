import { categoricalFeatures, type ColumnRoles } from '../data/roles.js';
import { CELLS } from '../store/column-stats.js';
import type { Project } from '../store/project.js';
import { ident, isMissingSql, labelSql, parsedNumberSql } from '../store/sql.js';
import { STAGE } from './stage.js';

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

/** Writes PARSED from STAGE for these roles (checkRoles has passed); `cells`: the staged file is wide. */
export async function parseStaged(project: Project, roles: ColumnRoles, cells?: string[]): Promise<void> {
  const items = ['__line'];
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
  await project.run(`DROP VIEW IF EXISTS ${PARSED}`);
  await project.run(`DROP TABLE IF EXISTS ${PARSED}`);
  await project.run(`CREATE TEMP ${cells ? 'VIEW' : 'TABLE'} ${PARSED} AS SELECT ${items.join(', ')} FROM ${STAGE}`);
}
