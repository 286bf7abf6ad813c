import { randomBytes } from 'node:crypto';
import { open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { DataError } from './data/errors.js';

/**
 * Writes through `fill` into `<path>.partial-<pid>-<random>` and renames it into place once complete and synced,
 * so the user's path only ever holds a whole file; a failure or an abort removes the partial file and rethrows.
 * The random part keeps two writes to one path in one process (two jobs) from sharing a partial file.
 */
export async function writeAtomically<T>(path: string, fill: (file: FileHandle) => Promise<T>): Promise<T> {
  const partial = await partialPathFor(path);
  const file = await open(partial, 'w').catch((error: unknown) => {
    throw describeWriteError(path, error);
  });
  try {
    const result = await fill(file);
    await file.sync();
    await file.close();
    await rename(partial, path);
    return result;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * A new partial file's path for `path` (`<path>.partial-<pid>-<random>`). The partial files in its folder that a
 * process no longer running left behind (killed mid-write) are removed first: nothing would ever finish them.
 */
export async function partialPathFor(path: string): Promise<string> {
  await removeDeadPartials(dirname(path));
  return `${path}.partial-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Removes the partial files in `folder` whose writing process no longer runs; a missing folder is fine. */
export async function removeDeadPartials(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(PARTIAL_NAME.exec(name)?.[1]);
      if (Number.isInteger(pid) && pid > 0 && !isRunning(pid)) await rm(join(folder, name), { force: true });
    }),
  );
}

const PARTIAL_NAME = /\.partial-(\d+)-[0-9a-f]{12}$/;

/** Whether a process with this id runs (signal 0 only asks); one of another user counts as running. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeTextAtomically(path: string, text: string): Promise<void> {
  return writeAtomically(path, async (file) => {
    await file.writeFile(text);
  });
}

/** What a data file can hold and some door of the engine reads: text (CSV, TSV, JSON lines), Parquet, compressed text. */
export type DataKind = 'text' | 'parquet' | 'gzip' | 'zstd';

/** What a file's first bytes say it is: a kind of data, or what it is instead (`what`, with advice). */
export type FileKind =
  | { kind: DataKind }
  | { kind: 'empty' }
  /** Text, but in the encoding Excel's "Unicode text" writes: data the readers cannot take as it is. */
  | { kind: 'utf16' }
  | { kind: 'other'; what: string; advice?: string };

/** Bytes read from the start: the magic numbers, the first ZIP entry's name and the text check all fit. */
const HEAD_BYTES = 4096;
/** The text check looks at the first KiB, as `file(1)` and editors do. */
const TEXT_BYTES = 1024;
/** A ZIP's central directory (its entries' names) is at its end; an office file's fits in this. */
const ZIP_TAIL_BYTES = 64 * 1024;

const startsWith = (bytes: Buffer, magic: string | number[], at = 0) => {
  const expected = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic);
  return bytes.length >= at + expected.length && bytes.subarray(at, at + expected.length).equals(expected);
};

/** The names of the ZIP entries whose headers lie in `bytes` (local headers at the start, the directory at the end). */
function zipEntryNames(bytes: Buffer): string[] {
  const names: string[] = [];
  for (const [signature, lengthAt, nameAt] of [
    ['PK\x03\x04', 26, 30],
    ['PK\x01\x02', 28, 46],
  ] as const) {
    for (let at = bytes.indexOf(signature, 0, 'latin1'); at !== -1; at = bytes.indexOf(signature, at + 4, 'latin1')) {
      if (at + nameAt > bytes.length) break;
      const length = bytes.readUInt16LE(at + lengthAt);
      names.push(bytes.subarray(at + nameAt, Math.min(bytes.length, at + nameAt + length)).toString('latin1'));
    }
  }
  return names;
}

const SAVE_AS_CSV = 'save the sheet as CSV (UTF-8) and use that file';

/** An office document or another archive, by the entries Office and LibreOffice write (the extension as a fallback). */
function describeZip(file: string, names: string[], head: Buffer): FileKind {
  const extension = extname(file).slice(1).toLowerCase();
  const opendocument = /^mimetypeapplication\/vnd\.oasis\.opendocument\.(\w+)/.exec(
    head.subarray(30, 100).toString('latin1'),
  );
  if (names.some((name) => name.startsWith('xl/')) || ['xlsx', 'xlsm', 'xlsb'].includes(extension))
    return {
      kind: 'other',
      what: `an Excel workbook (${['xlsm', 'xlsb'].includes(extension) ? extension : 'xlsx'})`,
      advice: SAVE_AS_CSV,
    };
  if (opendocument?.[1] === 'spreadsheet' || extension === 'ods')
    return { kind: 'other', what: 'an OpenDocument spreadsheet (ods)', advice: SAVE_AS_CSV };
  if (names.some((name) => name.startsWith('word/')) || extension === 'docx')
    return { kind: 'other', what: 'a Word document (docx)' };
  if (names.some((name) => name.startsWith('ppt/')) || extension === 'pptx')
    return { kind: 'other', what: 'a PowerPoint presentation (pptx)' };
  if (opendocument) return { kind: 'other', what: 'an OpenDocument file' };
  return { kind: 'other', what: 'a ZIP archive', advice: 'unzip it and use the data file inside' };
}

/** UTF-16 text: a byte-order mark, or (without one) a NUL beside nearly every ASCII character. */
function isUtf16(bytes: Buffer): boolean {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  const pairs = Math.floor(bytes.length / 2);
  if (pairs < 2) return false;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    if (bytes[i] === 0) evenNul++;
    if (bytes[i + 1] === 0) oddNul++;
  }
  return Math.max(evenNul, oddNul) > 0.3 * pairs && Math.min(evenNul, oddNul) < 0.05 * pairs;
}

/**
 * Whether the start of a file is binary rather than text: a NUL byte (no text encoding but UTF-16 has them), or
 * bytes that are not UTF-8 and do not look like 8-bit text either. A CSV saved as Latin-1 or Windows-1252 is text
 * in the wrong encoding, not binary: its few accented letters are the only bytes ≥ 0x80 and it has no control
 * characters, and the CSV reader then says on which line and column the first one is.
 */
function isBinary(bytes: Buffer): boolean {
  if (bytes.includes(0)) return true;
  try {
    // `stream` lets a character cut at the end of the sample pass.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return false;
  } catch {
    let controls = 0;
    let high = 0;
    for (const byte of bytes) {
      if (byte >= 0x80) high++;
      else if (byte < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d, 0x1b].includes(byte)) controls++;
    }
    return controls > 0.01 * bytes.length || high > 0.3 * bytes.length;
  }
}

/** What `file` is, from its first bytes (and a ZIP's last): reads at most 68 KiB, changes nothing. */
export async function sniffFile(file: string): Promise<FileKind> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { kind: 'empty' };
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    if (startsWith(head, 'PAR1')) return { kind: 'parquet' };
    if (startsWith(head, [0x1f, 0x8b])) return { kind: 'gzip' };
    if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return { kind: 'zstd' };
    if (startsWith(head, 'DUCK', 8))
      return {
        kind: 'other',
        what: 'a DuckDB database (an ESMC Lab project)',
        advice: 'open it as a project instead',
      };
    if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
      return { kind: 'other', what: 'a PNG image' };
    if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: 'other', what: 'a JPEG image' };
    if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return { kind: 'other', what: 'a GIF image' };
    if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) return { kind: 'other', what: 'a WebP image' };
    if (startsWith(head, '%PDF-')) return { kind: 'other', what: 'a PDF document' };
    if (startsWith(head, 'SQLite format 3\x00')) return { kind: 'other', what: 'an SQLite database' };
    if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
      const extension = extname(file).toLowerCase();
      if (extension === '.xls') return { kind: 'other', what: 'an Excel workbook (xls)', advice: SAVE_AS_CSV };
      return { kind: 'other', what: extension === '.doc' ? 'a Word document (doc)' : 'a Microsoft Office document' };
    }
    if (startsWith(head, 'PK\x03\x04') || startsWith(head, 'PK\x05\x06')) {
      const tail = Buffer.alloc(Math.min(size, ZIP_TAIL_BYTES));
      await handle.read(tail, 0, tail.length, size - tail.length);
      return describeZip(file, [...zipEntryNames(head), ...zipEntryNames(tail)], head);
    }
    const sample = head.subarray(0, TEXT_BYTES);
    if (isUtf16(sample)) return { kind: 'utf16' };
    if (isBinary(sample)) return { kind: 'other', what: 'a binary file' };
    return { kind: 'text' };
  } finally {
    await handle.close();
  }
}

/** A missing, unreadable or directory path as a DataError; other errors as they are. */
export function describeOpenError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const path = resolve(file);
  if (code === 'ENOENT') return new DataError(file, 0, undefined, `file not found: ${path}`);
  if (code === 'EISDIR') return new DataError(file, 0, undefined, `expected a file, got a directory: ${path}`);
  if (code === 'EACCES') return new DataError(file, 0, undefined, `no permission to read ${path}`);
  if (code === 'ELOOP')
    return new DataError(file, 0, undefined, `is a symbolic link that leads back to itself (a loop): ${path}`);
  if (code === 'ENOTDIR') return new DataError(file, 0, undefined, `a folder on the way is a file: ${path}`);
  if (code === 'ENAMETOOLONG') return new DataError(file, 0, undefined, `the path is too long: ${path}`);
  return error;
}

/** Why a file cannot be written where asked, in the user's words (its folder is missing, is a file, is read-only). */
export function describeWriteError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const folder = dirname(resolve(path));
  if (code === 'ENOENT') return new Error(`cannot write ${resolve(path)}: the folder ${folder} does not exist`);
  if (code === 'ENOTDIR') return new Error(`cannot write ${resolve(path)}: a folder on the way is a file`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new Error(`cannot write ${resolve(path)}: no permission to write in ${folder}`);
  if (code === 'ENOSPC') return new Error(`cannot write ${resolve(path)}: the disk is full`);
  return error;
}

/** The kernel's own file systems: their entries look like files, but reading one may wait for ever or never end. */
const KERNEL_FOLDERS: Record<string, string> = {
  '/proc': "the system's view of its processes",
  '/sys': "the system's view of its devices",
};
/** How long the look at a path may take: a network drive that is down never answers, and the caller would wait on. */
export const FILE_SYSTEM_WAIT_MS = 10_000;

/**
 * Why `path` must not be opened as `what` ("a data file"), as a predicate ("is a named pipe (FIFO), not a data
 * file"), or undefined when it may be. Opening a named pipe waits for a writer, a device or a file under /proc or
 * /sys may never end or never answer, and meanwhile it holds one of libuv's four file-system threads (which no
 * timeout frees, and which process.exit waits for): so they are refused before anything opens them. Links are
 * followed: a link to a pipe is a pipe. A missing path or a folder is left to the caller, which names it in its
 * own words; a file system that does not answer within `waitMs` is named as such.
 */
export async function irregularFile(
  path: string,
  what: string,
  waitMs = FILE_SYSTEM_WAIT_MS,
): Promise<string | undefined> {
  const look = async (): Promise<string | undefined> => {
    const absolute = resolve(path);
    // A path that does not exist yet (a project to create) is judged by the folder it would be in.
    const real =
      (await realpath(absolute).catch(() => undefined)) ??
      join(await realpath(dirname(absolute)).catch(() => dirname(absolute)), basename(absolute));
    for (const [folder, holds] of Object.entries(KERNEL_FOLDERS))
      if ([absolute, real].some((p) => p === folder || p.startsWith(folder + sep)))
        return `is in ${folder} (${holds}), not ${what}`;
    const info = await stat(real).catch(() => undefined);
    if (!info || info.isFile() || info.isDirectory()) return undefined;
    const kind = info.isFIFO()
      ? 'a named pipe (FIFO)'
      : info.isSocket()
        ? 'a socket'
        : info.isCharacterDevice()
          ? 'a character device'
          : info.isBlockDevice()
            ? 'a block device'
            : 'a special file';
    return `is ${kind}, not ${what}`;
  };
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<string>((answer) => {
    timer = setTimeout(
      () => answer(`is on a file system that did not answer within ${waitMs / 1000} s (a network drive that is down?)`),
      waitMs,
    );
  });
  try {
    return await Promise.race([look(), silent]);
  } finally {
    clearTimeout(timer);
  }
}

/** A door through which data comes in (the importer, the CSV reader) and what it reads. */
export interface DataDoor {
  accepts: readonly DataKind[];
  /** What it reads, for a data file it cannot ("CSV/TSV text"). */
  reads: string;
  /** Where such a file can go instead. */
  otherwise?: string;
}

const KIND_NAMES: Record<DataKind, string> = {
  text: 'text',
  parquet: 'a Parquet file',
  gzip: 'gzip-compressed',
  zstd: 'zstd-compressed',
};
/** DuckDB picks the decompression by the name's ending. */
const COMPRESSED_ENDINGS: Partial<Record<DataKind, string>> = { gzip: '.gz', zstd: '.zst' };

/**
 * The check every way in for data makes before reading a file (the importer and so the preview, the CSV reader of
 * `train --data` and the like): a missing path, a directory, a named pipe or device (irregularFile), an empty
 * file, an image, a PDF, a workbook, an archive or any other binary file is named as such, in the same words
 * whichever way it came, instead of the parser's complaint about its bytes ("expected 1 cells … (ragged row)").
 * It only reads.
 */
export async function checkDataFile(file: string, door: DataDoor): Promise<{ kind: DataKind; bytes: number }> {
  let bytes: number;
  let found: FileKind;
  const irregular = await irregularFile(file, 'a data file');
  if (irregular) throw new DataError(file, 0, undefined, irregular);
  try {
    const info = await stat(file);
    if (info.isDirectory())
      throw new DataError(file, 0, undefined, `expected a file, got a directory: ${resolve(file)}`);
    bytes = info.size;
    found = await sniffFile(file);
  } catch (error) {
    throw describeOpenError(file, error);
  }
  if (found.kind === 'empty') throw new DataError(file, 0, undefined, 'is empty (0 bytes)');
  if (found.kind === 'utf16')
    throw new DataError(file, 0, undefined, 'is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and use that file');
  if (found.kind === 'other')
    throw new DataError(
      file,
      0,
      undefined,
      `is ${found.what}, not a data file${found.advice ? `; ${found.advice}` : ''}`,
    );
  const otherwise = door.otherwise ? `; ${door.otherwise}` : '';
  if (!door.accepts.includes(found.kind))
    throw new DataError(file, 0, undefined, `is ${KIND_NAMES[found.kind]}, not ${door.reads}${otherwise}`);
  const ending = COMPRESSED_ENDINGS[found.kind];
  if (ending && !file.toLowerCase().endsWith(ending))
    throw new DataError(
      file,
      0,
      undefined,
      `is ${KIND_NAMES[found.kind]} but its name does not end in ${ending}; rename it (rows.csv${ending}) or decompress it`,
    );
  return { kind: found.kind, bytes };
}
