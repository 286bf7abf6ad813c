import { categoricalFeatures, type ColumnRoles } from '../data/roles.js';
import { CELLS } from '../store/column-stats.js';
import type { Project } from '../store/project.js';
import { ident, isMissingSql, labelSql, literal, parsedNumberSql } from '../store/sql.js';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { namesFileRowNumber, RAW, readingStaged, STAGE, textOf, type OrderedRows, type TypedColumn } from './stage.js';

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
 * Where the rows are (`parseStaged`): a Parquet file is read where it is; a file staged without a copy is copied
 * once, parsed, to a temp table or (a large one) a Parquet file; a file STAGE copied is parsed into a table, and a
 * wide one, whose thousands of columns DuckDB stores slowly, is parsed where it is read.
 */
export const PARSED = 'esmc_parsed';

/**
 * The bag of a multi-hot cell (`cell`, its text as SQL): `|`-separated tokens, trimmed, blanks dropped; a missing cell is empty. A cell of
 * tokens without blanks or spaces (nearly all) is split as it is: trimming and filtering every token, and testing
 * every cell for a missing spelling, cost two thirds of a file's read.
 */
export function tokensSql(cell: string): string {
  // The missing spellings are at most four characters long: only such cells are tested for them.
  return `(CASE WHEN regexp_full_match(${cell}, '[^|\\s]+(\\|[^|\\s]+)*')
            THEN (CASE WHEN length(${cell}) <= 4 AND ${isMissingSql(cell)} THEN []::VARCHAR[] ELSE string_split(${cell}, '|') END)
          WHEN ${isMissingSql(cell)} THEN []::VARCHAR[]
          ELSE list_filter(list_transform(string_split(${cell}, '|'), t -> trim(t)), t -> t <> '') END)`;
}

/** The label columns, click first and purchase last. */
export const labelColumns = (roles: ColumnRoles) => [roles.click, ...(roles.action ?? []), roles.purchase];

/**
 * Writes `select` to `target` (a temp table, or a Parquet file), refusing a plan that would not keep the rows'
 * order: DuckDB keeps it only when it copies in batches, which some operators (a join, e.g. an IN list) rule out,
 * and the rows' ids are their places in the copy.
 */
export async function copyInOrder(
  project: Project,
  target: { table: string } | { parquet: string },
  select: string,
): Promise<void> {
  // lz4 rather than zstd: the copy lives only while the import runs, and lz4 wrote 10M parsed rows in 17-18 s
  // against 21 s, for a file about 1.5 times as large.
  const [sql, batched] =
    'table' in target
      ? [`CREATE TEMP TABLE ${target.table} AS ${select}`, 'BATCH_CREATE_TABLE_AS']
      : [`COPY (${select}) TO ${literal(target.parquet)} (FORMAT parquet, COMPRESSION lz4)`, 'BATCH_COPY_TO_FILE'];
  const plan = (await project.all(`EXPLAIN ${sql}`)).map((row) => String(row.explain_value)).join('\n');
  if (!plan.includes(batched))
    throw new Error(
      `internal: this copy would not keep the file's order of rows, so their lines: ${select.slice(0, 200)}`,
    );
  await project.run(sql);
}

/**
 * How far the read of a file is: DuckDB's share of it read (counted in buffers of the file's bytes for a text file,
 * not in rows), the file's size, and the seconds since the read started.
 */
export interface FileRead {
  share: number;
  bytes: number;
  seconds: number;
}

/** Who hears how far the read of the file is, and how often (default every 500 ms). */
export interface ReadReporting {
  onRead: (read: FileRead) => void;
  everyMs?: number;
}

/** Runs `work`, the read of a file of `bytes`, reporting DuckDB's progress of the statement it runs while it runs. */
async function whileReporting<T>(
  project: Project,
  bytes: number,
  reporting: ReadReporting | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!reporting) return work();
  // DuckDB counts a statement's progress only with its progress bar on; nothing is printed.
  await project.run('SET enable_progress_bar_print = false');
  await project.run('SET enable_progress_bar = true');
  const started = Date.now();
  let reported = 0;
  const timer = setInterval(() => {
    // Only a share that grew is said: DuckDB's estimate is -1 before it has one, and the bar should not step back.
    const share = Math.min(project.connection.progress.percentage / 100, 1);
    if (share <= reported) return;
    reported = share;
    reporting.onRead({ share, bytes, seconds: (Date.now() - started) / 1000 });
  }, reporting.everyMs ?? 500);
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
  for (const name of textColumns(roles)) items.push(`${textOfCell(name)} AS ${ident(name)}`);
  for (const [name, twin] of integerTwins(roles, typed)) items.push(`${ident(name)} AS ${ident(twin)}`);
  return items;
}

/**
 * The categorical and user columns a typed file holds as integers, each with the name of its twin in PARSED: the
 * integer itself, beside the column's text. Values are counted and looked up by the integer, whose text is one
 * decimal spelling (textOf), and casting every cell to text cost as much as the counting (10M rows, six columns:
 * 1.6 s counted by text, 0.6 s by value).
 */
export function integerTwins(roles: ColumnRoles, typed?: TypedColumn[]): Map<string, string> {
  const twinned = new Set([...categoricalFeatures(roles), ...(roles.user ? [roles.user] : [])]);
  return new Map(
    (typed ?? [])
      // HUGEINT holds every other integer exactly: the vocabulary's integers are read as one.
      .filter((column) => twinned.has(column.name) && INTEGER_TYPE.test(column.type) && column.type !== 'UHUGEINT')
      .map((column) => [column.name, `__integer.${column.name}`]),
  );
}

