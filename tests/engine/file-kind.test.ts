/**
 * Files that are no data (empty, images, PDFs, workbooks, archives, other binary files) are named as such, in the
 * same words through every way in: the preview (files.inspect, by path and as an upload), the import (the API's
 * job and `esmc-lab import`), and the CSV reader of `esmc-lab train --data` / `psc --data`. Data that only looks
 * odd (Parquet under another name, gzip-compressed CSV, Latin-1 text) is still read or gets the reader's message.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from '../../src-main/api/inspect.js';
import { createApiService } from '../../src-main/api/service.js';
import { loadCsvDataset } from '../../src-main/engine/data/encode.js';
import { DataError } from '../../src-main/engine/data/errors.js';
import { checkDataFile, sniffFile } from '../../src-main/engine/files.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { IMPORT_DOOR } from '../../src-main/engine/importers/stage.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject } from '../../src-main/engine/store/project.js';
import { ServiceHarness } from '../api/harness.js';
import { cli } from '../helpers/cli.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'esmc-file-kind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A ZIP holding empty entries of these names, stored: all the sniffer reads are the headers' names. */
function zip(names: string[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(Buffer.byteLength(name), 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(Buffer.byteLength(name), 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, Buffer.from(name));
    central.push(entry, Buffer.from(name));
    offset += 30 + Buffer.byteLength(name);
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Bytes that are no text: every byte value, NUL included, in a fixed order. */
const noise = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 167 + 13) % 256));
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise]);

/** Each file that is no data, and what every door says of it. */
const NOT_DATA: [name: string, bytes: () => Buffer, says: string][] = [
  ['picture.png', () => png, 'picture.png is a PNG image, not a data file'],
  ['photo.jpg', () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), noise]), 'photo.jpg is a JPEG image'],
  ['anim.gif', () => Buffer.concat([Buffer.from('GIF89a'), noise]), 'anim.gif is a GIF image, not a data file'],
  ['paper.pdf', () => Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'), 'paper.pdf is a PDF document'],
  [
    'sales.xlsx',
    () => zip(['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']),
    'sales.xlsx is an Excel workbook (xlsx), not a data file; save the sheet as CSV (UTF-8) and use that file',
  ],
  // Named .csv by mistake: the content decides.
  [
    'export.csv',
    () => zip(['[Content_Types].xml', 'xl/workbook.xml']),
    'export.csv is an Excel workbook (xlsx), not a data file',
  ],
  ['notes.docx', () => zip(['[Content_Types].xml', 'word/document.xml']), 'notes.docx is a Word document (docx)'],
  [
    'bundle.zip',
    () => zip(['rows.csv']),
    'bundle.zip is a ZIP archive, not a data file; unzip it and use the data file inside',
  ],
  [
    'old.xls',
    () => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), noise]),
    'old.xls is an Excel workbook (xls), not a data file',
  ],
  [
    'rows.csv.gz.part',
    () => gzipSync('click,purchase\n1,0\n'),
    'rows.csv.gz.part is gzip-compressed but its name does not end in .gz',
  ],
  ['blob.dat', () => noise, 'blob.dat is a binary file, not a data file'],
  ['empty.csv', () => Buffer.alloc(0), 'empty.csv is empty (0 bytes)'],
  [
    'utf16.csv',
    () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('click,purchase\r\n1,0\r\n', 'utf16le')]),
    'utf16.csv is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and use that file',
  ],
];

