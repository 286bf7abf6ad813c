/**
 * Issue 21: an import reads each cell once (importers/parsed.ts) and, for a CSV or Parquet file, copies its rows
 * once, numbering them by their place in the copy (stage.ts, OrderedRows). These tests pin what that must keep:
 * every row's line, the meaning of each cell, the text of the first bad cell, a bad line deep in the file, and bag
 * ids in token order whichever way a bag is looked up.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src-main/engine/data/errors.js';
import {
  IMPORT_FIRST,
  importDataset,
  importFraction,
  readingProgress,
  type ImportOptions,
} from '../../src-main/engine/importers/import.js';
import { ImportError } from '../../src-main/engine/importers/validate.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { ident, isMissingSql, literal } from '../../src-main/engine/store/sql.js';
import { COPY_AS_PARQUET_SHARE, integerTwins, parsedItems, tokensSql } from '../../src-main/engine/importers/parsed.js';
import { textOf } from '../../src-main/engine/importers/stage.js';
import { suggestRoles } from '../../src-main/engine/data/roles.js';
import { listValue } from '@duckdb/node-api';

const dir = mkdtempSync(join(tmpdir(), 'esmc-import-parsed-'));
let project: Project;
let names = 0;
beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const importFile = (file: string, options: ImportOptions = {}) =>
  importDataset(project, file, { name: `d${names++}`, ...options });
const rowsOf = async (table: string, columns: string[]) =>
  project.all(`SELECT ${columns.map(ident).join(', ')} FROM ${ident(table)} ORDER BY row_id`);

describe('rows copied once, numbered by their place in the copy', () => {
  // More rows than DuckDB's row group (122,880), so both threads read parts of the file.
  const rows = 300_000;

  it('keeps every row of a CSV on its own line', async () => {
    const lines = ['click,purchase,seq,city'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 3 === 0 ? 1 : 0},0,${i + 2},c${i % 7}`);
    const progress: [number, string][] = [];
    const file = write('ordered.csv', lines.join('\n') + '\n');
    const { dataset } = await importFile(file, {
      roles: { truth: ['seq'], categorical: ['city'] },
      onProgress: (fraction, words) => progress.push([fraction, words]),
      progressEveryMs: 5,
    });
    expect(progress[0]).toEqual([0, IMPORT_FIRST]);
    expect(progress.at(-1)).toEqual([1, 'done']);
    expect(progress.map(([fraction]) => fraction)).toEqual(
      progress.map(([fraction]) => fraction).sort((a, b) => a - b),
    );
    // The bytes read, of the file's size: DuckDB counts a text file's progress in buffers, not rows.
    const reads = progress.filter(([, words]) => words.startsWith('reading the file:')).map(([, words]) => words);
    expect(reads.length).toBeGreaterThan(0);
    const size = (statSync(file).size / 1e6).toFixed(1);
    const read = reads.map((words) =>
      Number(new RegExp(`^reading the file: ([\\d.]+) of ${size} MB`).exec(words)?.[1]),
    );
    expect({ reads, read: read.every((mb) => mb >= 0 && mb <= Number(size)) }).toEqual({ reads, read: true });
    expect(read).toEqual([...read].sort((a, b) => a - b));
    const mismatched = await project.one(
      `SELECT count(*)::DOUBLE AS n FROM ${ident(dataset.tableName)}
       WHERE source_line <> "truth.seq" OR row_id <> source_line - 2`,
    );
    expect(Number(mismatched!.n)).toBe(0);
    expect(dataset.rows).toBe(rows);
  });

  it('keeps every row of a Parquet file in its place', async () => {
    const parquet = join(dir, 'ordered.parquet');
    await project.run(
      `COPY (SELECT (i % 3 = 0)::INTEGER AS click, 0 AS purchase, i + 1 AS seq, 'c' || (i % 7) AS city
             FROM range(${rows}) t(i)) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 50000)`,
    );
    const { dataset } = await importFile(parquet, { roles: { truth: ['seq'], categorical: ['city'] } });
    const row = await project.one(
      `SELECT count(*) FILTER (WHERE source_line <> "truth.seq")::DOUBLE AS n, max(source_line)::DOUBLE AS last
       FROM ${ident(dataset.tableName)}`,
    );
    expect(Number(row!.n)).toBe(0);
    expect(Number(row!.last)).toBe(rows);
  });

  it('copies a file large for the memory limit to Parquet, every row on its line, and removes the copy', async () => {
    // 41 MB against a 128 MB limit: past COPY_AS_PARQUET_SHARE of it.
    const lines = ['click,purchase,seq,city,note'];
    const note = 'n'.repeat(190);
    for (let i = 0; i < 200_000; i++) lines.push(`${i % 3 === 0 ? 1 : 0},0,${i + 2},c${i % 7},${note}${i % 11}`);
    const file = write('large.csv', lines.join('\n') + '\n');
    expect(statSync(file).size).toBeGreaterThan(128 * 2 ** 20 * COPY_AS_PARQUET_SHARE);
    const statements: string[] = [];
    const run = project.run.bind(project);
    project.run = (sql, params) => (statements.push(sql), run(sql, params));
    try {
      const { dataset } = await importFile(file, {
        roles: { truth: ['seq'], categorical: ['city', 'note'] },
        memoryLimit: '128MB',
      });
      const mismatched = await project.one(
        `SELECT count(*)::DOUBLE AS n FROM ${ident(dataset.tableName)}
         WHERE source_line <> "truth.seq" OR row_id <> source_line - 2`,
      );
      expect(Number(mismatched!.n)).toBe(0);
      expect(dataset.rows).toBe(200_000);
      // A ragged line deep in a large file is named as in a small one.
      lines[150_001] = '0,0,x,y,z,extra';
      const error = await importFile(write('large-ragged.csv', lines.join('\n') + '\n'), {
        memoryLimit: '128MB',
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/large-ragged\.csv:150002: expected 5 cells as in the header, got 6/);
    } finally {
      project.run = run;
    }
    const copies = statements.filter((sql) => /^COPY \(SELECT/.test(sql));
    expect(copies).toHaveLength(2);
    for (const copy of copies) expect(existsSync(/TO '([^']+\.parquet)'/.exec(copy)![1])).toBe(false);
  });

  it('names a ragged line deep in the file, and stores nothing', async () => {
    const lines = ['click,purchase,city'];
    for (let i = 0; i < 5000; i++) lines.push(i === 4321 ? '0,0,x,extra' : `0,0,c${i % 5}`);
    const before = (await project.datasets()).length;
    const error = await importFile(write('ragged-deep.csv', lines.join('\n') + '\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/ragged-deep\.csv:4323: expected 3 cells as in the header, got 4/);
    expect((await project.datasets()).length).toBe(before);
  });
});

describe('a CSV whose header names its labels, without quotes in its head', () => {
  /** The import's DuckDB statements, read or run, while `work` runs. */
  const statementsOf = async (work: () => Promise<unknown>) => {
    const statements: string[] = [];
    const [run, all] = [project.run.bind(project), project.all.bind(project)];
    project.run = (sql, params) => (statements.push(sql), run(sql, params));
    project.all = (sql, params) => (statements.push(sql), all(sql, params));
    try {
      await work();
    } finally {
      [project.run, project.all] = [run, all];
    }
    return statements;
  };

  it('is read as RFC 4180 text without the sniffer, a quoted cell past its head included', async () => {
    const lines = ['click,purchase,city,note'];
    for (let i = 0; i < 8000; i++) lines.push(`${i % 2},0,c${i % 5},n${i % 3}`);
    expect(lines.join('\n').length).toBeGreaterThan(1 << 16);
    lines.push('1,1,"far, away","say ""hi"""');
    let dataset: Awaited<ReturnType<typeof importFile>>['dataset'] | undefined;
    const statements = await statementsOf(async () => {
      ({ dataset } = await importFile(write('unquoted-head.csv', lines.join('\n') + '\n'), {
        roles: { categorical: ['city', 'note'] },
      }));
    });
    expect(statements.filter((sql) => sql.includes('sniff_csv'))).toEqual([]);
    expect(statements.filter((sql) => /LIMIT 1\)/.test(sql))).toEqual([]);
    expect(dataset!.rows).toBe(8001);
    const vocabulary = (name: string) =>
      dataset!.encoding.categorical.find((field) => field.name === name)?.vocabulary ?? [];
    expect(vocabulary('city')).toContain('far, away');
    expect(vocabulary('note')).toContain('say "hi"');
  });

  it('with a header and blank lines only, has no data rows', async () => {
    const error = await importFile(write('blank-rows.csv', 'click,purchase,city\n\n\n')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/blank-rows\.csv:2: the file has a header but no data rows/);
  });

  it('is sniffed when a quote is in its head', async () => {
    const statements = await statementsOf(() =>
      importFile(write('quoted-head.csv', 'click,purchase,city\n1,1,"a, b"\n0,0,c\n')),
    );
    expect(statements.filter((sql) => sql.includes('sniff_csv'))).toHaveLength(1);
  });
});

