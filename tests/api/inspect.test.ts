import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectFile, PREVIEW_ROWS } from '../../src-main/api/inspect.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { ImportError } from '../../src-main/engine/importers/validate.js';
import { openProject } from '../../src-main/engine/store/project.js';
import type { Finding } from '../../src-shared/types/index.js';
import { SAMPLE_FOLDERS, sampleDatasets } from '../helpers/datasets.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const datasets = sampleDatasets;
const skipped = datasets ? '' : `no sample datasets at ${SAMPLE_FOLDERS.join(' or ')}`;

/** Every CSV/TXT file under the samples folder, as "folder/file". */
function sampleFiles(): string[] {
  if (!datasets) return [];
  return readdirSync(datasets)
    .filter((folder) => statSync(join(datasets, folder)).isDirectory())
    .flatMap((folder) =>
      readdirSync(join(datasets, folder))
        .filter((name) => /\.(csv|txt)$/i.test(name))
        .map((name) => `${folder}/${name}`),
    )
    .sort();
}
const sample = (path: string) => join(datasets!, path);

const dir = mkdtempSync(join(tmpdir(), 'esmc-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Imported = { format: string; findings: Finding[] } | { rejected: unknown };

/** What importing the file into a fresh project finds, with the format detected: the findings, also of a stopped import. */
async function imported(file: string): Promise<Imported> {
  const project = await openProject(':memory:');
  try {
    const result = await importDataset(project, file);
    return { format: result.format, findings: result.findings };
  } catch (error) {
    if (error instanceof ImportError) return { format: '', findings: error.findings };
    return { rejected: error };
  } finally {
    project.close();
  }
}

describe.skipIf(!datasets)('the preview of each sample finds what its import finds', () => {
  it.each(sampleFiles())('%s', async (path) => {
    const file = sample(path);
    const imports = await imported(file);
    if ('rejected' in imports) {
      // Not a file the importer accepts (the esmm_*_small.txt feasign lists): the preview refuses it too.
      await expect(inspectFile(file, basename(file))).rejects.toThrow();
      return;
    }
    const preview = await inspectFile(file, basename(file));
    if (imports.format) expect(preview.format).toBe(imports.format);
    expect(preview.checked).toEqual({ rows: expect.any(Number), wholeFile: true, needWholeFile: [] });
    // Codes, severities, columns, messages, counts and example lines, in the import's order.
    expect(preview.findings).toEqual(imports.findings);
  });

  it('AITM train: the purchases without a click on lines 9 and 14, and the constant columns 127 and 128', async () => {
    const preview = await inspectFile(sample('ali-ccp-paddlerec/aitm_train.csv'), 'aitm_train.csv');
    expect(preview.checked).toEqual({ rows: 48, wholeFile: true, needWholeFile: [] });
    expect(preview.findings).toEqual([
      {
        severity: 'warning',
        code: 'funnel-rows-dropped',
        message: '2 rows have a purchase or in-shop action without a click; they were dropped',
        count: 2,
        exampleLines: [9, 14],
      },
      expect.objectContaining({ severity: 'warning', code: 'constant-column', column: '127', count: 46 }),
      expect.objectContaining({ severity: 'warning', code: 'constant-column', column: '128', count: 46 }),
    ]);
  });

  it('AliExpress train: its four constant columns', async () => {
    const preview = await inspectFile(
      sample('aliexpress-torch-rechub/aliexpress_train_sample.csv'),
      'aliexpress_train_sample.csv',
    );
    expect(preview.format).toBe('aliexpress');
    expect(preview.findings.map((f) => [f.code, f.column, f.count])).toEqual([
      ['constant-column', 'categorical_1', 100],
      ['constant-column', 'numerical_58', 100],
      ['constant-column', 'numerical_59', 100],
      ['constant-column', 'numerical_60', 100],
      ['single-class-cvr', undefined, 6],
    ]);
  });

  it.each([
    ['userbehavior_first_4321_lines.csv', 4321],
    ['userbehavior_slice_20171126_0900-1029_cst.csv', 71_777],
  ])('Taobao %s: every buy without a pv of the whole file, counted independently', async (name, events) => {
    const file = sample(`taobao-userbehavior/${name}`);
    const pairs = new Map<string, Set<string>>();
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const [user, item, , behavior] = line.split(',');
      const key = `${user},${item}`;
      pairs.set(key, (pairs.get(key) ?? new Set()).add(behavior));
    }
    const buysWithoutPv = [...pairs.values()].filter((b) => b.has('buy') && !b.has('pv')).length;
    const preview = await inspectFile(file, name);
    expect(preview.format).toBe('taobao');
    expect(preview.checked).toEqual({ rows: events, wholeFile: true, needWholeFile: [] });
    expect(preview.findings.find((f) => f.code === 'buys-without-pv-counted')?.count).toBe(buysWithoutPv);
  });
});

if (!datasets)
  describe('the preview of each sample finds what its import finds', () => {
    it.skip(`skipped: ${skipped}`, () => {});
  });

describe('a file longer than the preview reads', () => {
  it(`is checked on its first ${PREVIEW_ROWS.toLocaleString('en-US')} rows, and says what needs the whole file`, async () => {
    // "region" is constant in the rows the preview reads and not after; a purchase without a click comes after.
    const rows = PREVIEW_ROWS + 10;
    const lines = ['user_id,region,click,purchase'];
    for (let i = 0; i < rows; i++) {
      const late = i >= PREVIEW_ROWS;
      lines.push(`${i % 500},${late ? 'south' : 'north'},${i % 3 === 0 ? 1 : 0},${late && i % 3 !== 0 ? 1 : 0}`);
    }
    const file = join(dir, 'long.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const preview = await inspectFile(file, 'long.csv');
    expect(preview.checked.wholeFile).toBe(false);
    expect(preview.checked.rows).toBe(PREVIEW_ROWS);
    expect(preview.checked.needWholeFile).toContain('whether a column is constant or nearly unique');
    const scope = `(in the first ${PREVIEW_ROWS.toLocaleString('en-US')} rows of the file)`;
    // No purchase in the rows read: that no model can learn purchases from them is said too.
    expect(preview.findings).toEqual([
      expect.objectContaining({ code: 'constant-column', column: 'region' }),
      expect.objectContaining({ code: 'no-purchases' }),
    ]);
    expect(preview.findings[0].message.endsWith(scope)).toBe(true);

    const imports = await imported(file);
    // Every purchase of the later rows has no click: dropped, and the rest has no purchase for a test part to hold.
    expect('findings' in imports && imports.findings.map((f) => f.code)).toEqual([
      'funnel-rows-dropped',
      'no-purchases',
    ]);
  });

  it('runs the import’s checks on the rows it reads: the findings of an import of those rows', async () => {
    const file = sample('taobao-userbehavior/userbehavior_slice_20171126_0900-1029_cst.csv');
    const preview = await inspectFile(file, basename(file), 'auto', { rows: 1000 });
    // Taobao has no header line: the first line and 1000 more are all events.
    expect(preview.checked).toMatchObject({ rows: 1001, wholeFile: false });
    expect(preview.checked.needWholeFile.some((check) => check.includes('(user, item) pair'))).toBe(true);

    const head = join(dir, basename(file));
    writeFileSync(head, readFileSync(file, 'utf8').split('\n').slice(0, 1001).join('\n') + '\n');
    const imports = await imported(head);
    expect('findings' in imports).toBe(true);
    const scoped = (imports as { findings: Finding[] }).findings.map((f) => ({
      ...f,
      message: `${f.message} (in the first 1,001 rows of the file)`,
    }));
    expect(scoped.map((f) => f.code)).toContain('buys-without-pv-counted');
    expect(preview.findings).toEqual(scoped);
  }, 60_000);

  it('reads the start of a gzip-compressed CSV decompressed, never its compressed bytes cut as text', async () => {
    const plain = readFileSync(resolve(repository, 'assets/samples/funnel-sample.csv'));
    const file = join(dir, 'funnel.csv.gz');
    writeFileSync(file, gzipSync(plain));
    const cut = await inspectFile(file, 'funnel.csv.gz', 'auto', { bytes: 20_000 });
    const complete = plain.subarray(0, 20_000).lastIndexOf(10) + 1;
    expect(cut.checked).toMatchObject({
      wholeFile: false,
      rows: plain.subarray(0, complete).toString().split('\n').length - 2,
    });
    expect(cut.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(cut.columns).toEqual(plain.toString().split('\n')[0].split(','));
    const whole = await inspectFile(file, 'funnel.csv.gz');
    expect(whole.checked).toMatchObject({ wholeFile: true, rows: 12_000 });
  });

  it('stops at a line end within its byte limit', async () => {
    const file = sample('aliexpress-torch-rechub/aliexpress_train_sample.csv');
    const preview = await inspectFile(file, basename(file), 'auto', { bytes: 10_000 });
    const text = readFileSync(file, 'utf8');
    const complete = text.slice(0, 10_000).lastIndexOf('\n') + 1;
    expect(preview.checked).toMatchObject({ rows: text.slice(0, complete).split('\n').length - 2, wholeFile: false });
    expect(preview.columns).toHaveLength(82);
  });
});
