import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importCommand } from '../../src-main/cli/commands/import.js';
import { parseRoles } from '../../src-main/cli/roles.js';
import { hashBucket } from '../../src-main/engine/data/encode.js';
import { openCsv } from '../../src-main/engine/data/csv.js';
import { samplePath } from '../helpers/datasets.js';
import { AITM_COLUMNS } from '../../src-main/engine/importers/formats.js';
import { importDataset, type ImportOptions } from '../../src-main/engine/importers/import.js';
import { ImportError } from '../../src-main/engine/importers/validate.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';
import { SIMULATOR_PRESETS, TRUTH_COLUMNS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';

const shared = samplePath;
const dir = mkdtempSync(join(tmpdir(), 'esmc-import-'));
let project: Project;
beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

let names = 0;
const importFile = (file: string, options: ImportOptions = {}) =>
  importDataset(project, file, { name: `d${names++}`, ...options });

function write(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Plain JS over the file, independent of DuckDB: header-led CSV with unquoted cells. */
function csvRows(path: string): Record<string, string>[] {
  let lines = readFileSync(path, 'utf8').trim().split('\n');
  // aitm_test.csv comes without its header line.
  const names = /[a-z]/.test(lines[0]) ? lines[0].split(',') : AITM_COLUMNS;
  if (names !== AITM_COLUMNS) lines = lines.slice(1);
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])));
}

