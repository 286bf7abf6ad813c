import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openCsv, type CsvRow } from '../../src-main/engine/data/csv.js';
import { loadCsvDataset } from '../../src-main/engine/data/encode.js';
import { DataError } from '../../src-main/engine/data/errors.js';
import { suggestRoles } from '../../src-main/engine/data/roles.js';
import { splitByUser, splitRows, takeSplit } from '../../src-main/engine/data/split.js';

import { samplePath } from '../helpers/datasets.js';
const sharedDataset = samplePath;
const ALI_CCP = sharedDataset('ali-ccp-torch-rechub/ali_ccp_train_sample.csv');
const ALIEXPRESS = sharedDataset('aliexpress-torch-rechub/aliexpress_train_sample.csv');
const AITM = sharedDataset('ali-ccp-paddlerec/aitm_train.csv');
const FUNNEL_SAMPLE = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'esmc-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function tempFile(content: string | Uint8Array, name = `rows-${++fileCount}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string): Promise<{ header: string[]; delimiter: string; rows: CsvRow[] }> {
  const table = await openCsv(path);
  const rows: CsvRow[] = [];
  for await (const row of table.rows) rows.push(row);
  return { header: table.header, delimiter: table.delimiter, rows };
}

async function dataErrorOf(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

function count(labels: Float32Array | undefined): number {
  return (labels ?? new Float32Array()).reduce((sum, v) => sum + v, 0);
}

describe('openCsv', () => {
  it('detects the delimiter from the header line', async () => {
    for (const delimiter of [',', '\t', ';', '|']) {
      const path = tempFile(`x${delimiter}y\n1${delimiter}2\n`);
      const table = await readAll(path);
      expect(table.delimiter).toBe(delimiter);
      expect(table.header).toEqual(['x', 'y']);
      expect(table.rows.map((r) => r.cells)).toEqual([['1', '2']]);
    }
  });

  it('ignores delimiters inside quoted header names when detecting', async () => {
    const table = await readAll(tempFile('"a,b;c"\t"d,e"\n1\t2\n'));
    expect(table.delimiter).toBe('\t');
    expect(table.header).toEqual(['a,b;c', 'd,e']);
  });

  it('parses quotes with embedded delimiters, doubled quotes, newlines and CRLF, and strips a BOM', async () => {
    const text = '\uFEFFid,text\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n4,plain\r\n';
    const { header, rows } = await readAll(tempFile(text));
    expect(header).toEqual(['id', 'text']);
    expect(rows.map((r) => r.cells)).toEqual([
      ['1', 'a, b'],
      ['2', 'say "hi"'],
      ['3', 'two\r\nlines'],
      ['4', 'plain'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 6]);
  });

  it('skips blank lines and reads a last line without a newline', async () => {
    const { rows } = await readAll(tempFile('a,b\n1,2\n\n3,4'));
    expect(rows).toEqual([
      { cells: ['1', '2'], line: 2 },
      { cells: ['3', '4'], line: 4 },
    ]);
  });

  it('handles cells, quotes and CRLF cut across read chunks', async () => {
    const cell = 'x'.repeat(70_000);
    const text = `a,b\r\n"${cell}""",${cell}\r\n1,2\r\n`;
    const { rows } = await readAll(tempFile(text));
    expect(rows[0].cells).toEqual([`${cell}"`, cell]);
    expect(rows[1]).toEqual({ cells: ['1', '2'], line: 3 });
  });

  it('names a missing file with its full path', async () => {
    const path = join(dir, 'nope.csv');
    const error = await dataErrorOf(openCsv(path));
    expect(error.message).toContain('nope.csv');
    expect(error.message).toContain('not found');
    expect(error.message).toContain(path);
  });

  it('rejects an empty file', async () => {
    const error = await dataErrorOf(openCsv(tempFile('', 'empty.csv')));
    expect(error.message).toMatch(/empty\.csv is empty \(0 bytes\)/);
  });

  it('names JSON lines as such instead of reading them as a one-column CSV, whatever the file is called', async () => {
    const rows = '{"click": 1, "purchase": 0}\n{"click": 0, "purchase": 0}\n';
    for (const name of ['rows.jsonl', 'rows.csv']) {
      const error = await dataErrorOf(openCsv(tempFile(rows, name)));
      expect(error.message.slice(error.message.indexOf(name))).toBe(
        `${name} is JSON lines, not CSV/TSV text; import it into a project (esmc-lab import), which reads it, ` +
          'and use --project',
      );
    }
  });

  it('rejects a header without rows', async () => {
    const error = await dataErrorOf(openCsv(tempFile('click,purchase\n', 'header-only.csv')));
    expect(error.message).toMatch(/header-only\.csv:2: .*no data rows/);
  });

  it('reports a ragged row with expected and actual cell counts', async () => {
    const path = tempFile('a,b,c\n1,2,3\n4,5\n', 'ragged.csv');
    const error = await dataErrorOf(readAll(path));
    expect(error.message).toContain('ragged.csv:3:3: expected 3 cells as in the header, got 2');
    expect([error.line, error.column]).toEqual([3, 3]);
    const tooMany = await dataErrorOf(readAll(tempFile('a,b\n1,2,3\n', 'wide.csv')));
    expect(tooMany.message).toContain('wide.csv:2:3: expected 2 cells as in the header, got 3');
  });

  it('reports an unterminated quote where it opens', async () => {
    const error = await dataErrorOf(readAll(tempFile('a,b\n1,2\n3,"open\n4,5\n', 'quote.csv')));
    expect(error.message).toMatch(/quote\.csv:3:2: unterminated quote/);
  });

  it('reports text after a closing quote', async () => {
    const error = await dataErrorOf(readAll(tempFile('a,b\n1,"x"y\n', 'after-quote.csv')));
    expect(error.message).toMatch(/after-quote\.csv:2:2: text after a closing quote/);
  });

  it('reports invalid UTF-8 with its location', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,2\n3,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const error = await dataErrorOf(readAll(tempFile(bytes, 'latin1.csv')));
    expect(error.message).toMatch(/latin1\.csv:3:2: the file is not UTF-8/);
  });

  it('rejects repeated column names', async () => {
    const error = await dataErrorOf(openCsv(tempFile('a,b,a\n1,2,3\n', 'dupes.csv')));
    expect(error.message).toContain('dupes.csv:1:3: column name "a" repeats column 1');
  });
});

describe('suggestRoles', () => {
  it('recognizes the Ali-CCP (torch-rechub) layout', async () => {
    const { header, rows } = await readAll(ALI_CCP);
    const cells = rows.map((r) => r.cells);
    const roles = suggestRoles(header, cells);
    expect(roles.click).toBe('click');
    expect(roles.purchase).toBe('purchase');
    expect(roles.action).toBeUndefined();
    expect(roles.user).toBe('101');
    expect(roles.categorical).toContain('101');
    expect(roles.categorical).toHaveLength(23);
    expect(roles.dense).toEqual(['D109_14', 'D110_14', 'D127_14', 'D150_14', 'D508', 'D509', 'D702', 'D853']);
    expect(roles.truth).toEqual([]);
    expect(roles.ignore).toEqual([]);
  });

  it('recognizes the AliExpress layout', async () => {
    const { header, rows } = await readAll(ALIEXPRESS);
    const cells = rows.map((r) => r.cells);
    const roles = suggestRoles(header, cells);
    expect(roles.click).toBe('click');
    expect(roles.purchase).toBe('conversion');
    expect(roles.user).toBeUndefined();
    expect(roles.ignore).toEqual(['search_id']);
    expect(roles.categorical).toEqual(Array.from({ length: 16 }, (_, i) => `categorical_${i + 1}`));
    expect(roles.dense).toEqual(Array.from({ length: 63 }, (_, i) => `numerical_${i + 1}`));
  });

  it('ORs several action columns, keeps truth apart and prefers a named user column to field 101', () => {
    const header = ['idx', 'is_click', 'add_to_cart', 'fav', 'buy', 'uid', '101', 'true_ctr', 'city', 'price', 'num3'];
    const roles = suggestRoles(header, [['0', '1', '0', '1', '0', 'u1', '5', '0.1', 'paris', '9.99', '3']]);
    expect(roles).toEqual({
      click: 'is_click',
      action: ['add_to_cart', 'fav'],
      purchase: 'buy',
      user: 'uid',
      categorical: ['101', 'city'],
      dense: ['price', 'num3'],
      truth: ['true_ctr'],
      ignore: ['idx'],
    });
  });

  it('leaves unrecognized labels empty for the user to pick', () => {
    const roles = suggestRoles(['a', 'b'], [['1', '2']]);
    expect([roles.click, roles.purchase]).toEqual(['', '']);
  });
});

describe('loadCsvDataset', () => {
  it('loads the Ali-CCP sample', async () => {
    const { dataset, findings } = await loadCsvDataset(ALI_CCP);
    expect(dataset.rows).toBe(100);
    expect(count(dataset.labels.click)).toBe(7);
    expect(count(dataset.labels.purchase)).toBe(1);
    expect(dataset.labels.action).toBeUndefined();
    expect(dataset.schema.categorical).toHaveLength(23);
    expect(dataset.schema.dense).toHaveLength(8);
    expect(dataset.schema.multiHot).toEqual([]);
    expect(dataset.categorical).toHaveLength(100 * 23);
    expect(dataset.dense).toHaveLength(100 * 8);
    expect(new Set(dataset.userIds)).toEqual(new Set([0]));
    expect(findings).toEqual([]);
  });

  it('loads the AliExpress sample', async () => {
    const { dataset, roles } = await loadCsvDataset(ALIEXPRESS);
    expect(roles.purchase).toBe('conversion');
    expect(dataset.rows).toBe(100);
    expect(count(dataset.labels.click)).toBe(60);
    expect(count(dataset.labels.purchase)).toBe(2);
    expect(dataset.userIds).toBeUndefined();
  });

  it('drops AITM rows with a purchase but no click, with a warning', async () => {
    const { dataset, findings } = await loadCsvDataset(AITM);
    expect(dataset.rows).toBe(46);
    expect(findings).toContainEqual(
      expect.objectContaining({ severity: 'warning', code: 'funnel-rows-dropped', count: 2, exampleLines: [9, 14] }),
    );
    for (let i = 0; i < dataset.rows; i++)
      expect(dataset.labels.purchase[i]).toBeLessThanOrEqual(dataset.labels.click[i]);
  });

  it('keeps them under "keep" and fails on the first under "fail"', async () => {
    const kept = await loadCsvDataset(AITM, { funnelPolicy: 'keep' });
    expect(kept.dataset.rows).toBe(48);
    expect(kept.findings.map((f) => f.code)).toContain('funnel-rows-kept');
    const error = await dataErrorOf(loadCsvDataset(AITM, { funnelPolicy: 'fail' }));
    expect(error.message).toContain('aitm_train.csv:9:2: column "purchase"');
    expect([error.line, error.column]).toEqual([9, 2]);
  });

  it('also checks the action label against the click', async () => {
    const path = tempFile('click,cart,purchase,f\n1,1,0,a\n0,1,0,b\n0,0,0,c\n');
    const error = await dataErrorOf(loadCsvDataset(path, { funnelPolicy: 'fail' }));
    expect([error.line, error.column]).toEqual([3, 2]);
    const { dataset } = await loadCsvDataset(path);
    expect(dataset.rows).toBe(2);
    expect(Array.from(dataset.labels.action ?? [])).toEqual([1, 0]);
  });

  it('rejects a label that is not 0 or 1, naming line, column and value', async () => {
    const path = tempFile('click,purchase,f\n1,0,a\n1,2,b\n', 'labels.csv');
    const error = await dataErrorOf(loadCsvDataset(path));
    expect(error.message).toBe(`${path}:3:2: column "purchase": label must be 0 or 1, got "2"`);
    const floats = await loadCsvDataset(tempFile('click,purchase,f\n1.0,0.0,a\n0,0,b\n'));
    expect(Array.from(floats.dataset.labels.click)).toEqual([1, 0]);
    await dataErrorOf(loadCsvDataset(tempFile('click,purchase,f\ntrue,false,a\n')));
  });

  it('rejects a dense cell that is not a number', async () => {
    const path = tempFile('click,purchase,price\n0,0,1.5\n1,0,cheap\n', 'dense.csv');
    const error = await dataErrorOf(loadCsvDataset(path, { roles: { dense: ['price'], categorical: [] } }));
    expect(error.message).toContain('dense.csv:3:3: column "price": a dense feature must be a number, got "cheap"');
  });

  it('rejects roles that name missing columns or give a label a feature role', async () => {
    const path = tempFile('click,purchase,f\n0,0,a\n', 'roles.csv');
    const missing = await dataErrorOf(loadCsvDataset(path, { roles: { user: 'who' } }));
    expect(missing.message).toContain('roles.csv:1: the user column "who" is not in the header');
    const leak = await dataErrorOf(loadCsvDataset(path, { roles: { categorical: ['f', 'purchase'] } }));
    expect(leak.message).toContain(
      'roles.csv:1:2: column "purchase" cannot be both the purchase label and categorical',
    );
    const unnamed = await dataErrorOf(loadCsvDataset(tempFile('c,p\n0,0\n')));
    expect(unnamed.message).toContain('no column looks like the click label');
  });

  it('encodes categoricals by first appearance, standardizes dense and counts missing values', async () => {
    const path = tempFile(
      'click,purchase,color,size,price,true_ctr\n0,0,red,,1.0,0.1\n1,1,blue,S,,0.2\n0,0,red,M,3.0,0.3\n',
    );
    const { dataset, encoding, findings } = await loadCsvDataset(path, { roles: { categorical: ['color', 'size'] } });
    expect(encoding.categorical).toEqual([
      { name: 'color', vocabulary: ['red', 'blue'] },
      { name: 'size', vocabulary: ['S', 'M'] },
    ]);
    expect(Array.from(dataset.categorical)).toEqual([1, 0, 2, 1, 1, 2]);
    expect(dataset.schema.categorical).toEqual([
      { name: 'color', vocabSize: 3 },
      { name: 'size', vocabSize: 3 },
    ]);
    expect(encoding.dense).toEqual([{ name: 'price', mean: 2, std: 1 }]);
    expect(Array.from(dataset.dense)).toEqual([-1, 0, 1]);
    expect(Array.from(dataset.truth?.true_ctr ?? [])).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'info',
        code: 'missing-values',
        column: 'size',
        count: 1,
        exampleLines: [2],
      }),
      expect.objectContaining({
        severity: 'info',
        code: 'missing-values',
        column: 'price',
        count: 1,
        exampleLines: [3],
      }),
    ]);
    expect(JSON.parse(JSON.stringify(encoding))).toEqual(encoding);
  });

  it('folds values seen fewer than minCount times into id 0', async () => {
    const path = tempFile('click,purchase,city\n0,0,a\n0,0,b\n0,0,a\n0,0,c\n0,0,c\n0,0,c\n');
    const { dataset, encoding } = await loadCsvDataset(path, { minCount: 2 });
    expect(encoding.categorical[0].vocabulary).toEqual(['a', 'c']);
    expect(Array.from(dataset.categorical)).toEqual([1, 0, 1, 2, 2, 2]);
    expect(dataset.schema.categorical[0].vocabSize).toBe(3);
  });

  it('reuses an encoding: unseen values map to 0 and the vocabulary does not grow', async () => {
    const train = await loadCsvDataset(tempFile('click,purchase,city,price\n0,0,a,1.5\n1,0,b,2.5\n'));
    const scored = await loadCsvDataset(tempFile('click,purchase,city,price\n0,0,b,2.0\n1,1,z,3.5\n0,0,a,1.5\n'), {
      encoding: train.encoding,
    });
    expect(Array.from(scored.dataset.categorical)).toEqual([2, 0, 1]);
    expect(Array.from(scored.dataset.dense)).toEqual([0, 3, -1]);
    expect(scored.encoding).toEqual(train.encoding);
    expect(train.encoding.categorical[0].vocabulary).toEqual(['a', 'b']);
    expect(scored.dataset.schema.categorical[0].vocabSize).toBe(3);
  });

  it('loads the funnel sample with its label counts', async () => {
    const { dataset, roles, findings } = await loadCsvDataset(FUNNEL_SAMPLE);
    expect(roles).toEqual({
      click: 'click',
      action: ['action'],
      purchase: 'purchase',
      user: 'user_id',
      categorical: ['item_id', 'category', 'position'],
      dense: ['price'],
      truth: [],
      ignore: [],
    });
    expect(dataset.rows).toBe(12000);
    expect(count(dataset.labels.click)).toBe(2624);
    expect(count(dataset.labels.action)).toBe(934);
    expect(count(dataset.labels.purchase)).toBe(590);
    expect(findings).toEqual([]);
  });
});

