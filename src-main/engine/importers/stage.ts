import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { detectDelimiter, refuseRepeatedNames } from '../data/csv.js';
import { DataError } from '../data/errors.js';
import { describeOpenError, type DataDoor } from '../files.js';
import { suggestRoles } from '../data/roles.js';
import { CELLS } from '../store/column-stats.js';
import { firstLine, type Project } from '../store/project.js';
import { ident, literal } from '../store/sql.js';

/**
 * Every format is first copied, as text, into one connection-local table: `STAGE` has a `__line` column
 * (where the row came from, for messages) and one VARCHAR column per source column, multi-hot bags written
 * as tokens joined by `|`. Validation, encoding and profiling then need only one code path, and run in DuckDB
 * without the rows passing through JavaScript. Text, not typed columns, so that ids and vocabularies are the
 * same strings the CSV loader sees and an encoding made by one path encodes files in the other.
 */
export const RAW = 'esmc_raw';
export const STAGE = 'esmc_stage';
/** A wide file's rows as one list of cells each (RAW is then a view over it): see `stageDelimited`. */
const RAW_CELLS = 'esmc_raw_cells';
/** A text file with more columns than this is staged as RAW_CELLS. */
const WIDE_COLUMNS = 500;

export interface StagedFile {
  /** The source's column names, in file order (without __line). */
  columns: string[];
  /** Columns that held lists (Parquet / JSON arrays): multi-hot bags, whatever the sample shows. */
  listColumns: string[];
  /** What `__line` counts in messages. */
  rowsAre: 'lines' | 'rows';
  /** Whether the text file had a header line; false for Parquet and JSON. */
  header: boolean;
  /**
   * A wide text file's columns, in the order of STAGE's list column CELLS (see `stageDelimited`): the checks that
   * read every cell read the list. Absent for other files.
   */
  cells?: string[];
  /** Set when the file is not copied: STAGE then numbers the rows as it reads them (see `OrderedRows`). */
  ordered?: OrderedRows;
}

/**
 * A file staged without a copy: RAW is a view that reads it, and STAGE numbers RAW's rows one by one as it reads
 * them. The rows are then copied once, already parsed (importers/parsed.ts), reading RAW in parallel in file order
 * and numbering them by their place in the copy; what reads STAGE itself reads its first rows (`firstStagedRows`).
 * Copying the text first took as long as reading the file and parsing it together.
 */
export interface OrderedRows {
  /** The line (or row) number of RAW's first row. */
  firstLine: number;
  /** The file's size: a large file's parsed copy is written as Parquet (parsed.ts, COPY_AS_PARQUET_SHARE). */
  bytes: number;
  /** The error reading the file gives, said the way staging would have said it (line, what is wrong). */
  readError: (error: unknown) => unknown;
  /** A Parquet or JSON file's own reader and typed columns, which RAW reads as text (`textOf`). */
  typed?: {
    source: string;
    columns: TypedColumn[];
    /**
     * The reader again, with each row's place in the file as `file_row_number` (Parquet): the file can then be
     * read where it is, each time only the columns a statement needs, instead of copied.
     */
    numbered?: string;
  };
}

/** Whether a column is named as the row numbers DuckDB's Parquet reader adds (`file_row_number`), which would clash. */
export const namesFileRowNumber = (names: string[]) => names.some((name) => name.toLowerCase() === 'file_row_number');

/** A column of a Parquet or JSON file, with DuckDB's name for its type. */
export interface TypedColumn {
  name: string;
  type: string;
}

/**
 * `read`, a statement that reads a file staged without a copy (the file is read there, past its first row), with
 * the file's errors said as staging says them; any other statement's errors are left as they are.
 */
export async function readingStaged<T>(ordered: OrderedRows | undefined, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw ordered ? await ordered.readError(error) : error;
  }
}

/**
 * STAGE's rows up to `lastLine` (at most that many rows), in order: a staged file numbered as it is read is read
 * only that far (OrderedRows); a copied one is filtered.
 */