describe('each sample in ../shared/datasets imports with the funnel counted independently', () => {
  it.each([
    ['ali-ccp-torch-rechub/ali_ccp_train_sample.csv', 'aliccp', 'purchase'],
    ['ali-ccp-torch-rechub/ali_ccp_val_sample.csv', 'aliccp', 'purchase'],
    ['ali-ccp-paddlerec/aitm_train.csv', 'aliccp', 'purchase'],
    ['ali-ccp-paddlerec/aitm_test.csv', 'aliccp', 'purchase'],
    ['aliexpress-torch-rechub/aliexpress_train_sample.csv', 'aliexpress', 'conversion'],
    ['aliexpress-torch-rechub/aliexpress_test_sample.csv', 'aliexpress', 'conversion'],
  ])('%s', async (path, format, purchaseColumn) => {
    const rows = csvRows(shared(path));
    const kept = rows.filter((r) => !(r.click === '0' && r[purchaseColumn] === '1'));
    const result = await importFile(shared(path));
    expect(result.format).toBe(format);
    expect(result.profile.funnel.counts).toMatchObject({
      exposures: kept.length,
      clicks: kept.filter((r) => r.click === '1').length,
      purchases: kept.filter((r) => r.click === '1' && r[purchaseColumn] === '1').length,
      actions: null,
    });
    const dropped = rows.length - kept.length;
    if (dropped > 0)
      expect(result.findings).toContainEqual(expect.objectContaining({ code: 'funnel-rows-dropped', count: dropped }));
    expect(result.dataset.rows).toBe(kept.length);
  });

  it.each([
    ['count-as-click', 'userbehavior_first_4321_lines.csv'],
    ['drop', 'userbehavior_first_4321_lines.csv'],
    ['count-as-click', 'userbehavior_slice_20171126_0900-1029_cst.csv'],
  ] as const)('Taobao UserBehavior, buys without pv: %s (%s)', async (buysWithoutPv, file) => {
    const pairs = new Map<string, Set<string>>();
    for (const line of readFileSync(shared(`taobao-userbehavior/${file}`), 'utf8')
      .trim()
      .split('\n')) {
      const [user, item, , behavior] = line.split(',');
      const key = `${user},${item}`;
      if (!pairs.has(key)) pairs.set(key, new Set());
      pairs.get(key)!.add(behavior);
    }
    let exposures = 0;
    let clicks = 0;
    let actions = 0;
    let purchases = 0;
    let withoutAction = 0;
    for (const behaviors of pairs.values()) {
      const buy = behaviors.has('buy');
      if (!behaviors.has('pv') && buy && buysWithoutPv === 'drop') continue;
      const click = behaviors.has('pv') || (buy && buysWithoutPv === 'count-as-click');
      const action = behaviors.has('cart') || behaviors.has('fav');
      if (!click && (action || buy)) continue; // a funnel violation, dropped by default
      exposures++;
      if (!click) continue;
      clicks++;
      if (action) actions++;
      if (buy) purchases++;
      if (buy && !action) withoutAction++;
    }
    const result = await importFile(shared(`taobao-userbehavior/${file}`), { buysWithoutPv });
    expect(result.format).toBe('taobao');
    expect(result.profile.funnel.counts).toMatchObject({
      exposures,
      clicks,
      actions,
      purchases,
      purchasesWithoutAction: withoutAction,
    });
    expect(result.dataset.roles.timestamp).toBe('timestamp');
    if (file.startsWith('userbehavior_first')) {
      // The README's per-pair counts of pv pairs: pv∧(cart∨fav) = 123, pv∧buy = 50.
      const pvPairs = [...pairs.values()].filter((b) => b.has('pv'));
      expect(pvPairs.length).toBe(3121);
      expect(pvPairs.filter((b) => b.has('cart') || b.has('fav')).length).toBe(123);
    }
  });

  it('the simulator output, CSV and Parquet, keeps its truth columns', async () => {
    const config = { ...SIMULATOR_PRESETS['paper-like'], rows: 3000, users: 100, items: 200 };
    for (const format of ['csv', 'parquet'] as const) {
      const path = join(dir, `sim.${format}`);
      const stats = await writeSimulation(config, path, { format });
      const result = await importFile(path);
      expect(result.format).toBe('simulator');
      expect(result.profile.funnel.counts).toMatchObject({
        exposures: 3000,
        clicks: stats.clicks,
        actions: stats.actions,
        purchases: stats.purchases,
        purchasesWithoutAction: stats.purchasesWithoutAction,
      });
      expect(result.dataset.roles.truth).toEqual([...TRUTH_COLUMNS]);
      expect(result.dataset.roles.multiHot).toEqual(['user_tags']);
      const data = await readDataset(project, result.dataset.name);
      expect(Object.keys(data.truth!)).toEqual([...TRUTH_COLUMNS]);
      // What training reads: the same rows without the truth columns.
      const withoutTruth = await readDataset(project, result.dataset.name, undefined, { truth: false });
      expect(withoutTruth.truth).toBeUndefined();
      expect(Array.from(withoutTruth.categorical)).toEqual(Array.from(data.categorical));
      expect(Array.from(withoutTruth.dense)).toEqual(Array.from(data.dense));
      expect(Array.from(withoutTruth.rowIds!)).toEqual(Array.from(data.rowIds!));
      expect(data.schema.multiHot[0].maxLength).toBe(6);
      expect(data.schema.categorical[0].name).toBe('user_id');
    }
  });

  it('the raw Ali-CCP layout: skeleton joined with common features, multi-valued fields as bags', async () => {
    // A fixture in the documented layout (models-reference §10.1): \x01 between entries, \x02 before the
    // feature id, \x03 before its value; common features keyed by an md5-like index.
    const entry = (field: string, feature: string) => `${field}\x02${feature}\x031.0`;
    const skeleton = [
      ['1', '1', '1', 'u1', '3', [entry('205', '7001'), entry('206', '61'), entry('210', '91'), entry('210', '92')]],
      ['2', '0', '0', 'u1', '2', [entry('205', '7002'), entry('206', '62')]],
      ['3', '1', '0', 'u2', '2', [entry('205', '7001'), entry('206', '61')]],
      ['4', '0', '1', 'u2', '1', [entry('205', '7003')]],
    ].map(
      ([id, click, conversion, index, num, entries]) =>
        `${id},${click},${conversion},${index},${num},${(entries as string[]).join('\x01')}`,
    );
    const common = [
      `u1,3,${[entry('101', '11'), entry('124', '1'), entry('109_14', '501'), entry('109_14', '502')].join('\x01')}`,
      `u2,2,${[entry('101', '12'), entry('124', '2'), entry('109_14', '503')].join('\x01')}`,
    ];
    const path = write('sample_skeleton_train.csv', `${skeleton.join('\n')}\n`);
    write('common_features_train.csv', `${common.join('\n')}\n`);
    const result = await importFile(path);
    expect(result.format).toBe('aliccp-raw');
    // Row 4 has a conversion without a click: dropped.
    expect(result.profile.funnel.counts).toMatchObject({ exposures: 3, clicks: 2, purchases: 1 });
    expect(result.dataset.roles).toMatchObject({ user: '101', multiHot: ['109_14', '210'] });
    const rows = await project.all(
      `SELECT "bag.109_14" AS history, "bag.210" AS node, "cat.101" AS user FROM ${result.dataset.tableName} ORDER BY row_id`,
    );
    const encoding = result.dataset.encoding;
    const history = encoding.multiHot!.find((f) => f.name === '109_14')!.vocabulary;
    const decode = (ids: number[]) => ids.map((id) => history[id - 1]);
    expect(rows.map((r) => decode(r.history as number[]))).toEqual([['501', '502'], ['501', '502'], ['503']]);
    expect((rows[0].node as number[]).length).toBe(2);
    expect(rows[2].node).toEqual([]);

    rmSync(join(dir, 'common_features_train.csv'));
    await expect(importFile(path)).rejects.toThrow(/common_features_train\.csv.*file not found/);
  });

  it.each(['esmm_train_small.txt', 'esmm_test_small.txt'])(
    "PaddleRec's Ali-CCP samples (%s): recognised by their first line, one column per field, histories as bags",
    async (name) => {
      const path = shared(`ali-ccp-paddlerec/${name}`);
      // Counted and split apart in plain JS: sample_idx,click,conversion, then field:feasign entries.
      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(','));
      const result = await importFile(path);
      expect(result.format).toBe('aliccp-paddle');
      const kept = lines.filter(([, click, conversion]) => !(click === '0' && conversion === '1'));
      expect(result.profile.funnel.counts).toMatchObject({
        exposures: kept.length,
        clicks: kept.filter(([, click]) => click === '1').length,
        purchases: kept.filter(([, click, conversion]) => click === '1' && conversion === '1').length,
        actions: null,
      });
      expect(result.dataset.roles).toMatchObject({ click: 'click', purchase: 'purchase', user: '101', item: '205' });
      expect(result.dataset.roles.multiHot).toEqual(
        expect.arrayContaining(['210', '109_14', '110_14', '127_14', '150_14']),
      );
      // Every field of the file is a column, in the documentation's order, and field 126 (absent) is not.
      const fields = new Set(lines.flatMap((cells) => cells.slice(3).map((entry) => entry.split(':')[0])));
      expect(result.dataset.roles.categorical.length + result.dataset.roles.multiHot!.length).toBe(fields.size);
      expect(fields.has('126')).toBe(false);
      // Field 210's bag of the first kept line: its feasigns in the line's order.
      const node = result.dataset.encoding.multiHot!.find((f) => f.name === '210')!.vocabulary;
      const [first] = await project.all(
        `SELECT "bag.210" AS node FROM ${result.dataset.tableName} ORDER BY row_id LIMIT 1`,
      );
      const expected = kept[0]
        .slice(3)
        .filter((entry) => entry.startsWith('210:'))
        .map((entry) => entry.slice(4));
      expect((first.node as number[]).map((id) => node[id - 1])).toEqual(expected);
    },
  );

  it("PaddleRec's layout with an entry that is not field:feasign names its line and cell", async () => {
    const line = (idx: number, click: number, conversion: number, entries: string[]) =>
      [idx, click, conversion, ...entries].join(',');
    const path = write(
      'paddle.txt',
      [
        line(1, 1, 0, ['101:1', '205:7', '210:3', '210:4']),
        line(2, 0, 0, ['101:2', '205:8', '2109', '210:5']),
        line(3, 1, 1, ['101:1', '205:7']),
      ].join('\n'),
    );
    await expect(importFile(path, { format: 'aliccp-paddle' })).rejects.toThrow(
      /paddle\.txt:2:6: feature entries must read field:feasign \(PaddleRec's Ali-CCP samples\), got "2109" \(1 malformed entries\)/,
    );
    // Not recognised on its own either: its first line is fine, so auto reads it as this layout and says the same.
    await expect(importFile(path)).rejects.toThrow(/paddle\.txt:2:6: feature entries must read field:feasign/);
  });

  it('JSON lines, arrays as bags', async () => {
    const lines = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        click: i % 2,
        purchase: i % 4 === 1 ? 1 : 0,
        city: `c${i % 3}`,
        tags: [i % 5, (i + 1) % 5],
        price: i * 1.5,
      }),
    );
    const result = await importFile(write('rows.jsonl', `${lines.join('\n')}\n`));
    expect(result.format).toBe('jsonl');
    expect(result.profile.funnel.counts).toMatchObject({ exposures: 20, clicks: 10, purchases: 5 });
    expect(result.dataset.roles).toMatchObject({ categorical: ['city'], multiHot: ['tags'], dense: ['price'] });
  });
});

