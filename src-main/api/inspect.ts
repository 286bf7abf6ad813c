import { createReadStream } from 'node:fs';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { irregularFile, sniffFile } from '../engine/files.js';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { DataError } from '../engine/data/errors.js';
import { SKELETON_PATTERN } from '../engine/importers/aliccp-raw.js';
import { stageSource } from '../engine/importers/formats.js';
import { settleRoles } from '../engine/importers/import.js';
import { RAW, checkReadable, readingStaged } from '../engine/importers/stage.js';
import { ImportError, validateStaged } from '../engine/importers/validate.js';
import { openProject, type Project } from '../engine/store/project.js';
import { literal } from '../engine/store/sql.js';
import { asUserFile, dataProblem } from './errors.js';
import type { FileInspection } from '../../src-shared/api/contract.js';
import type { Finding, ImportFormat } from '../../src-shared/types/data.js';

/**
 * The preview checks the start of a file: its first line and PREVIEW_ROWS more, within PREVIEW_BYTES (cut at a
 * line end), or a Parquet file's first PREVIEW_ROWS rows. That bounds its work (a few seconds on two cores for
 * the widest files) whatever the file's size; a file within both limits is checked whole.
 */
export const PREVIEW_ROWS = 100_000;
export const PREVIEW_BYTES = 4 * 1024 * 1024;
/** Rows shown in the mapping table. */
const SHOWN_ROWS = 20;

export interface PreviewLimits {
  /** Default PREVIEW_ROWS. */
  rows?: number;
  /** Default PREVIEW_BYTES. */
  bytes?: number;
}

/**
 * Copies the start of a text file to `out`: its first `lines` lines and at most `maxBytes` bytes, cut after a
 * line end, byte for byte (encoding, line ends and a BOM stay as they are). Returns whether that was the whole file.
 */
async function copyHead(file: string, out: string, lines: number, maxBytes: number): Promise<boolean> {
  const input = await open(file, 'r');
  const output = await open(out, 'w');
  try {
    const size = (await input.stat()).size;
    const buffer = Buffer.alloc(1 << 20);
    let position = 0;
    let seen = 0;
    /** The byte after the last complete line copied. */
    let end = 0;
    while (seen < lines && position < Math.min(size, maxBytes)) {
      const { bytesRead } = await input.read(buffer, 0, Math.min(buffer.length, maxBytes - position), position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      let used = bytesRead;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) {
        seen++;
        end = position + at + 1;
        if (seen === lines) {
          used = at + 1;
          break;
        }
      }
      await output.write(chunk, 0, used);
      position += used;
    }
    if (seen < lines && position >= size) return true;
    if (end >= size) return true;
    if (end === 0)
      throw new DataError(file, 1, undefined, `the first line is longer than ${maxBytes} bytes; is this a text file?`);
    await output.truncate(end);
    return false;
  } finally {
    await output.close();
    await input.close();
  }
}

/**
 * The start of a gzip-compressed text file, decompressed into `out`, as copyHead copies a plain one: its first
 * `lines` lines within `maxBytes` bytes, cut after a line end. Cutting the compressed bytes instead would hand the
 * checks a broken stream. Returns whether that was the whole file (then the file itself is checked).
 */
async function copyGzipHead(file: string, out: string, lines: number, maxBytes: number): Promise<boolean> {
  const output = await open(out, 'w');
  try {
    let written = 0;
    let seen = 0;
    /** The byte after the last complete line written. */
    let end = 0;
    for await (const chunk of createReadStream(file).pipe(createGunzip()) as AsyncIterable<Buffer>) {
      let used = Math.min(chunk.length, maxBytes - written);
      for (let at = chunk.indexOf(10); at !== -1 && at < used; at = chunk.indexOf(10, at + 1)) {
        seen++;
        end = written + at + 1;
        if (seen === lines) {
          used = at + 1;
          break;
        }
      }
      await output.write(chunk, 0, used);
      written += used;
      if (seen >= lines || written >= maxBytes) {
        if (end === 0)
          throw new DataError(
            file,
            1,
            undefined,
            `the first line is longer than ${maxBytes} bytes; is this a text file?`,
          );
        await output.truncate(end);
        return false;
      }
    }
    return true;
  } finally {
    await output.close();
  }
}

const isParquet = (file: string, format: ImportFormat) =>
  format === 'parquet' || (format === 'auto' && ['.parquet', '.pq'].includes(extname(file).toLowerCase()));

/** The first `rows` rows of a Parquet file, written to `out`; false when the file has no more than that. */
async function copyParquetHead(project: Project, file: string, out: string, rows: number): Promise<boolean> {
  // Staging the file itself says what is wrong with one DuckDB cannot read.
  const counted = await project
    .one(`SELECT count(*)::DOUBLE AS n FROM read_parquet(${literal(file)})`)
    .catch(() => null);
  if (!counted || Number(counted.n) <= rows) return true;
  await project.run(
    `COPY (SELECT * FROM read_parquet(${literal(file)}) LIMIT ${rows}) TO ${literal(out)} (FORMAT parquet)`,
  );
  return false;
}