export function firstStagedRows(ordered: OrderedRows | undefined, lastLine: number): string {
  return ordered
    ? `(SELECT * FROM ${STAGE} LIMIT ${Math.max(0, lastLine - ordered.firstLine + 1)})`
    : `(SELECT * FROM ${STAGE} WHERE __line <= ${lastLine})`;
}

/** Drops STAGE and what it reads (RAW, a wide file's cells), to stage the file again another way. */
export async function dropStaged(project: Project): Promise<void> {
  await project.run(`DROP VIEW IF EXISTS ${STAGE}`);
  const views = await project.all(`SELECT view_name FROM duckdb_views() WHERE temporary AND view_name = '${RAW}'`);
  await project.run(`DROP ${views.length > 0 ? 'VIEW' : 'TABLE'} IF EXISTS ${RAW}`);
  await project.run(`DROP TABLE IF EXISTS ${RAW_CELLS}`);
}

/** Turns a missing or unreadable path, or a directory, into the same errors the CSV loader gives; returns the size. */
export async function checkReadable(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory())
      throw new DataError(file, 0, undefined, `expected a file, got a directory: ${resolve(file)}`);
    return info.size;
  } catch (error) {
    throw describeOpenError(file, error);
  }
}

/** DuckDB reads every kind of data file; what it cannot read (an image, a workbook, an empty file) is named. */
export const IMPORT_DOOR: DataDoor = { accepts: ['text', 'parquet', 'gzip', 'zstd'], reads: 'a data file' };

async function columnsOf(project: Project, relation: string): Promise<{ name: string; type: string }[]> {
  const rows = await project.all(`DESCRIBE ${relation}`);
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/**
 * Stages RAW as STAGE, numbering rows in file order (a table keeps insertion order, so rowid is it). A wide file's
 * rows are numbered in RAW_CELLS, whose lists `cells` selects from.
 */
async function finishStaging(
  project: Project,
  file: string,
  header: boolean,
  options: { cells?: string; ordered?: boolean; rowSeen?: boolean } = {},
): Promise<string[]> {
  const { cells } = options;
  const firstRow = header ? 2 : 1;
  const numbered = cells === undefined ? RAW : RAW_CELLS;
  await project.run(
    `CREATE TEMP VIEW ${STAGE} AS
     SELECT ${options.ordered ? `row_number() OVER () + ${firstRow - 1}` : `rowid + ${firstRow}`} AS __line,
            ${cells === undefined ? '*' : `${cells}, cells AS ${CELLS}`} FROM ${numbered}`,
  );
  const columns = (await columnsOf(project, RAW)).map((c) => c.name);
  // Reading one row of a text file costs DuckDB a first buffer of it (0.1 s), unless the file's head showed one.
  const count = options.rowSeen
    ? undefined
    : await project.one(`SELECT count(*)::DOUBLE AS n FROM (SELECT 1 FROM ${numbered} LIMIT 1)`);
  if (count && Number(count.n) === 0)
    throw new DataError(
      file,
      firstRow,
      undefined,
      header ? 'the file has a header but no data rows' : 'the file has no data rows',
    );
  return columns;
}

/**
 * DuckDB's CSV errors carry the line; say it the way the CSV loader does. With the delimiter, a row longer than
 * the header is counted whole (DuckDB stops counting one cell past the header's).
 */
export function csvError(file: string, error: unknown, delimiter?: string): unknown {
  const message = String((error as Error).message ?? '');
  const line = /CSV Error on Line: (\d+)/.exec(message);
  if (!line) return error;
  const lines = message.split('\n').map((l) => l.trim());
  const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  let problem: string;
  if (columns) {
    const original = /Original Line: (.*)/.exec(message)?.[1];
    const found =
      delimiter && original !== undefined && Number(columns[2]) > Number(columns[1])
        ? headerNames(original, delimiter).length
        : Number(columns[2]);
    problem = `expected ${columns[1]} cells as in the header, got ${found} (ragged row)`;
  } else if (/unterminated quote/.test(message))
    problem = 'unterminated quote: the quoted cell opened here never closes';
  else if (/Invalid unicode/.test(message))
    problem = 'the file is not UTF-8 (invalid byte sequence on this line); save it as UTF-8';
  else problem = lines.find((l, i) => i > 0 && l !== '' && !l.startsWith('Original Line')) ?? lines[0];
  return new DataError(file, Number(line[1]), undefined, problem);
}

/**
 * The file's first line (read up to its end, however wide the header) and what was read with it: the first 64 KB
 * or more, without a BOM.
 */
export async function fileHead(file: string): Promise<{ firstLine: string; head: string }> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let read = 0; read < MAX_HEADER_BYTES;) {
      const buffer = Buffer.alloc(1 << 16);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, read);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      chunks.push(chunk);
      read += bytesRead;
      if (chunk.includes(0x0a)) break;
    }
    const head = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return { firstLine: head.split(/\r?\n/)[0] ?? '', head };
  } finally {
    await handle.close();
  }
}

