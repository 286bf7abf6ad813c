import { createReadStream } from 'node:fs';
import { checkDataFile, describeOpenError, type DataDoor } from '../files.js';
import { DataError } from './errors.js';

export type CsvDelimiter = ',' | '\t' | ';' | '|';

/** One record; `line` is the file line it starts on (a quoted cell may span several). */
export interface CsvRow {
  cells: string[];
  line: number;
}

export interface CsvTable {
  file: string;
  delimiter: CsvDelimiter;
  /** Column names, trimmed. */
  header: string[];
  headerLine: number;
  /** The data rows, each with as many cells as the header. Iterate to the end, or call `rows.return()`, to close the file. */
  rows: AsyncGenerator<CsvRow, void, undefined>;
}

const DELIMITERS: CsvDelimiter[] = [',', '\t', ';', '|'];
/** Only a project's importer reads Parquet and compressed files (DuckDB does). */
const CSV_DOOR: DataDoor = {
  accepts: ['text'],
  reads: 'CSV/TSV text',
  otherwise: 'import it into a project (esmc-lab import), which reads it, and use --project',
};
const JSON_ENDINGS = /\.(jsonl|ndjson|json)$/i;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Opens a CSV/TSV file (RFC 4180 quoting, LF or CRLF line ends, delimiter guessed from the header line) and
 * reads its header and first row, so an empty or header-only file fails here rather than halfway through a load.
 */
export async function openCsv(file: string): Promise<CsvTable> {
  await checkDataFile(file, CSV_DOOR);
  const tokenizer = new CsvTokenizer(file);
  const records = readRecords(file, tokenizer);
  try {
    const header = await records.next();
    if (header.done)
      throw new DataError(file, 1, undefined, 'the file is empty; expected a header line with column names');
    // A JSON object per line reads as text, and would become a "CSV" of one column named {"click":1 …
    if (/^\s*[{[]/.test(header.value.cells[0] ?? '') || JSON_ENDINGS.test(file))
      throw new DataError(file, 0, undefined, `is JSON lines, not ${CSV_DOOR.reads}; ${CSV_DOOR.otherwise}`);
    const first = await records.next();
    if (first.done)
      throw new DataError(file, header.value.line + 1, undefined, 'the file has a header but no data rows');
    const names = header.value.cells.map((name) => name.trim());
    refuseRepeatedNames(file, header.value.line, names);
    return {
      file,
      delimiter: tokenizer.delimiter,
      header: names,
      headerLine: header.value.line,
      rows: rowsMatchingHeader(file, names.length, first.value, records),
    };
  } catch (error) {
    await records.return();
    throw error;
  }
}

async function* rowsMatchingHeader(
  file: string,
  width: number,
  first: CsvRow,
  records: AsyncGenerator<CsvRow, void, undefined>,
): AsyncGenerator<CsvRow, void, undefined> {
  const checked = (row: CsvRow) => {
    const got = row.cells.length;
    if (got !== width) {
      throw new DataError(
        file,
        row.line,
        Math.min(got, width) + 1,
        `expected ${width} cells as in the header, got ${got}`,
      );
    }
    return row;
  };
  try {
    yield checked(first);
    for await (const row of records) yield checked(row);
  } finally {
    await records.return();
  }
}

async function* readRecords(file: string, tokenizer: CsvTokenizer): AsyncGenerator<CsvRow, void, undefined> {
  for await (const text of decodedChunks(file)) {
    // The lenient decoder turns each invalid byte sequence into U+FFFD; finding one lets us say where it is,
    // which a fatal decoder's exception cannot.
    const invalid = text.indexOf('\uFFFD');
    if (invalid !== -1) {
      tokenizer.push(text.slice(0, invalid));
      const { line, column } = tokenizer.position();
      throw new DataError(file, line, column, 'the file is not UTF-8 (invalid byte sequence here); save it as UTF-8');
    }
    yield* tokenizer.push(text);
  }
  yield* tokenizer.end();
}

async function* decodedChunks(file: string): AsyncGenerator<string, void, undefined> {
  // TextDecoder drops a leading byte-order mark by default (ignoreBOM: false).
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const bytes of createReadStream(file)) yield decoder.decode(bytes as Buffer, { stream: true });
  } catch (error) {
    throw describeOpenError(file, error);
  }
  yield decoder.decode();
}

/** Picks the candidate that occurs most often outside quotes; ties go to the earlier one in DELIMITERS. */
/**
 * A header that names a column twice is refused, by every door: a reader that renamed the second "click" to
 * "click_1" would make it a feature that copies the label.
 */
export function refuseRepeatedNames(file: string, line: number, names: string[]): void {
  names.forEach((name, index) => {
    const earlier = names.indexOf(name);
    if (earlier < index)
      throw new DataError(file, line, index + 1, `column name "${name}" repeats column ${earlier + 1}`);
  });
}