/** What the checks of a partial read cannot settle: only the import, which reads the whole file, can. */
function needWholeFile(format: string): string[] {
  return [
    'the counts of the whole file (rows that break the funnel, missing values, …)',
    'bad labels or numbers after the rows read',
    'whether a column is constant or nearly unique',
    'whether a feature nearly determines a label over every row',
    ...(format === 'taobao' ? ['the events of a (user, item) pair after the rows read (a later pv, cart or buy)'] : []),
  ];
}

/**
 * What the import would see and find in a file, from its first rows only, so that a file of any size answers at
 * once: the format, the columns, sample rows, the roles the import would suggest, and the findings of the
 * import's own checks (`validateStaged`, with the suggested roles and the default funnel policy). The first rows
 * are staged exactly as an import stages the whole file; a file within the limits is staged itself, so its
 * findings are the import's, code for code, count for count. Otherwise `checked` says how many rows were read
 * and what needs the whole file, and every finding's message ends "(in the first N rows of the file)".
 */
export async function inspectFile(
  file: string,
  fileName: string,
  format: ImportFormat = 'auto',
  limits: PreviewLimits = {},
): Promise<Omit<FileInspection, 'file'>> {
  let bytes: number;
  try {
    const irregular = await irregularFile(file, 'a data file');
    if (irregular) throw new DataError(file, 0, undefined, irregular);
    bytes = await checkReadable(file);
  } catch (error) {
    throw asUserFile(error, file, fileName);
  }
  const maxRows = limits.rows ?? PREVIEW_ROWS;
  const maxBytes = limits.bytes ?? PREVIEW_BYTES;
  if (format === 'aliccp-raw' || (format === 'auto' && SKELETON_PATTERN.test(basename(file))))
    return {
      fileName,
      bytes,
      format: 'aliccp-raw',
      columns: [],
      sampleRows: [],
      suggestedRoles: { click: 'click', purchase: 'purchase', categorical: [], dense: [], truth: [], ignore: [] },
      findings: [
        {
          severity: 'info',
          code: 'raw-aliccp',
          message: 'raw Ali-CCP: its feature columns come from the common_features file and appear once imported',
          count: 0,
          exampleLines: [],
        },
      ],
      checked: {
        rows: 0,
        wholeFile: false,
        needWholeFile: ['every check: raw Ali-CCP is joined with its common_features file, which the import reads'],
      },
    };
  const folder = await mkdtemp(join(tmpdir(), 'esmc-inspect-')).catch((error: unknown) => {
    throw asUserFile(error, file, fileName, [tmpdir()]);
  });
  // What the file is, by its first bytes: a Parquet file or a compressed one is not cut as text. A file that
  // cannot be read is staged as it is, whose error says why.
  const kind = (await sniffFile(file).catch(() => null))?.kind;
  const gzip = kind === 'gzip';
  // The copy keeps the file's name (formats are also recognised by it), without .gz once decompressed.
  const head = join(folder, gzip ? basename(file).replace(/\.gz$/i, '') : basename(file));
  let staged = file;
  const project = await openProject(':memory:');
  try {
    // Node cannot decompress zstd: such a file is checked whole.
    const wholeFile =
      isParquet(file, format) || kind === 'parquet'
        ? await copyParquetHead(project, file, head, maxRows)
        : gzip
          ? await copyGzipHead(file, head, maxRows + 1, maxBytes)
          : kind === 'zstd' || (await copyHead(file, head, maxRows + 1, maxBytes));
    if (!wholeFile) staged = head;
    const source = await stageSource(project, staged, { format });
    const counted = project.one(`SELECT count(*)::DOUBLE AS n FROM ${RAW}`);
    const rows = Number((await readingStaged(source.ordered, counted))?.n ?? 0);
    const { columns, sample, suggested } = await settleRoles(project, source);
    const context = { project, file: staged, columns, roles: suggested, cells: source.cells, ordered: source.ordered };
    let findings: Finding[];
    try {
      ({ findings } = await validateStaged(context, source.findings, { funnelPolicy: 'drop', logDense: [] }));
    } catch (error) {
      if (error instanceof ImportError) findings = error.findings;
      else if (error instanceof DataError) {
        // Roles the user can still fix in the mapping table: the checks of the rows wait for them.
        const roles: Finding = {
          severity: 'error',
          code: 'roles',
          message: dataProblem(error),
          count: 0,
          exampleLines: [],
        };
        findings = [...source.findings, roles];
      } else throw error;
    }
    const scope = `in the first ${rows.toLocaleString('en-US')} rows of the file`;
    return {
      fileName,
      bytes,
      format: source.format,
      columns,
      sampleRows: sample.slice(0, SHOWN_ROWS),
      suggestedRoles: suggested,
      findings: wholeFile
        ? findings
        : findings.map((finding) =>
            finding.code === 'roles' ? finding : { ...finding, message: `${finding.message} (${scope})` },
          ),
      checked: { rows, wholeFile, needWholeFile: wholeFile ? [] : needWholeFile(source.format) },
    };
  } catch (error) {
    // The preview's copy is named after the file, in a folder of this server's: neither is the user's business.
    throw asUserFile(error, [file, staged, head], fileName, [folder]);
  } finally {
    project.close();
    await rm(folder, { recursive: true, force: true });
  }
}