describe('progress while the file is read', () => {
  it('says the rows read and the time left, between staging and the checks', () => {
    const [fraction, words] = readingProgress({ share: 0.25, bytes: 167_000_000, seconds: 2 });
    expect(fraction).toBeCloseTo(
      importFraction('staged') + (importFraction('validated') - importFraction('staged')) / 4,
    );
    expect(words).toBe('reading the file: 42 of 167 MB, about 6 s left');
    expect(readingProgress({ share: 0.01, bytes: 1_674_000_000, seconds: 0.5 })[1]).toBe(
      'reading the file: 0.02 of 1.67 GB',
    );
    expect(readingProgress({ share: 0.5, bytes: 4_500_000, seconds: 0.1 })[1]).toBe(
      'reading the file: 2.3 of 4.5 MB, less than a second left',
    );
  });
});

describe('each cell read once, with the meaning it had', () => {
  it('labels, numbers and missing values as the CSV loader reads them', async () => {
    const path = write(
      'meanings.csv',
      ['click,purchase,price,city', '1.0,0, 1.5 ,a', ' 0 ,0,NA,b', '0.0,0,nan,a', '1,1.0,2e3,b', '1,0,-0.5,a'].join(
        '\n',
      ),
    );
    const { profile, dataset } = await importFile(path, { roles: { dense: ['price'] } });
    expect(profile.funnel.counts).toMatchObject({ exposures: 5, clicks: 3, purchases: 1 });
    const price = profile.columns.find((c) => c.name === 'price');
    expect(price).toMatchObject({ kind: 'dense', missing: 2, min: -0.5, max: 2000 });
    expect(price!.kind === 'dense' && price!.mean).toBeCloseTo((1.5 + 2000 - 0.5) / 3, 9);
    const dense = (await rowsOf(dataset.tableName, ['dense.price'])).map((row) => Number(row['dense.price']));
    // Missing values are the mean: 0 once standardized.
    expect(dense[1]).toBe(0);
    expect(dense[2]).toBe(0);
    expect(dense[3]).toBeGreaterThan(1);
  });

  it('names every bad cell by the text it had, the first one in the message', async () => {
    const path = write(
      'bad-cells.csv',
      ['click,purchase,price,p_true', '0,0,1,0.1', '1,0,inf,0.2', '0,2,abc,', '1,0,-1e999,0.3', '0,0,4,0.4'].join('\n'),
    );
    const error = (await importFile(path, { roles: { dense: ['price'], truth: ['p_true'], categorical: [] } }).catch(
      (e: unknown) => e,
    )) as ImportError;
    expect(error).toBeInstanceOf(ImportError);
    expect(error.message).toMatch(/bad-cells\.csv:4:2: column "purchase": label must be 0 or 1, got "2" \(1 rows\)/);
    expect(error.findings).toContainEqual(
      expect.objectContaining({
        code: 'dense-not-number',
        column: 'price',
        count: 3,
        exampleLines: [3, 4, 5],
        message: 'column "price": a dense feature must be a number, got "inf" (3 rows)',
      }),
    );
    expect(error.findings).toContainEqual(
      expect.objectContaining({ code: 'truth-not-number', column: 'p_true', count: 1, exampleLines: [4] }),
    );
  });

  it('refuses a log1p column at -1 or below as a finding, not a failed logarithm', async () => {
    const path = write('log.csv', ['click,purchase,views', '0,0,3', '1,0,-1', '0,0,-2.5', '1,0,0'].join('\n'));
    const error = (await importFile(path, { roles: { dense: ['views'] }, logDense: ['views'] }).catch(
      (e: unknown) => e,
    )) as ImportError;
    expect(error).toBeInstanceOf(ImportError);
    expect(error.message).toMatch(
      /log\.csv:3:3: column "views": a dense feature must be a number > -1 \(log1p\), got "-1" \(2 rows\)/,
    );
  });
});