export function detectDelimiter(headerLine: string): CsvDelimiter {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best: CsvDelimiter = ',';
  for (const candidate of DELIMITERS) {
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  }
  return best;
}

/** The first non-blank line of `text`, or undefined while that line has not ended yet. */
function firstLineOf(text: string): string | undefined {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) quoted = !quoted;
    else if (!quoted && (code === CR || code === LF)) {
      if (i > start) return text.slice(start, i);
      start = i + 1;
    }
  }
  return undefined;
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/**
 * An incremental RFC 4180 state machine: text arrives in arbitrary chunks (a quote, a CRLF or a cell may be
 * cut anywhere), and only the unfinished row is kept between chunks.
 */
class CsvTokenizer {
  delimiter: CsvDelimiter = ',';
  /** Text held back until the header line is complete and the delimiter can be guessed from it; then undefined. */
  private pendingHeader: string | undefined = '';
  private delimiterCode = 0;
  private cells: string[] = [];
  private cell = '';
  private cellStarted = false;
  private rowStarted = false;
  private inQuotes = false;
  private afterClosingQuote = false;
  /** A chunk ended on CR; a LF opening the next chunk completes that line end. */
  private skipLeadingLF = false;
  private line = 1;
  private rowLine = 1;
  private quoteLine = 1;

  constructor(private readonly file: string) {}

  push(text: string): CsvRow[] {
    if (this.pendingHeader === undefined) return this.scan(text);
    this.pendingHeader += text;
    const headerLine = firstLineOf(this.pendingHeader);
    return headerLine === undefined ? [] : this.settle(headerLine);
  }

  end(): CsvRow[] {
    const rows = this.pendingHeader === undefined ? [] : this.settle(this.pendingHeader);
    if (this.inQuotes) {
      throw new DataError(
        this.file,
        this.quoteLine,
        this.cells.length + 1,
        'unterminated quote: the quoted cell opened here never closes',
      );
    }
    if (this.rowStarted) rows.push(this.endRow());
    return rows;
  }

  /** Where the next character would go; for errors found outside the tokenizer. */
  position(): { line: number; column: number } {
    if (this.pendingHeader !== undefined) this.settle(this.pendingHeader);
    return { line: this.line, column: this.cells.length + 1 };
  }

  private settle(headerLine: string): CsvRow[] {
    const text = this.pendingHeader ?? '';
    this.pendingHeader = undefined;
    this.delimiter = detectDelimiter(headerLine);
    this.delimiterCode = this.delimiter.charCodeAt(0);
    return this.scan(text);
  }

  private scan(text: string): CsvRow[] {
    const rows: CsvRow[] = [];
    const n = text.length;
    let i = 0;
    if (this.skipLeadingLF && n > 0) {
      this.skipLeadingLF = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      if (this.inQuotes) {
        const close = text.indexOf('"', i);
        const stop = close === -1 ? n : close;
        this.cell += text.slice(i, stop);
        this.line += countLineFeeds(text, i, stop);
        if (close === -1) break;
        this.inQuotes = false;
        this.afterClosingQuote = true;
        i = close + 1;
        continue;
      }
      const code = text.charCodeAt(i);
      if (this.afterClosingQuote) {
        this.afterClosingQuote = false;
        if (code === QUOTE) {
          this.cell += '"';
          this.inQuotes = true;
          i++;
          continue;
        }
        if (code !== this.delimiterCode && code !== CR && code !== LF) {
          throw new DataError(
            this.file,
            this.line,
            this.cells.length + 1,
            'text after a closing quote; inside a quoted cell write a quote as ""',
          );
        }
      }
      if (code === this.delimiterCode) {
        this.endCell();
        this.rowStarted = true;
        i++;
      } else if (code === CR || code === LF) {
        // A line with nothing on it is not a row: trailing newlines and blank separator lines are skipped.
        if (this.rowStarted) rows.push(this.endRow());
        this.line++;
        i++;
        if (code === CR) {
          if (i === n) this.skipLeadingLF = true;
          else if (text.charCodeAt(i) === LF) i++;
        }
        this.rowLine = this.line;
      } else if (code === QUOTE && !this.cellStarted) {
        this.inQuotes = true;
        this.cellStarted = true;
        this.rowStarted = true;
        this.quoteLine = this.line;
        i++;
      } else {
        let j = i + 1;
        while (j < n) {
          const next = text.charCodeAt(j);
          if (next === this.delimiterCode || next === CR || next === LF) break;
          j++;
        }
        this.cell += text.slice(i, j);
        this.cellStarted = true;
        this.rowStarted = true;
        i = j;
      }
    }
    return rows;
  }

  private endCell(): void {
    this.cells.push(this.cell);
    this.cell = '';
    this.cellStarted = false;
  }

  private endRow(): CsvRow {
    this.endCell();
    const row = { cells: this.cells, line: this.rowLine };
    this.cells = [];
    this.rowStarted = false;
    return row;
  }
}
