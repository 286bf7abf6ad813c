/**
 * Issue 18: a feature column that nearly determines a label is refused like a copy of it, by the import (from
 * VALUES, in SQL) and by the CSV loader (`train --data`) alike; legitimate features, however telling, and id-like
 * columns pass. The corpus of bad-input.test.ts runs a near copy through every door.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsvDataset } from '../../src-main/engine/data/encode.js';
import {
  determination,
  LEAK_MIN_VALUE_ROWS,
  labelDetermination,
  labelDeterminesMessage,
  tallyValues,
  type ValueLabelCounts,
} from '../../src-main/engine/data/leakage.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { ImportError } from '../../src-main/engine/importers/validate.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { Random } from '../../src-main/engine/random.js';

/** `n` values of one kind, each with the same counts. */
const repeat = (n: number, value: ValueLabelCounts) => Array.from({ length: n }, () => value);

describe('labelDetermination', () => {
  it('a pure column determines the label; 1% of the rarer class may disagree, one row more may not', () => {
    expect(
      labelDetermination([
        { positives: 100, negatives: 0 },
        { positives: 0, negatives: 900 },
      ]),
    ).toEqual({
      rows: 1000,
      positives: 100,
      negatives: 900,
      errors: 0,
      rarer: 100,
      rarerLabel: 1,
      determines: true,
    });
    const near = [
      { positives: 100, negatives: 1 },
      { positives: 0, negatives: 900 },
    ];
    expect(labelDetermination(near)).toMatchObject({ errors: 1, rarer: 100, determines: true });
    near[0].negatives = 2;
    expect(labelDetermination(near)).toMatchObject({ errors: 2, determines: false });
  });

  it('values seen fewer than LEAK_MIN_VALUE_ROWS times predict nothing: an id column is not pure', () => {
    // One row per value: each value holds one class only, yet every positive counts as a miss.
    const ids = [...repeat(100, { positives: 1, negatives: 0 }), ...repeat(900, { positives: 0, negatives: 1 })];
    expect(labelDetermination(ids)).toMatchObject({ errors: 100, determines: false });
    const rare = LEAK_MIN_VALUE_ROWS - 1;
    const sessions = (rows: number) => [
      ...repeat(10, { positives: rows, negatives: 0 }),
      ...repeat(50, { positives: 0, negatives: rows }),
    ];
    expect(labelDetermination(sessions(rare))).toMatchObject({ errors: 10 * rare, determines: false });
    expect(labelDetermination(sessions(LEAK_MIN_VALUE_ROWS))).toMatchObject({ errors: 0, determines: true });
  });

  it('missing values predict nothing, however many rows they hold', () => {
    const values = [
      { positives: 200, negatives: 0 },
      { positives: 30, negatives: 0, missing: true },
      { positives: 0, negatives: 800 },
    ];
    expect(labelDetermination(values)).toMatchObject({ errors: 30, rarer: 230, determines: false });
    // The same counts as a value of its own would be pure.
    expect(labelDetermination(values.map((v) => ({ ...v, missing: false })))).toMatchObject({ determines: true });
    // Missing cells on the commoner class only cost nothing: a column filled in only for clicks gives them away.
    expect(
      labelDetermination([
        { positives: 200, negatives: 0 },
        { positives: 0, negatives: 800, missing: true },
      ]),
    ).toMatchObject({ errors: 0, determines: true });
  });

  it('judges the rarer class, which may be the negatives', () => {
    const base = [
      { positives: 900, negatives: 0 },
      { positives: 0, negatives: 99 },
    ];
    // A missing negative is a miss (negatives are the rarer class); missing positives are not.
    expect(labelDetermination([...base, { positives: 0, negatives: 1, missing: true }])).toMatchObject({
      errors: 1,
      rarer: 100,
      rarerLabel: 0,
      determines: true,
    });
    expect(labelDetermination([...base, { positives: 5, negatives: 1, missing: true }])).toMatchObject({
      errors: 1,
      rarerLabel: 0,
      determines: true,
    });
    expect(labelDetermination([...base, { positives: 0, negatives: 2, missing: true }])).toMatchObject({
      errors: 2,
      rarer: 101,
      determines: false,
    });
  });

  it('needs both classes: a label with one class, or a constant column, determines nothing', () => {
    expect(labelDetermination([{ positives: 0, negatives: 500 }])).toMatchObject({ errors: 0, determines: false });
    expect(labelDetermination([{ positives: 10, negatives: 990 }])).toMatchObject({ errors: 10, determines: false });
    expect(labelDetermination([])).toMatchObject({ rows: 0, determines: false });
  });

  it('decides on the tally the import sums in SQL', () => {
    const values = [
      { positives: 30, negatives: 2 },
      { positives: 1, negatives: 40 },
      { positives: 3, negatives: 4 },
      { positives: 2, negatives: 9, missing: true },
    ];
    expect(tallyValues(values)).toEqual({
      positives: 36,
      negatives: 55,
      minorities: 3,
      undeterminedPositives: 5,
      undeterminedNegatives: 13,
    });
    expect(determination(tallyValues(values))).toEqual(labelDetermination(values));
  });

  it('says the numbers that make the rule checkable', () => {
    const found = labelDetermination([
      { positives: 1201, negatives: 1 },
      { positives: 3, negatives: 48_795 },
    ]);
    expect(labelDeterminesMessage('clicked_flag', 'click', found)).toBe(
      'column "clicked_flag" nearly determines the label "click" (its values predict it on 99.9% of 50,000 rows: ' +
        '4 disagree, within 1% of the 1,204 with click = 1): as a feature it would give the models the answer ' +
        '(set its role to ignore)',
    );
    const exact = labelDetermination([
      { positives: 40, negatives: 0 },
      { positives: 0, negatives: 60 },
    ]);
    expect(labelDeterminesMessage('status', 'purchase', exact)).toBe(
      'column "status" determines the label "purchase" (its values predict it on all 100 rows): as a feature it ' +
        'would give the models the answer (set its role to ignore)',
    );
  });
});

