/**
 * `countValues` counts a few columns with a hash table each (GROUPING SETS) and many unpivoted into one: both ways
 * must give the same VALUES rows, NULLs and missing spellings included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countValues, VALUES } from '../../src-main/engine/store/column-stats.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-column-stats-'));
let project: Project;
/** More columns than are counted with a hash table each. */
const WIDTH = 120;
const columns = Array.from({ length: WIDTH }, (_, i) => `c${i}`);

beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
  // c0: 'a' ×3 (one clicked and bought), 'NA' ×2, NULL ×2, '' ×1; c1: numbers as text; the rest: row % (i + 2).
  const c0 = `CASE WHEN range < 3 THEN 'a' WHEN range < 5 THEN 'NA' WHEN range < 7 THEN NULL ELSE '' END`;
  const rest = columns.slice(1).map((name, i) => `CAST(range % ${i + 2} AS VARCHAR) AS ${name}`);
  await project.run(
    `CREATE TEMP TABLE counted AS
     SELECT range + 1 AS __line, (range IN (0, 5, 7))::INTEGER AS __click, (range = 0)::INTEGER AS __action,
            (range IN (0, 6))::INTEGER AS __purchase, ${c0} AS c0, ${rest.join(', ')}
     FROM range(8)`,
  );
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

const valuesOf = async (fields: string[]) =>
  project.all(
    `SELECT * FROM ${VALUES} WHERE field IN (${fields.map((f) => `'${f}'`).join(', ')}) ORDER BY field, value NULLS FIRST`,
  );

it('counts each value and its funnel the same with a hash table per column and unpivoted', async () => {
  const few = columns.slice(0, 3);
  await countValues(project, 'counted', few, true);
  const grouped = await valuesOf(few);
  await countValues(project, 'counted', columns, true);
  const unpivoted = await valuesOf(few);
  expect(grouped).toEqual(unpivoted);
  expect(Number((await project.one(`SELECT count(DISTINCT field)::DOUBLE AS n FROM ${VALUES}`))!.n)).toBe(WIDTH);

  const c0 = grouped.filter((row) => row.field === 'c0');
  const summary = c0.map((row) => [row.value, row.exposures, row.clicks, row.purchases, row.violations, row.missing]);
  expect(summary).toEqual([
    [null, 2, 1, 0, 1, true],
    ['', 1, 1, 0, 0, true],
    ['NA', 2, 0, 0, 0, true],
    ['a', 3, 1, 1, 0, false],
  ]);
  expect(c0.find((row) => row.value === 'a')).toMatchObject({ actions: 1, purchases_with_action: 1 });
  expect(grouped.filter((row) => row.field === 'c1').map((row) => [row.value, row.exposures])).toEqual([
    ['0', 4],
    ['1', 4],
  ]);
});