describe('what a file is, from its first bytes', () => {
  it.each(NOT_DATA)('%s', async (name, bytes, says) => {
    const file = write(name, bytes());
    const error = await checkDataFile(file, IMPORT_DOOR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain(says.replace(name, file));
    expect((error as DataError).line).toBe(0);
  });

  it('a DuckDB database (a project) is none of the data files', async () => {
    const path = join(dir, 'lab.duckdb');
    (await openProject(path)).close();
    expect(await sniffFile(path)).toMatchObject({ kind: 'other', what: 'a DuckDB database (an ESMC Lab project)' });
    await expect(checkDataFile(path, IMPORT_DOOR)).rejects.toThrow(
      `${path} is a DuckDB database (an ESMC Lab project), not a data file; open it as a project instead`,
    );
  });

  it('data stays data: text, Latin-1 text, Parquet, gzip- and zstd-compressed text', async () => {
    expect(await sniffFile(sample)).toEqual({ kind: 'text' });
    // A few accented letters in Latin-1 are text in the wrong encoding: the CSV reader says where.
    const latin1 = write(
      'latin1.csv',
      Buffer.concat([Buffer.from('click,city\n1,Orl'), Buffer.from([0xe9]), Buffer.from('ans\n')]),
    );
    expect(await sniffFile(latin1)).toEqual({ kind: 'text' });
    await expect(loadCsvDataset(latin1)).rejects.toThrow(/latin1\.csv:2:2: the file is not UTF-8/);
    expect(await sniffFile(write('utf8-bom.csv', '\uFEFFclick,city\n1,Zürich\n'))).toEqual({ kind: 'text' });
    expect(await sniffFile(write('rows.csv.gz', gzipSync('click\n1\n')))).toEqual({ kind: 'gzip' });
    expect(await sniffFile(write('rows.csv.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])))).toEqual({
      kind: 'zstd',
    });
    expect(await sniffFile(write('rows.parquet', Buffer.from('PAR1\x15\x04PAR1', 'latin1')))).toEqual({
      kind: 'parquet',
    });
  });

  it('reads the file and changes nothing', async () => {
    const bytes = png;
    const file = write('kept.png', bytes);
    await expect(checkDataFile(file, IMPORT_DOOR)).rejects.toThrow(/PNG image/);
    const project = await openProject(':memory:');
    await expect(importDataset(project, file)).rejects.toThrow(/PNG image/);
    project.close();
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });
});

describe('every door says the same', () => {
  let api: ServiceHarness;
  let parquet: string;

  beforeAll(async () => {
    api = new ServiceHarness(
      await createApiService({ projectPath: join(dir, 'doors.duckdb'), shell: 'browser', workers: 1, backend: 'cpu' }),
    );
    parquet = join(dir, 'simulated.parquet');
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 500, seed: 3 }, parquet, { format: 'parquet' });
  });
  afterAll(async () => {
    await api?.service.close();
  });

  /** An upload as the browser host receives one: the bytes under a folder of the project's, the name the user's. */
  async function upload(name: string, bytes: Buffer) {
    const { id, path } = await api.service.files.newUpload(name);
    writeFileSync(path, bytes);
    return api.service.files.completeUpload(id);
  }

  it.each(NOT_DATA.filter(([name]) => ['picture.png', 'sales.xlsx', 'empty.csv', 'blob.dat'].includes(name)))(
    '%s: preview, upload, import job, esmc-lab import, train --data and psc --data',
    async (name, bytes, says) => {
      const file = write(name, bytes());
      // The preview of an upload: the user's file name, never the server's path.
      const uploaded = await api.error('files.inspect', { file: await upload(name, bytes()) });
      expect(uploaded.code).toBe('data-error');
      expect(uploaded.message.startsWith(says)).toBe(true);
      expect(uploaded.details.where).toEqual({ file: name });
      // The preview of a file by path, and the preview function itself.
      const byPath = await api.error('files.inspect', { file: { kind: 'path', path: file } });
      expect(byPath.message).toContain(says.replace(name, file));
      await expect(inspectFile(file, name)).rejects.toThrow(says);
      // The import job.
      const { jobId } = await api.call('datasets.import', { file: { kind: 'path', path: file }, name: 'x' });
      const job = await api.finished(jobId);
      expect([job.state, job.error?.code]).toEqual(['failed', 'data-error']);
      expect(job.error?.message).toContain(says.replace(name, file));
      // The CLI: import into a project, and the commands that read a CSV file themselves.
      const imported = await cli('import', '--project', join(dir, 'cli.duckdb'), '--data', file);
      expect(imported.code).not.toBe(0);
      expect(imported.stderr).toContain(says.replace(name, file));
      for (const command of ['train', 'psc']) {
        const run = await cli(command, '--data', file, '--model', 'esmm');
        expect(run.code, run.stderr).not.toBe(0);
        expect(run.stderr).toContain(says.replace(name, file));
      }
      // Nothing was kept.
      expect((await api.call('datasets.list', {})).map((d) => d.name)).toEqual([]);
    },
  );

  it('Parquet is data under any name; the CSV reader sends it to the importer', async () => {
    const misnamed = write('simulated.dat', readFileSync(parquet));
    const preview = await inspectFile(misnamed, 'simulated.dat');
    expect(preview.format).toBe('simulator');
    expect(preview.columns).toContain('click');
    const run = await cli('train', '--data', parquet, '--model', 'esmm');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `${parquet} is a Parquet file, not CSV/TSV text; import it into a project (esmc-lab import), which reads it, and use --project`,
    );
  });

  it('a gzip-compressed CSV named .csv.gz is previewed and imported', async () => {
    const gz = write('funnel.csv.gz', gzipSync(readFileSync(sample)));
    const preview = await api.call('files.inspect', { file: { kind: 'path', path: gz } });
    expect(preview.columns).toContain('purchase');
    const project = await openProject(':memory:');
    const imported = await importDataset(project, gz);
    project.close();
    expect(imported.profile.rows).toBeGreaterThan(1000);
  });
});