describe('the import and the CSV loader', () => {
  let dir: string;
  let refusing: Project;
  let accepting: Project;
  let files = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'esmc-leakage-'));
    refusing = await openProject(join(dir, 'refusing.duckdb'));
    accepting = await openProject(join(dir, 'accepting.duckdb'));
  });
  afterAll(() => {
    refusing.close();
    accepting.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function csvFile(header: string, rows: string[]): string {
    const path = join(dir, `file-${++files}.csv`);
    writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
    return path;
  }

  /** Refused by both doors with the same words, naming the column; the project gains no dataset. */
  async function expectRefused(path: string, column: string, message: RegExp) {
    const error = await importDataset(refusing, path, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    const findings = (error as ImportError).findings.filter((f) => f.code === 'feature-determines-label');
    expect(findings[0]).toMatchObject({ severity: 'error', column, exampleLines: [1] });
    expect(findings[0].message).toMatch(message);
    expect((error as Error).message).toContain(findings[0].message);
    expect(await refusing.datasets()).toEqual([]);
    const loaded = await loadCsvDataset(path).catch((e: unknown) => e as Error);
    expect(loaded).toBeInstanceOf(Error);
    expect((loaded as Error).message).toBe((error as Error).message);
    return findings;
  }

  async function expectAccepted(path: string) {
    const result = await importDataset(accepting, path, { name: `ok-${files}` });
    expect(result.findings.filter((f) => f.code === 'feature-determines-label')).toEqual([]);
    await expect(loadCsvDataset(path)).resolves.toBeDefined();
    return result;
  }

  it('refuses a column that equals click but for a few rows', async () => {
    // 2,000 rows, 1,000 clicks; the flag disagrees on rows 7 and 500 (a click flagged "no", a non-click "yes").
    const rows = Array.from({ length: 2000 }, (_, i) => {
      const click = i % 2;
      const flag = (click === 1) !== (i === 7 || i === 500) ? 'yes' : 'no';
      return `u${i % 13},${flag},c${i % 5},${click},${click && i % 10 === 1 ? 1 : 0}`;
    });
    const path = csvFile('user_id,clicked_flag,city,click,purchase', rows);
    const findings = await expectRefused(
      path,
      'clicked_flag',
      /^column "clicked_flag" nearly determines the label "click" \(its values predict it on 99\.9% of 2,000 rows: 2 disagree, within 1% of the 1,000 with click = 1\)/,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0].count).toBe(2000);
  });

  it('refuses a column that nearly determines purchase, checked over every exposure', async () => {
    // 90% clicks, 300 purchases; "stage" says "paid" on exactly the purchases but once.
    const rows = Array.from({ length: 1000 }, (_, i) => {
      const click = i % 10 === 0 ? 0 : 1;
      const purchase = click && i % 3 === 0 ? 1 : 0;
      const stage = (purchase === 1) !== (i === 3) ? 'paid' : 'open';
      return `${stage},c${i % 4},${click},${purchase}`;
    });
    await expectRefused(
      csvFile('stage,city,click,purchase', rows),
      'stage',
      /"stage" nearly determines the label "purchase" .*1 disagrees, within 1% of the 300 with purchase = 1/,
    );
  });

  it('refuses the user column, a feature by default, when each user always or never clicks', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `u${i % 10},${i % 10 < 4 ? 1 : 0},0,c${i % 3}`);
    await expectRefused(
      csvFile('user_id,click,purchase,city', rows),
      'user_id',
      /^column "user_id" determines the label "click" \(its values predict it on all 400 rows\)/,
    );
  });

  it('refuses a column that nearly determines the action label, whose rarer class is the non-actions', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => {
      const action = i % 5 === 0 ? 0 : 1;
      return `${(action === 1) !== (i === 1) ? 'carted' : 'browsed'},c${i % 4},1,${action},0`;
    });
    await expectRefused(
      csvFile('page,city,click,cart,purchase', rows),
      'page',
      /"page" nearly determines the label "cart" .*1 disagrees, within 1% of the 120 with cart = 0\)/,
    );
  });

  it('refuses the same column of a wide file, whose rows are staged as lists of cells', async () => {
    const features = Array.from({ length: 600 }, (_, k) => `f${k}`);
    const rows = Array.from({ length: 400 }, (_, i) => {
      const click = i % 2;
      const cells = features.map((_, k) => (k === 300 ? ((click === 1) !== (i === 9) ? 'y' : 'n') : `v${(i + k) % 3}`));
      return [click, click && i % 6 === 1 ? 1 : 0, ...cells].join(',');
    });
    await expectRefused(
      csvFile(['click', 'purchase', ...features].join(','), rows),
      'f300',
      /^column "f300" nearly determines the label "click" \(.*: 1 disagrees, within 1% of the 200 with click = 1\)/,
    );
  });

  it('accepts a categorical feature strongly correlated with click (3% of clicks against the grain)', async () => {
    const random = new Random(18);
    const rows = Array.from({ length: 4000 }, (_, i) => {
      const segment = i % 2 === 0 ? 'loyal' : 'new';
      const click = random.next() < (segment === 'loyal' ? 0.97 : 0.03) ? 1 : 0;
      return `${segment},${random.int(8)},${click},${click && random.next() < 0.2 ? 1 : 0}`;
    });
    const result = await expectAccepted(csvFile('segment,hour,click,purchase', rows));
    expect(result.dataset.rows).toBe(4000);
  });

  it('accepts id-like columns: one value per row, or sessions rarer than LEAK_MIN_VALUE_ROWS', async () => {
    // Each session of 10 rows is all clicks or none: pure, but no session is seen often enough to count.
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const session = Math.floor(i / 10);
      const click = session % 3 === 0 ? 1 : 0;
      return `o${i},s${session},c${i % 6},${click},${click && i % 4 === 0 ? 1 : 0}`;
    });
    const result = await expectAccepted(csvFile('order_no,session,city,click,purchase', rows));
    expect(result.findings).toContainEqual(expect.objectContaining({ code: 'near-unique-column', column: 'order_no' }));
  });
});
