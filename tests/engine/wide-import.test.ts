/**
 * A file of a thousand columns and more imports (one join per column once exceeded DuckDB's statement depth), and
 * its many columns are encoded as a few are: ids ranked by frequency, missing values 0, the same ids again when the
 * stored encoding encodes the file a second time, and every column's findings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-wide-'));
const FEATURES = 1200;
const ROWS = 240;
let project: Project;
let file: string;
/** cells[row][feature], as written */
const cells: string[][] = [];
/** [click, cart, buy] per row, as written */
const labels: number[][] = [];

beforeAll(async () => {
  project = await openProject(join(dir, 'lab.duckdb'));
  const header = ['click', 'cart', 'buy', ...Array.from({ length: FEATURES }, (_, f) => `f${f}`)];
  const lines = [header.join(',')];
  for (let r = 0; r < ROWS; r++) {
    const click = r % 3 === 0 ? 1 : 0;
    const cart = click && r % 2 === 0 ? 1 : 0;
    const buy = click && r % 5 === 0 ? 1 : 0;
    const row = Array.from({ length: FEATURES }, (_, f) => {
      if (f === 7) return 'same'; // a constant column
      if (f === 11 && r % 40 === 3) return ''; // missing values on lines 5, 45, …
      return `v${(r * (f + 3)) % (3 + (f % 9))}`;
    });
    cells.push(row);
    labels.push([click, cart, buy]);
    lines.push([click, cart, buy, ...row].join(','));
  }
  file = join(dir, 'wide.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Ids as the encoding's contract defines them, computed here in plain JS: 1 for the most frequent value, ties by value. */
function expectedIds(feature: number): number[] {
  const counts = new Map<string, number>();
  for (const row of cells) if (row[feature] !== '') counts.set(row[feature], (counts.get(row[feature]) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const id = new Map(ranked.map(([value], i) => [value, i + 1]));
  return cells.map((row) => id.get(row[feature]) ?? 0);
}

describe(`a file of ${FEATURES} columns`, () => {
  it('imports with every column encoded by frequency rank, and the same ids from its stored encoding', async () => {
    const first = await importDataset(project, file, { name: 'wide' });
    const data = await readDataset(project, 'wide');
    const fields = data.schema.categorical.map((field) => field.name);
    expect(fields).toHaveLength(FEATURES);
    const columnOf = (feature: number) => {
      const at = fields.indexOf(`f${feature}`);
      return Array.from({ length: ROWS }, (_, row) => data.categorical[row * FEATURES + at]);
    };
    for (const feature of [0, 1, 7, 11, 500, 1000, FEATURES - 1])
      expect(columnOf(feature), `f${feature}`).toEqual(expectedIds(feature));
    expect([...data.labels.click]).toEqual(labels.map(([click]) => click));
    expect([...data.labels.action!]).toEqual(labels.map(([, cart]) => cart));
    expect([...data.labels.purchase]).toEqual(labels.map(([, , buy]) => buy));

    const findings = first.findings.filter((finding) => finding.column === 'f7' || finding.column === 'f11');
    expect(findings.map((finding) => [finding.code, finding.column])).toEqual([
      ['constant-column', 'f7'],
      ['missing-values', 'f11'],
    ]);
    expect(findings[1]).toMatchObject({ count: 6, exampleLines: [5, 45, 85, 125, 165] });

    const again = await importDataset(project, file, { name: 'wide-again', encoding: first.dataset.encoding });
    expect(again.dataset.encoding).toEqual(first.dataset.encoding);
    const reread = await readDataset(project, 'wide-again');
    expect(Array.from(reread.categorical)).toEqual(Array.from(data.categorical));
    // The profile lists every column's most frequent value, as counted above.
    const top = first.profile.columns.find((column) => column.name === 'f500')!.top![0];
    const counts = expectedIds(500).filter((id) => id === 1).length;
    expect(top.count).toBe(counts);
  });

  it('looks up many long vocabularies at once, with the ids a join per column would give', async () => {
    // 60 columns of up to 97 values each: too long to search as lists, too many to join one by one.
    const columns = 60;
    const rows: string[][] = [];
    const lines = [['click', 'buy', ...Array.from({ length: columns }, (_, f) => `u${f}`)].join(',')];
    for (let r = 0; r < ROWS * 2; r++) {
      const row = Array.from({ length: columns }, (_, f) =>
        r % 50 === 7 && f === 3 ? 'NA' : `x${(r * (f + 1)) % 97}`,
      );
      rows.push(row);
      lines.push([r % 2 === 0 ? 1 : 0, r % 6 === 0 ? 1 : 0, ...row].join(','));
    }
    const path = join(dir, 'long.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const result = await importDataset(project, path, { name: 'long' });
    expect(result.dataset.encoding.categorical.filter((field) => field.vocabulary.length > 64)).toHaveLength(columns);
    const data = await readDataset(project, 'long');
    for (const f of [0, 3, columns - 1]) {
      const counts = new Map<string, number>();
      for (const row of rows) if (row[f] !== 'NA') counts.set(row[f], (counts.get(row[f]) ?? 0) + 1);
      const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const id = new Map(ranked.map(([value], i) => [value, i + 1]));
      const at = data.schema.categorical.findIndex((field) => field.name === `u${f}`);
      const ids = rows.map((_, r) => data.categorical[r * columns + at]);
      expect(ids, `u${f}`).toEqual(rows.map((row) => id.get(row[f]) ?? 0));
    }
  });
});