describe('bags in token order, whichever way they are looked up', () => {
  /** Ids by frequency, ties by value, as the import ranks them. */
  const ranks = (bags: string[][]) => {
    const counts = new Map<string, number>();
    for (const token of bags.flat()) counts.set(token, (counts.get(token) ?? 0) + 1);
    const order = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Map(order.map(([token], i) => [token, i + 1]));
  };

  it('a short vocabulary (searched per token) and a long one (joined) give the same ids as ranked here', async () => {
    const short: string[][] = [];
    const long: string[][] = [];
    for (let i = 0; i < 3000; i++) {
      short.push(i % 11 === 0 ? [] : [`s${i % 5}`, `s${(i * 7) % 9}`, `s${i % 3}`]);
      long.push([`l${(i * 13) % 1500}`, `l${i % 1700}`]);
    }
    const lines = ['click,purchase,short,long'];
    short.forEach((bag, i) => lines.push(`${i % 2},0,${bag.join('|')},${long[i].join('|')}`));
    const { dataset } = await importFile(write('bags.csv', lines.join('\n')), {
      roles: { multiHot: ['short', 'long'], categorical: [] },
    });
    const encoding = (await project.dataset(dataset.name)).encoding;
    expect(encoding.multiHot!.find((b) => b.name === 'long')!.vocabulary.length).toBeGreaterThan(1024);
    const stored = await rowsOf(dataset.tableName, ['bag.short', 'bag.long']);
    const [shortIds, longIds] = [ranks(short), ranks(long)];
    expect(stored.map((row) => (row['bag.short'] as number[]).map(Number))).toEqual(
      short.map((bag) => bag.map((token) => shortIds.get(token)!)),
    );
    expect(stored.map((row) => (row['bag.long'] as number[]).map(Number))).toEqual(
      long.map((bag) => bag.map((token) => longIds.get(token)!)),
    );
  });
});