/** The columns PARSED keeps as text: the categorical, user and timestamp ones. */
const textColumns = (roles: ColumnRoles) =>
  new Set([
    ...categoricalFeatures(roles),
    ...(roles.user ? [roles.user] : []),
    ...(roles.timestamp ? [roles.timestamp] : []),
  ]);

/** PARSED's columns, named as in the file. */
const parsedColumns = (roles: ColumnRoles) => [
  ...labelColumns(roles),
  ...roles.dense,
  ...roles.truth,
  ...(roles.multiHot ?? []),
  ...textColumns(roles),
];

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

/** The copy PARSED numbers, when the file was staged without one (OrderedRows) and is small (COPY_AS_PARQUET_SHARE). */
const PARSED_ROWS = 'esmc_parsed_rows';

/**
 * A file larger than this share of DuckDB's memory limit is copied (parsed) to a Parquet file in DuckDB's temp
 * folder rather than to a temp table: a temp table is kept uncompressed, and 10M rows of a 1.75 GB CSV spilled
 * past a 1 GB limit and took 46 s to write, against 21 s for the Parquet file (and 0.5 GB of RSS against 1.8).
 * Below it, a temp table is read faster by the checks, the encoding and the profile.
 */
export const COPY_AS_PARQUET_SHARE = 0.25;

/** The Parquet copies this connection's imports made, removed with the import's tables (`removeParsedCopies`). */
const parquetCopies = new WeakMap<Project, string[]>();

/** Where a large file's parsed copy is written: DuckDB's temp folder (beside the project), else the system's. */
async function parquetCopyPath(project: Project): Promise<string> {
  const configured = String((await project.one(`SELECT current_setting('temp_directory') AS dir`))?.dir ?? '');
  const dir = configured === '' ? tmpdir() : configured;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `esmc_parsed_${process.pid}_${randomUUID()}.parquet`);
  parquetCopies.set(project, [...(parquetCopies.get(project) ?? []), path]);
  return path;
}

/** Removes the Parquet copies an import made (after PARSED, the view that reads them, is dropped). */
export async function removeParsedCopies(project: Project): Promise<void> {
  for (const path of parquetCopies.get(project) ?? []) await rm(path, { force: true });
  parquetCopies.delete(project);
}

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** The byte size past which a file's copy is written as Parquet, for DuckDB's memory limit now ('953.6 MiB'). */
async function parquetCopyBytes(project: Project): Promise<number> {
  const limit = String((await project.one(`SELECT current_setting('memory_limit') AS limit`))!.limit);
  const [, amount, unit] = /^([\d.]+)\s*([a-z]+)$/i.exec(limit.trim()) ?? [];
  const bytes = Number(amount) * (UNIT_BYTES[unit?.toLowerCase().replace(/^bytes?$/, 'b')] ?? NaN);
  return Number.isFinite(bytes) ? bytes * COPY_AS_PARQUET_SHARE : Infinity;
}

/**
 * Writes PARSED for these roles (checkRoles has passed); `cells`: the staged file is wide; `ordered`: it was staged
 * without a copy, and the copy made here reads RAW or the typed file (in parallel, in file order) and is numbered
 * by its places in the copy, or, a Parquet file, is not made.
 */
export async function parseStaged(
  project: Project,
  roles: ColumnRoles,
  staged: { cells?: string[]; ordered?: OrderedRows },
  reporting?: ReadReporting,
): Promise<void> {
  const { cells, ordered } = staged;
  const items = parsedItems(roles, ordered?.typed?.columns);
  if (cells) items.push(CELLS);
  if (ordered?.typed?.numbered) {
    // Parsing a Parquet file's typed columns costs little, and a copy of its rows more than reading the file
    // again: each statement reads (and parses) the columns it needs.
    await project.run(
      `CREATE TEMP VIEW ${PARSED} AS
       SELECT file_row_number + ${ordered.firstLine} AS __line, ${items.join(', ')} FROM ${ordered.typed.numbered}`,
    );
  } else if (ordered) {
    // A typed file is parsed from its own columns: its text (RAW) would only be parsed back.
    const select = `SELECT ${items.join(', ')} FROM ${ordered.typed?.source ?? RAW}`;
    const asParquet = ordered.bytes > (await parquetCopyBytes(project)) && !namesFileRowNumber(parsedColumns(roles));
    const parquet = asParquet ? await parquetCopyPath(project) : undefined;
    await readingStaged(
      ordered,
      whileReporting(project, ordered.bytes, reporting, () =>
        copyInOrder(project, parquet ? { parquet } : { table: PARSED_ROWS }, select),
      ),
    );
    await project.run(
      parquet
        ? `CREATE TEMP VIEW ${PARSED} AS SELECT file_row_number + ${ordered.firstLine} AS __line, * EXCLUDE (file_row_number)
           FROM read_parquet(${literal(parquet)}, file_row_number = true)`
        : `CREATE TEMP VIEW ${PARSED} AS SELECT rowid + ${ordered.firstLine} AS __line, * FROM ${PARSED_ROWS}`,
    );
  } else
    await project.run(
      `CREATE TEMP ${cells ? 'VIEW' : 'TABLE'} ${PARSED} AS SELECT ${['__line', ...items].join(', ')} FROM ${STAGE}`,
    );
}