describe('splits', () => {
  const fractions = { train: 0.7, validation: 0.1, test: 0.2 };

  it('splitRows is deterministic, disjoint and complete', () => {
    const a = splitRows(1000, fractions, 7);
    const b = splitRows(1000, fractions, 7);
    const c = splitRows(1000, fractions, 8);
    expect(a).toEqual(b);
    expect(a.train).not.toEqual(c.train);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([700, 100, 200]);
    const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('splitRows gives the parts it always gave, so a split stored by an older version still matches train --data', () => {
    const small = splitRows(20, { train: 0.8, validation: 0.1, test: 0.1 }, 7);
    expect([...small.train]).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 18, 19]);
    expect([...small.validation]).toEqual([11, 17]);
    expect([...small.test]).toEqual([0, 1]);
    const { test, validation } = splitRows(100_000, { train: 0.8, validation: 0.1, test: 0.1 }, 3);
    expect([test.length, validation[0], test[0], test.at(-1)]).toEqual([10_000, 5, 9, 99_989]);
    expect(test.reduce((hash, row) => (hash * 31 + row) >>> 0, 0)).toBe(3_999_181_620);
  });

  it('rejects fractions that do not sum to 1', () => {
    expect(() => splitRows(10, { train: 0.5, validation: 0.1, test: 0.1 }, 1)).toThrow(RangeError);
  });

  it('splitByUser keeps each user in one part', async () => {
    const { dataset } = await loadCsvDataset(FUNNEL_SAMPLE);
    const userIds = dataset.userIds as Int32Array;
    const split = splitByUser(userIds, fractions, 3);
    expect(split).toEqual(splitByUser(userIds, fractions, 3));
    const usersOf = (rows: Int32Array) => new Set(Array.from(rows, (row) => userIds[row]));
    const [train, validation, test] = [split.train, split.validation, split.test].map(usersOf);
    for (const user of validation) expect(train.has(user) || test.has(user)).toBe(false);
    for (const user of test) expect(train.has(user)).toBe(false);
    expect(split.train.length + split.validation.length + split.test.length).toBe(dataset.rows);
    expect(split.train.length / dataset.rows).toBeCloseTo(0.7, 1);

    const parts = takeSplit(dataset, split);
    expect(parts.test.rows).toBe(split.test.length);
    expect(parts.test.labels.click[0]).toBe(dataset.labels.click[split.test[0]]);
  });
});