/** A header line longer than this is not looked for further (a file without line breaks). */
const MAX_HEADER_BYTES = 16 << 20;
/**
 * Cells the CSV sniffer reads: DuckDB's 20,480 rows for a file of up to about a hundred columns, fewer rows (100 at
 * least) for a wider one, whose sniffing would otherwise take longer than reading it.
 */
const SNIFF_SAMPLE_CELLS = 2_000_000;
const sniffSampleRows = (width: number) =>
  Math.min(20_480, Math.max(100, Math.floor(SNIFF_SAMPLE_CELLS / Math.max(width, 1))));

/** Splits a header line on the delimiter, honouring quotes; header names are rarely more than that. */
function headerNames(line: string, delimiter: string): string[] {
  const names: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === '"') {
      if (quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = !quoted;
    } else if (char === delimiter && !quoted) {
      names.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  names.push(cell.trim());
  return names;
}

export interface DelimitedOptions {
  /** Column names of a header-less file; the sniffer's guess when undefined. */
  columns?: string[];
  delimiter?: string;
  /** Stage without a copy (OrderedRows), unless the file is wide or compressed; default false. */
  ordered?: boolean;
}

/**
 * Stages a CSV/TSV file. DuckDB's sniffer finds the delimiter, quoting and header; when it cannot (a ragged
 * row makes every dialect look inconsistent, so it settles on one column), the header line's delimiter is used
 * with sniffing off, and DuckDB then names the offending line.
 */
export async function stageDelimited(
  project: Project,
  file: string,
  options: DelimitedOptions = {},
): Promise<StagedFile> {
  await checkReadable(file);
  const path = literal(file);
  let source: string;
  let header: boolean;
  /** For counting a ragged row's cells; DuckDB's own reading, on the file's delimiter. */
  let delimiter: string;
  /** The columns' names, where known before reading (a header line, or given). */
  let names: string[] | undefined;
  let rowSeen = false;
  if (options.columns) {
    delimiter = options.delimiter ?? ',';
    header = false;
    names = options.columns;
    source = explicitColumns(path, header, delimiter, names);
  } else {
    const { firstLine: headerLine, head } = await fileHead(file);
    delimiter = detectDelimiter(headerLine);
    const width = headerNames(headerLine, delimiter).length;
    const sample = `sample_size = ${sniffSampleRows(width)}`;
    const named = suggestRoles(headerNames(headerLine, delimiter), []);
    const unquoted = !/\.(gz|zst)$/i.test(file) && !head.includes('"');
    // A first line naming a label is a header, found by the delimiter read from it; a file then read as RFC 4180
    // text below needs nothing the sniffer would settle: a wide one (its look at thousands of columns costs seconds
    // per thousand), or one without a quote in its first 64 KB (the sniffer reads 20,480 rows, 0.2 s at any size).
    const sniffed =
      (named.click || named.purchase) && (width > WIDE_COLUMNS || unquoted)
        ? undefined
        : await project
            .one(
              `SELECT len(Columns)::INTEGER AS width, HasHeader AS header, Quote AS quote,
                list_transform(Columns, c -> c.name) AS names FROM sniff_csv(${path}, ${sample})`,
            )
            .catch(() => undefined);
    if (sniffed && (Number(sniffed.width) > 1 || width === 1)) {
      // The sniffer decides on a header by types; with numeric column names (Ali-CCP's "101", "205", …) and
      // 0/1 labels it can miss one. A first line naming a label is a header.
      header = Boolean(sniffed.header) || Boolean(named.click || named.purchase);
      names = header ? headerNames(headerLine, delimiter) : (sniffed.names as unknown[]).map(String);
      source = `read_csv(${path}, all_varchar = true, header = ${header}, ${sample})`;
      // An unbalanced quote makes the sniffer turn quoting off, and '"713' would become a value; the file is read
      // with RFC 4180 quoting instead, as `train --data` reads it, and the unclosed quote is an error there.
      // (A compressed file's first line is not text here: the sniffer's reading stands for it.)
      if (sniffed.quote !== '"' && !/\.(gz|zst)$/i.test(file)) source = explicitColumns(path, header, delimiter, names);
    } else {
      header = true;
      names = headerNames(headerLine, delimiter);
      source = explicitColumns(path, header, delimiter, names);
    }
    // A line with a cell after an unquoted header is a data row: DuckDB need not read the file to say it has one.
    rowSeen =
      header &&
      unquoted &&
      head
        .split(/\r?\n/)
        .slice(1)
        .some((line) => line.trim() !== '');
    if (header)
      refuseRepeatedNames(
        file,
        1,
        headerNames(headerLine, delimiter).map((name) => name.trim()),
      );
  }
  // DuckDB stores thousands of text columns slowly (a minute for 10,000 × 10,000 cells, against 15 s as one list
  // per row): a wide text file is staged as lists, RAW and STAGE selecting its columns from them.
  // The columns the header names as labels are also kept on their own: the checks that read only the labels
  // then do not read every cell of every row.
  const wide = names.length > WIDE_COLUMNS && !/\.(gz|zst)$/i.test(file);
  const guessed = wide ? suggestRoles(names, []) : undefined;
  const labels = new Set(
    [guessed?.click, guessed?.purchase, ...(guessed?.action ?? [])].filter((name) => name !== undefined && name !== ''),
  );
  const cells = wide
    ? names.map((name, i) => `${labels.has(name) ? `label_${i + 1}` : `cells[${i + 1}]`} AS ${ident(name)}`).join(', ')
    : undefined;
  // A compressed file is read by one thread whatever the reader: copying it first costs nothing more.
  const ordered = options.ordered === true && !wide && !/\.(gz|zst)$/i.test(file);
  try {
    if (wide) {
      source = explicitColumns(path, header, delimiter, names);
      const ownColumns = names.flatMap((name, i) => (labels.has(name) ? [`${ident(name)} AS label_${i + 1}`] : []));
      await project.run(
        `CREATE TEMP TABLE ${RAW_CELLS} AS
         SELECT ${[...ownColumns, `[${names.map(ident).join(', ')}] AS cells`].join(', ')} FROM ${source}`,
      );
      await project.run(`CREATE TEMP VIEW ${RAW} AS SELECT ${cells} FROM ${RAW_CELLS}`);
    } else await project.run(`CREATE TEMP ${ordered ? 'VIEW' : 'TABLE'} ${RAW} AS SELECT * FROM ${source}`);
    const columns = await finishStaging(project, file, header, { cells, ordered, rowSeen });
    return {
      columns,
      listColumns: [],
      rowsAre: 'lines',
      header,
      ...(wide && { cells: names }),
      ...(ordered && {
        ordered: {
          firstLine: header ? 2 : 1,
          bytes: (await stat(file)).size,
          readError: (error: unknown) => csvError(file, error, delimiter),
        },
      }),
    };
  } catch (error) {
    throw csvError(file, error, delimiter);
  }
}

/** A CSV read as RFC 4180 text with the columns named, every cell VARCHAR, and no sniffing. */
function explicitColumns(path: string, header: boolean, delimiter: string, names: string[]): string {
  const columns = names.map((name) => `${literal(name)}: 'VARCHAR'`).join(', ');
  return `read_csv(${path}, auto_detect = false, header = ${header}, delim = ${literal(delimiter)}, quote = '"', escape = '"', columns = {${columns}})`;
}

/** Parquet and JSON columns arrive typed: lists become `|`-joined bags, booleans 0/1, everything else text. */
export function textOf(column: TypedColumn): string {
  const name = ident(column.name);
  if (column.type.endsWith('[]')) return `array_to_string(${name}, '|')`;
  if (column.type === 'BOOLEAN') return `CAST(${name}::INTEGER AS VARCHAR)`;
  return `CAST(${name} AS VARCHAR)`;
}

const asText = (column: TypedColumn) => `${textOf(column)} AS ${ident(column.name)}`;

export async function stageTyped(
  project: Project,
  file: string,
  format: 'parquet' | 'jsonl',
  options: { ordered?: boolean } = {},
): Promise<StagedFile> {
  await checkReadable(file);
  const source =
    format === 'parquet'
      ? `read_parquet(${literal(file)})`
      : `read_json(${literal(file)}, format = 'newline_delimited', records = true)`;
  const ordered = options.ordered === true;
  const readError = (error: unknown) =>
    format === 'jsonl' ? jsonLinesError(file, error) : typedError(file, format, error);
  try {
    const typed = await columnsOf(project, `SELECT * FROM ${source}`);
    await project.run(
      `CREATE TEMP ${ordered ? 'VIEW' : 'TABLE'} ${RAW} AS SELECT ${typed.map(asText).join(', ')} FROM ${source}`,
    );
    const columns = await finishStaging(project, file, false, { ordered });
    const listColumns = typed.filter((c) => c.type.endsWith('[]')).map((c) => c.name);
    return {
      columns,
      listColumns,
      rowsAre: format === 'jsonl' ? 'lines' : 'rows',
      header: false,
      ...(ordered && {
        ordered: {
          firstLine: 1,
          bytes: (await stat(file)).size,
          readError,
          typed: {
            source,
            columns: typed,
            ...(format === 'parquet' &&
              !namesFileRowNumber(typed.map((column) => column.name)) && {
                numbered: `read_parquet(${literal(file)}, file_row_number = true)`,
              }),
          },
        },
      }),
    };
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw await readError(error);
  }
}

/**
 * DuckDB names the line where its JSON parser gave up, which for an object left open is the next one; the first
 * line that is not JSON on its own is found by reading the lines up to there, and named with what is wrong.
 */
async function jsonLinesError(file: string, error: unknown): Promise<unknown> {
  const reported = Number(/in line (\d+)/.exec(firstLine(error))?.[1]);
  if (!Number.isInteger(reported)) return typedError(file, 'jsonl', error);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (line > reported) break;
      if (text.trim() === '') continue;
      try {
        JSON.parse(text);
      } catch (parse) {
        return new DataError(file, line, undefined, `not a JSON object on one line: ${firstLine(parse)}`);
      }
    }
  } finally {
    lines.close();
  }
  return new DataError(file, reported, undefined, `not valid JSON: ${firstLine(error).replace(/^.*?: /, '')}`);
}

function typedError(file: string, format: 'parquet' | 'jsonl', error: unknown): unknown {
  const message = firstLine(error);
  const record = /record\/value (\d+)/.exec(message);
  if (record) return new DataError(file, Number(record[1]), undefined, `not valid JSON on this line (${message})`);
  if (/No magic bytes found at end of file/i.test(message))
    return new DataError(
      file,
      0,
      undefined,
      'the Parquet file is cut short (its footer is missing); copy it again whole',
    );
  if (/magic bytes|to be a Parquet file/i.test(message))
    return new DataError(file, 0, undefined, `not a Parquet file (${message})`);
  if (format === 'jsonl' && /JSON|json/.test(message))
    return new DataError(file, 0, undefined, `cannot read as JSON lines: ${message}`);
  return new DataError(file, 0, undefined, message);
}
