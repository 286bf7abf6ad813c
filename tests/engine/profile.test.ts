import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnRoles } from '../../src-main/engine/data/roles.js';
import { profileRelation } from '../../src-main/engine/store/profile.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';

const dir = mkdtempSync(join(tmpdir(), 'esmc-profile-'));
let project: Project;

/**
 * device: "phone" 60 rows (all clicked), "tablet" 50 (40 clicked), "tv" 20 (10 clicked), "watch" 5 (5 clicked),
 * missing 10 (5 clicked). Purchases: every third clicked row; actions: every other clicked purchase.
 */
const DEVICES: [string | null, number, number][] = [
  ['phone', 60, 60],
  ['tablet', 50, 40],
  ['tv', 20, 10],
  ['watch', 5, 5],
  [null, 10, 5],
];

beforeAll(async () => {
  project = await openProject(join(dir, 'project.duckdb'));
  const rows: string[] = [];
  for (const [device, count, clicked] of DEVICES)
    for (let i = 0; i < count; i++) {
      const click = i < clicked ? 1 : 0;
      const purchase = click && i % 3 === 0 ? 1 : 0;
      const action = purchase && i % 2 === 0 ? 1 : 0;
      rows.push(`(${device === null ? 'NULL' : `'${device}'`}, ${click}, ${action}, ${purchase})`);
    }
  await project.run(`CREATE TABLE rows (device VARCHAR, __click INTEGER, __action INTEGER, __purchase INTEGER)`);
  await project.run(`INSERT INTO rows VALUES ${rows.join(', ')}`);
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

const roles: ColumnRoles = {
  click: 'click',
  purchase: 'purchase',
  action: ['action'],
  categorical: ['device'],
  dense: [],
  truth: [],
  ignore: [],
};

describe('profile slices', () => {
  it('folds values beyond the top K, with few clicks or missing into "other", last, with their count', async () => {
    const profile = await profileRelation(project, 'rows', roles, true, { topK: 3, minClicks: 20 });
    const slices = profile.slices.filter((s) => s.column === 'device');
    // tv is in the top 3 by rows but has 10 clicks; watch is beyond K; the missing rows have no value.
    expect(slices.map((s) => [s.value, s.isOther ?? false, s.distinctValues])).toEqual([
      ['phone', false, 1],
      ['tablet', false, 1],
      ['other', true, 3],
    ]);
    const other = slices[2].funnel.counts;
    const whole = profile.funnel.counts;
    const kept = slices.slice(0, 2).map((s) => s.funnel.counts);
    expect(other.exposures).toBe(35);
    expect(other.clicks).toBe(20);
    for (const key of ['exposures', 'clicks', 'actions', 'purchases', 'purchasesWithoutAction'] as const)
      expect(other[key]).toBe(whole[key]! - kept[0][key]! - kept[1][key]!);
    expect(slices[2].funnel.rates.cvr).toBeCloseTo(other.purchases / other.clicks, 12);
    // The column's statistics still list its most frequent values as before.
    expect(profile.columns[0].top!.map((t) => t.value)).toEqual(['phone', 'tablet', 'tv']);
  });

  it('slices nothing when no value has enough clicks, and keeps nulls for a missing action label', async () => {
    const none = await profileRelation(project, 'rows', roles, true, { minClicks: 1000 });
    expect(none.slices).toEqual([]);
    const plain = await profileRelation(project, 'rows', { ...roles, action: [] }, false, { topK: 1, minClicks: 1 });
    expect(plain.slices.map((s) => s.value)).toEqual(['phone', 'other']);
    expect(plain.slices[1].funnel.counts).toMatchObject({ actions: null, purchasesWithoutAction: null });
    expect(plain.slices[1].funnel.rates.pscShare).toBeNull();
  });
});