describe('validation: every finding, from a crafted file', () => {
  const expectError = async (path: string, message: RegExp, options: ImportOptions = {}) => {
    const error = await importFile(path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    return error;
  };

  it('labels that are not 0/1: the first offending line and value, with the count', async () => {
    const path = write('labels.csv', 'click,purchase,city\n0,0,a\n1,0,b\n2,0,c\n1,yes,d\n0,0,e\n');
    const error = (await expectError(
      path,
      /labels\.csv:4:1: column "click": label must be 0 or 1, got "2" \(1 rows\)/,
    )) as ImportError;
    expect(error.findings).toContainEqual(
      expect.objectContaining({ code: 'label-not-binary', column: 'purchase', exampleLines: [5] }),
    );
  });

  it('funnel violations: dropped with a warning, kept, or failing', async () => {
    const path = write('funnel.csv', 'click,purchase,city\n0,0,a\n0,1,b\n1,1,c\n0,1,d\n1,0,e\n');
    const dropped = await importFile(path);
    expect(dropped.dataset.rows).toBe(3);
    expect(dropped.findings).toContainEqual(
      expect.objectContaining({ severity: 'warning', code: 'funnel-rows-dropped', count: 2, exampleLines: [3, 5] }),
    );
    // Rows are numbered 0.. in file order both when lines were dropped and when every line is kept.
    const numbered = (table: string) => project.all(`SELECT row_id, source_line FROM "${table}" ORDER BY source_line`);
    expect(await numbered(dropped.dataset.tableName)).toEqual([
      { row_id: 0, source_line: 2n },
      { row_id: 1, source_line: 4n },
      { row_id: 2, source_line: 6n },
    ]);
    const kept = await importFile(path, { funnelPolicy: 'keep' });
    expect(kept.dataset.rows).toBe(5);
    expect(await numbered(kept.dataset.tableName)).toEqual(
      [0, 1, 2, 3, 4].map((row) => ({ row_id: row, source_line: BigInt(row + 2) })),
    );
    expect(kept.profile.funnel.counts.funnelViolations).toBe(2);
    await expectError(path, /funnel\.csv:3:2: .*needs a click first \(2 such rows/, { funnelPolicy: 'fail' });
  });

  it('missing values, constant and near-unique columns', async () => {
    const lines = ['click,purchase,city,constant,order_no,price'];
    for (let i = 0; i < 60; i++)
      lines.push(`${i % 2},0,${i === 3 || i === 7 ? '' : `c${i % 4}`},same,o${i},${i === 5 ? 'NA' : `${i}.5`}`);
    const result = await importFile(write('columns.csv', `${lines.join('\n')}\n`));
    expect(result.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'missing-values', column: 'city', count: 2, exampleLines: [5, 9] }),
        expect.objectContaining({ code: 'missing-values', column: 'price', count: 1, exampleLines: [7] }),
        expect.objectContaining({ severity: 'warning', code: 'constant-column', column: 'constant' }),
        expect.objectContaining({ severity: 'warning', code: 'near-unique-column', column: 'order_no', count: 60 }),
      ]),
    );
    expect(result.findings.filter((f) => f.column === 'city' && f.code !== 'missing-values')).toEqual([]);
  });

  it('a header that names a column twice: refused as `train --data` refuses it, never a feature click_1', async () => {
    const text = 'user_id,click,price,click,purchase\n1,0,2.5,0,0\n2,1,3.5,1,1\n';
    const path = write('twice.csv', text);
    await expectError(path, /twice\.csv:1:4: column name "click" repeats column 2$/);
    const reader = await openCsv(path).catch((e: unknown) => e as Error);
    expect((reader as Error).message).toMatch(/twice\.csv:1:4: column name "click" repeats column 2$/);
  });

  it('an unterminated quote: refused where it opens, as `train --data` refuses it, never a value "713', async () => {
    const path = write('quote.csv', 'user_id,item_id,click,purchase\n1,2,1,0\n2,"713,1,1\n3,5,0,0\n4,6,1,0\n');
    await expectError(path, /quote\.csv:3: unterminated quote: the quoted cell opened here never closes$/);
    const reader = await openCsv(path);
    const read = async () => {
      for await (const row of reader.rows) void row;
    };
    await expect(read()).rejects.toThrow(
      /quote\.csv:3:2: unterminated quote: the quoted cell opened here never closes$/,
    );
    // Quotes that close are read as RFC 4180 says, by both.
    const quoted = write('quoted.csv', 'user_id,item_id,click,purchase\n1,"a,b",1,0\n2,"say ""hi""",1,1\n3,c,0,0\n');
    const result = await importFile(quoted, { roles: { categorical: ['item_id'], dense: [] } });
    expect(result.profile.columns.find((c) => c.name === 'item_id')).toMatchObject({ distinct: 3 });
  });

  it('JSON lines: the line that is not JSON, not the next one where the parser gave up', async () => {
    const rows = [
      '{"click": 1, "purchase": 0, "city": "a"}',
      '{"click": 0, "purchase": 0, "city": "b"}',
      '{"click": 1, "purchase": 1, "city": "c"',
      '{"click": 0, "purchase": 0, "city": "d"}',
    ];
    await expectError(write('bad.jsonl', `${rows.join('\n')}\n`), /bad\.jsonl:3: not a JSON object on one line: /);
  });

  it('NaN in a dense column is a missing value, as docs/data.md and `train --data` say', async () => {
    const lines = ['click,purchase,price'];
    for (let i = 0; i < 40; i++)
      lines.push(`${i % 2},${i % 4 === 1 ? 1 : 0},${[3, 11].includes(i) ? 'NaN' : i === 20 ? 'nan' : `${i}.5`}`);
    const result = await importFile(write('nan.csv', `${lines.join('\n')}\n`), {
      roles: { dense: ['price'], categorical: [] },
    });
    expect(result.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'missing-values', column: 'price', count: 3, exampleLines: [5, 13, 22] }),
      ]),
    );
    const price = result.profile.columns.find((column) => column.name === 'price')!;
    expect(price).toMatchObject({ missing: 3 });
    expect((price as { mean: number }).mean).toBeCloseTo((800 - (3.5 + 11.5 + 20.5)) / 37, 6);
  });

  it('a dense value that is not a number', async () => {
    const path = write('dense.csv', 'click,purchase,price\n0,0,1.5\n1,0,2.5\n1,1,abc\n');
    await expectError(path, /dense\.csv:4:3: column "price": a dense feature must be a number, got "abc"/, {
      roles: { dense: ['price'], categorical: [] },
    });
  });

  it('empty file, header only, file not found, wrong encoding, ragged rows', async () => {
    await expectError(write('empty.csv', ''), /empty\.csv is empty \(0 bytes\)/);
    await expectError(write('header.csv', 'click,purchase\n'), /header\.csv:2: the file has a header but no data rows/);
    await expectError(join(dir, 'missing.csv'), /missing\.csv: file not found: /);
    const latin1 = Buffer.concat([
      Buffer.from('click,purchase,city\n0,0,a\n1,0,'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    await expectError(write('latin1.csv', latin1), /latin1\.csv:3: the file is not UTF-8/);
    await expectError(
      write('ragged.csv', 'click,purchase,city\n0,0,a\n1,0\n1,1,c\n'),
      /ragged\.csv:3: expected 3 cells as in the header, got 2/,
    );
    // A long row counted whole, as train --data counts it (DuckDB stops one cell past the header).
    await expectError(
      write('long-row.csv', 'click,purchase,city\n0,0,a\n1,0,b,"x,y",5,6,7,8,9\n1,1,c\n'),
      /long-row\.csv:3: expected 3 cells as in the header, got 9 \(ragged row\)$/,
    );
    await expectError(write('not.parquet', 'click\n1\n'), /not\.parquet: not a Parquet file/);
  });

  it('roles that do not fit the file', async () => {
    const path = write('roles.csv', 'seen,buy,city\n0,0,a\n1,1,b\n');
    await expectError(path, /no column looks like the click label/);
    expect((await importFile(path, { roles: parseRoles('click=seen') })).dataset.roles.click).toBe('seen');
    await expectError(path, /column "city" cannot be both categorical and dense/, {
      roles: { click: 'seen', dense: ['city'] },
    });
    await expectError(path, /the user column "uid" is not in the data/, { roles: { click: 'seen', user: 'uid' } });
  });
});

describe('encoding', () => {
  it('round-trips: the same file encoded with the stored encoding gets the same ids', async () => {
    const lines = ['click,purchase,city,tags,price'];
    for (let i = 0; i < 200; i++)
      lines.push(
        `${i % 3 === 0 ? 1 : 0},${i % 9 === 0 ? 1 : 0},c${(i * 7) % 11},t${i % 4}|t${i % 6},${(i % 13) * 2.5}`,
      );
    const path = write('roundtrip.csv', `${lines.join('\n')}\n`);
    const first = await importFile(path, { minCount: 15, logDense: ['price'], roles: { multiHot: ['tags'] } });
    const second = await importFile(path, { encoding: first.dataset.encoding });
    const a = await readDataset(project, first.dataset.name);
    const b = await readDataset(project, second.dataset.name);
    expect(Array.from(b.categorical)).toEqual(Array.from(a.categorical));
    expect(Array.from(b.multiHot[0])).toEqual(Array.from(a.multiHot[0]));
    expect(Array.from(b.dense)).toEqual(Array.from(a.dense));
    expect(second.dataset.encoding).toEqual(first.dataset.encoding);
    // Frequency rank: id 1 is the most common value; values seen < 15 times share id 0.
    const city = first.dataset.encoding.categorical[0];
    const counts = new Map<string, number>();
    for (const line of lines.slice(1)) counts.set(line.split(',')[2], (counts.get(line.split(',')[2]) ?? 0) + 1);
    const ranked = [...counts].filter(([, n]) => n >= 15).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    expect(city.vocabulary).toEqual(ranked.map(([value]) => value));
    expect(first.dataset.encoding.dense[0]).toMatchObject({ name: 'price', log: true });
  });

  it('values with quotes, backslashes and non-ASCII letters get their frequency rank like any other', async () => {
    const values = ["o'neil", 'say "hi"', 'back\\slash', 'Zürich', "it''s", '北京'];
    const lines = ['click,purchase,name'];
    // value i appears i + 1 times, so the last is the most frequent: id 1.
    values.forEach((value, i) => {
      for (let k = 0; k <= i; k++) lines.push(`1,0,"${value.replaceAll('"', '""')}"`);
    });
    const result = await importFile(write('quoted-values.csv', `${lines.join('\n')}\n`));
    expect(result.dataset.encoding.categorical[0].vocabulary).toEqual([...values].reverse());
    const data = await readDataset(project, result.dataset.name);
    expect(Array.from(data.categorical)).toEqual(values.flatMap((_, i) => Array(i + 1).fill(values.length - i)));
  });

  it('hashes huge vocabularies the same way in SQL and in JavaScript', async () => {
    const lines = ['click,purchase,user_code'];
    for (let i = 0; i < 50; i++) lines.push(`${i % 2},0,u${i * 37}`);
    const result = await importFile(write('hashed.csv', `${lines.join('\n')}\n`), { hashBuckets: { user_code: 16 } });
    const data = await readDataset(project, result.dataset.name);
    expect(data.schema.categorical[0].vocabSize).toBe(17);
    expect(Array.from(data.categorical)).toEqual(lines.slice(1).map((line) => hashBucket(line.split(',')[2], 16)));
  });
});

describe('esmc-lab import', () => {
  it('prints the findings and the funnel, and stores a split', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await importCommand.run(
        {
          project: join(dir, 'cli.duckdb'),
          data: shared('ali-ccp-paddlerec/aitm_train.csv'),
          split: 'random',
          json: false,
        },
        [],
      );
      expect(code).toBe(0);
      const text = out.mock.calls.map((call) => String(call[0])).join('');
      expect(text).toMatch(/funnel-rows-dropped|2 rows have a purchase/);
      expect(text).toMatch(/clicks\s+3\s+CTR/);
      expect(text).toMatch(/split "random": train 37, validation 4, test 5/);
    } finally {
      out.mockRestore();
    }
  });
});
