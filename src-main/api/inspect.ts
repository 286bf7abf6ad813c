import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataError } from '../engine/data/errors.js';
import { guessRoles } from '../engine/data/roles.js';
import { SKELETON_PATTERN } from '../engine/importers/aliccp-raw.js';
import { stageSource } from '../engine/importers/formats.js';
import { STAGE, checkReadable } from '../engine/importers/stage.js';
import { checkRoles } from '../engine/importers/validate.js';
import { openProject } from '../engine/store/project.js';
import { ident, literal } from '../engine/store/sql.js';
import { asUserFile, dataProblem } from './errors.js';
import type { FileInspection } from '../../src-shared/api/contract.js';
import type { Finding, ImportFormat } from '../../src-shared/types/data.js';

/** Rows read to suggest roles (as the import does) and rows shown in the mapping table. */
const SAMPLE_ROWS = 1000;
const SHOWN_ROWS = 20;

/** The first `lines` lines of a text file, written to `out`; the rest is never read. */
async function copyHead(file: string, out: string, lines: number): Promise<void> {
  const input = createReadStream(file);
  const head: string[] = [];
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      head.push(line);
      if (head.length >= lines) break;
    }
  } finally {
    input.destroy();
  }
  await writeFile(out, `${head.join('\n')}\n`);
}

const isParquet = (file: string, format: ImportFormat) =>
  format === 'parquet' || (format === 'auto' && ['.parquet', '.pq'].includes(extname(file).toLowerCase()));

/**
 * What the import would see in a file, read from its first rows only, so a file of any size answers at once:
 * the format, the columns, sample rows, the roles the import would suggest, and problems visible already
 * (labels no column looks like). The sample is staged exactly as an import stages the whole file.
 */
export async function inspectFile(
  file: string,
  fileName: string,
  format: ImportFormat = 'auto',
): Promise<Omit<FileInspection, 'file'>> {
  const bytes = await checkReadable(file);
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
    };
  const folder = await mkdtemp(join(tmpdir(), 'esmc-inspect-'));
  // The sample keeps the file's name: formats are also recognised by it.
  const sample = join(folder, basename(file));
  const project = await openProject(':memory:');
  try {
    if (isParquet(file, format))
      await project.run(
        `COPY (SELECT * FROM read_parquet(${literal(file)}) LIMIT ${SAMPLE_ROWS}) TO ${literal(sample)} (FORMAT parquet)`,
      );
    else await copyHead(file, sample, SAMPLE_ROWS + 1);
    const source = await stageSource(project, sample, { format });
    const columns = (await project.all(`DESCRIBE ${STAGE}`))
      .map((row) => String(row.column_name))
      .filter((column) => column !== '__line');
    const rows = await project.all(`SELECT ${columns.map(ident).join(', ')} FROM ${STAGE} ORDER BY __line`);
    const cells = rows.map((row) => columns.map((column) => (row[column] === null ? '' : String(row[column]))));
    const suggestedRoles = source.refineRoles(guessRoles(columns, cells, { layout: source.layout }));
    const findings: Finding[] = [...source.findings];
    try {
      checkRoles({ project, file: fileName, columns, roles: suggestedRoles });
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      findings.push({
        severity: 'error',
        code: 'roles',
        message: dataProblem(error),
        count: 0,
        exampleLines: [],
      });
    }
    return {
      fileName,
      bytes,
      format: source.format,
      columns,
      sampleRows: cells.slice(0, SHOWN_ROWS),
      suggestedRoles,
      findings,
    };
  } catch (error) {
    throw asUserFile(error, sample, fileName);
  } finally {
    project.close();
    await rm(folder, { recursive: true, force: true });
  }
}