describe('a bag cell split as it is, when it can be', () => {
  // The whole rule, written once here as the import wrote it before splitting plain cells directly (tokensSql).
  const everyToken = (cell: string) =>
    `(CASE WHEN ${isMissingSql(cell)} THEN []::VARCHAR[] ELSE list_filter(list_transform(string_split(${cell}, '|'), t -> trim(t)), t -> t <> '') END)`;

  it('gives the tokens the whole rule gives, for plain cells and for every kind of exception', async () => {
    const cells = [
      'a|b|c',
      '78|91|112|118',
      '117',
      'x',
      'a|b',
      'abcde',
      'NA',
      'na',
      'NaN',
      'null',
      'NONE',
      'none|x',
      'nan|nan',
      'Nan ',
      ' na',
      '',
      ' ',
      '|',
      'a||b',
      '|a',
      'a|',
      ' a | b ',
      'a |b',
      'a\tb',
      '\ta',
      'a| |b',
      'x y|z',
      'nul',
      'nones',
      'ñ|日本',
      null,
    ];
    const rows = await project.all(
      `SELECT cell, ${tokensSql(ident('cell'))} AS fast, ${everyToken(ident('cell'))} AS whole
       FROM (SELECT unnest($1::VARCHAR[]) AS cell)`,
      [listValue(cells)],
    );
    expect(rows).toHaveLength(cells.length);
    for (const row of rows) expect([row.cell, row.fast]).toEqual([row.cell, row.whole]);
    expect(rows.find((row) => row.cell === 'a|b|c')!.fast).toEqual(['a', 'b', 'c']);
    expect(rows.find((row) => row.cell === 'NA')!.fast).toEqual([]);
  });
});

describe('a Parquet file parsed from its typed columns', () => {
  it('gives every cell the meaning its text gives, for each type read directly', async () => {
    const file = join(dir, 'typed.parquet');
    // The value of row i: one of `values` (texts cast to `type`, null for NULL) in turn.
    const pick = (values: (string | null)[], type: string) =>
      `(CASE i % ${values.length} ${values.map((value, k) => `WHEN ${k} THEN ${value === null ? 'NULL' : literal(value)}::${type}`).join(' ')} END)`;
    const columns: Record<string, string> = {
      label_int: pick(['0', '1', '2', '-1', null], 'INTEGER'),
      label_bigint: pick(['1', '0', '10'], 'BIGINT'),
      label_bool: pick(['true', 'false', null], 'BOOLEAN'),
      label_double: pick(['0.0', '1.0', '0.5', 'nan', 'inf', null, '2.0'], 'DOUBLE'),
      // Apart from 0.0, which the Parquet writer's dictionary would take it for.
      label_negative_zero: pick(['-0.0', '1.0'], 'DOUBLE'),
      label_float: pick(['0.0', '1.0', '0.5'], 'FLOAT'),
      label_decimal: pick(['0', '1', '1.5'], 'DECIMAL(4,2)'),
      label_text: pick(['0', '1', ' 1', '1.0', 'yes', null], 'VARCHAR'),
      num_int: `(hash(i) % 2000000)::INTEGER - 1000000`,
      num_hugeint: pick(['170141183460469231731687303715884105727', '-3', '0', null], 'HUGEINT'),
      num_ubigint: pick(['18446744073709551615', '9007199254740993', '7'], 'UBIGINT'),
      num_bool: pick(['true', 'false', null], 'BOOLEAN'),
      num_double: `(CASE WHEN i % 11 = 0 THEN ${pick(['nan', 'inf', '-inf', '-0.0', '5e-324', '1.7976931348623157e308', null], 'DOUBLE')}
                   ELSE (hash(i) % 1000003)::DOUBLE / 7 * pow(10, (hash(i * 3) % 41)::INTEGER - 20) END)`,
      num_float: `(hash(i) % 1000)::FLOAT / 3`,
      num_decimal: `((hash(i) % 100000)::DECIMAL(12,3) / 1000)::DECIMAL(12,3)`,
      num_text: pick(['1.5', ' 2', 'NA', 'x', '', '1e3', null], 'VARCHAR'),
      bag_int: pick(['[1, 2]', '[]', null, '[3, NULL, 4]', '[NULL]', '[-5]'], 'INTEGER[]'),
      bag_bigint: pick(['[10, 20]', '[30]'], 'BIGINT[]'),
      bag_text: pick(["['a', ' b ']", "['NA']", "['']", "['c|d']", null, "['na', 'x']"], 'VARCHAR[]'),
      cat_int: `(i % 13)::INTEGER`,
      cat_double: pick(['0.5', '1.0', '-0.0'], 'DOUBLE'),
      cat_smallint: pick(['-7', '0', null, '32767'], 'SMALLINT'),
      cat_ubigint: pick(['18446744073709551615', '9007199254740993', null], 'UBIGINT'),
      cat_bool: pick(['true', 'false', null], 'BOOLEAN'),
    };
    await project.run(
      `COPY (SELECT ${Object.entries(columns)
        .map(([name, value]) => `${value} AS ${name}`)
        .join(', ')} FROM range(5000) r(i)) TO '${file}' (FORMAT parquet)`,
    );
    const names = Object.keys(columns);
    const roles = {
      ...suggestRoles(names, []),
      click: 'label_int',
      purchase: 'label_double',
      action: ['label_bigint', 'label_bool', 'label_float', 'label_decimal', 'label_text', 'label_negative_zero'],
      dense: names.filter((name) => name.startsWith('num_')),
      truth: [],
      multiHot: names.filter((name) => name.startsWith('bag_')),
      categorical: ['cat_int', 'cat_double', 'cat_smallint', 'cat_ubigint', 'cat_bool'],
      user: undefined,
      timestamp: undefined,
      ignore: [],
    };
    const source = `read_parquet('${file}')`;
    const typed = (await project.all(`DESCRIBE SELECT * FROM ${source}`)).map((row) => ({
      name: String(row.column_name),
      type: String(row.column_type),
    }));
    const asText = `(SELECT ${typed.map((column) => `${textOf(column)} AS ${ident(column.name)}`).join(', ')} FROM ${source})`;
    const directly = await project.all(`SELECT ${parsedItems(roles, typed).join(', ')} FROM ${source}`);
    const fromText = await project.all(`SELECT ${parsedItems(roles).join(', ')} FROM ${asText}`);
    expect(directly).toHaveLength(5000);
    // An integer categorical column also has its twin, whose text is the column's.
    const twins = integerTwins(roles, typed);
    expect([...twins.keys()]).toEqual(['cat_int', 'cat_smallint', 'cat_ubigint']);
    for (const row of directly)
      for (const [name, twin] of twins) {
        const integer = row[twin];
        expect(integer === null ? null : String(integer)).toBe(row[name]);
        delete row[twin];
      }
    expect(directly).toEqual(fromText);
    // Every typed reading above was taken (the test would compare the text route with itself otherwise).
    for (const name of ['label_int', 'label_bool', 'label_double', 'num_int', 'num_hugeint', 'num_double', 'bag_int'])
      expect(parsedItems(roles, typed).find((item) => item.endsWith(`AS ${ident(name)}`))).not.toMatch(/VARCHAR\)/);
  });

  it('encodes integer categorical and user columns as their text, whichever way they are looked up', async () => {
    // user: 300 users and missing ones; item: a long vocabulary (joined); shop: a short one, negative values.
    const select = `SELECT (i % 3 = 0)::INTEGER AS click, (i % 9 = 0)::INTEGER AS purchase,
                           CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 7919) % 300 END::INTEGER AS user_id,
                           CASE WHEN i % 23 = 0 THEN NULL ELSE hash(i) % 200 END::BIGINT AS item,
                           ((i % 5) - 2)::SMALLINT AS shop
                    FROM range(3000) r(i)`;
    const parquet = join(dir, 'integers.parquet');
    const csv = join(dir, 'integers.csv');
    await project.run(`COPY (${select}) TO '${parquet}' (FORMAT parquet)`);
    await project.run(`COPY (${select}) TO '${csv}' (HEADER)`);
    const roles = { categorical: ['item', 'shop'], user: 'user_id', userFeature: true };
    const encoded = async (file: string, options: ImportOptions = {}) => {
      const { dataset } = await importFile(file, { roles, ...options });
      return rowsOf(dataset.tableName, ['user_key', 'cat.user_id', 'cat.item', 'cat.shop']);
    };
    const fromText = await encoded(csv);
    expect(new Set(fromText.map((row) => row['cat.item'])).size).toBeGreaterThan(64);
    expect(await encoded(parquet)).toEqual(fromText);

    // A reused encoding's values that are not an integer's one spelling ('007', '+5') name no cell.
    const { dataset } = await importFile(csv, { roles });
    const encoding = structuredClone(dataset.encoding);
    const spellings = ['007', '+5', '-0', '1e1', ' 3'];
    for (const field of encoding.categorical) field.vocabulary = [...spellings, ...field.vocabulary];
    const reused = await encoded(parquet, { encoding, roles: undefined });
    expect(reused).toEqual(await encoded(csv, { encoding, roles: undefined }));
    const ids = reused.flatMap((row) => [row['cat.user_id'], row['cat.item'], row['cat.shop']]) as number[];
    expect(ids.filter((id) => id >= 1 && id <= spellings.length)).toEqual([]);
    expect(ids.filter((id) => id > spellings.length).length).toBeGreaterThan(8000);
  });
});
