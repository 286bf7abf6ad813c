/**
 * Issue 14, item 3: one role guess for every command, and the user key also a categorical feature by default
 * (rare users sharing id 0), through the in-memory CSV loader and the SQL importer alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { loadCsvDataset, type FeatureEncoding } from '../../src-main/engine/data/encode.js';
import {
  categoricalFeatures,
  guessRoles,
  layoutRoles,
  suggestRoles,
  USER_FEATURE_MIN_COUNT,
} from '../../src-main/engine/data/roles.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { createModel, DEFAULT_MODEL_CONFIG } from '../../src-main/engine/models/index.js';
import { analysePsc, missingTruthColumns, truthOf } from '../../src-main/engine/psc/index.js';
import { SIMULATOR_PRESETS } from '../../src-main/engine/simulate/config.js';
import { writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset, schemaOf } from '../../src-main/engine/store/read.js';
import type { FeatureSchema } from '../../src-main/engine/data/dataset.js';
import { parseRoles } from '../../src-main/cli/roles.js';
import { UsageError } from '../../src-main/cli/command.js';

let dir: string;
let project: Project;
let files = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-user-feature-'));
  project = await openProject(join(dir, 'project.duckdb'));
  await initBackend('cpu');
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

function csvFile(text: string): string {
  const path = join(dir, `file-${++files}.csv`);
  writeFileSync(path, text);
  return path;
}

/** u1 three times, u2 twice, u3 and u4 once: with a minimum count of 2 the vocabulary is {u1, u2}. */
const USERS_CSV = [
  'user_id,click,purchase,city',
  'u1,1,0,paris',
  'u2,0,0,rome',
  'u1,1,1,paris',
  'u3,0,0,oslo',
  'u2,1,0,paris',
  'u4,1,1,rome',
  'u1,0,0,oslo',
  ',0,0,paris',
].join('\n');

const names = (encoding: FeatureEncoding) => encoding.categorical.map((field) => field.name);
const vocabularyOf = (encoding: FeatureEncoding, name: string) =>
  [...encoding.categorical.find((field) => field.name === name)!.vocabulary].sort();

async function importFile(path: string, options: Parameters<typeof importDataset>[2] = {}) {
  return importDataset(project, path, { name: `d${++files}`, ...options });
}

function parameters(schema: FeatureSchema): number {
  const model = createModel('esmc', schema, DEFAULT_MODEL_CONFIG);
  try {
    return model.params.count();
  } finally {
    model.dispose();
  }
}

describe('one role guess', () => {
  it('adds the layout the header shows to the name and sample guess', () => {
    const header = ['user_id', 'item_id', 'click', 'action', 'purchase', 'true_ctr', 'd0'];
    const sample = [['1', '2', '0', '0', '0', '0.1', '0.5']];
    expect(guessRoles(header, sample)).toEqual(layoutRoles('simulator', suggestRoles(header, sample)));
    expect(guessRoles(header, sample)).toMatchObject({ user: 'user_id', item: 'item_id' });
    // --format csv: no layout.
    expect(guessRoles(header, sample, { layout: null }).item).toBeUndefined();
    const aliccp = guessRoles(['click', 'purchase', '101', '205'], [['0', '0', '7', '9']]);
    expect(aliccp).toMatchObject({ user: '101', item: '205' });
  });

  it('makes the user key a feature unless userFeature is false, and never twice', () => {
    const roles = guessRoles(['user_id', 'click', 'purchase', 'city'], [['u', '0', '0', 'x']]);
    expect(roles.categorical).toEqual(['city']);
    expect(categoricalFeatures(roles)).toEqual(['user_id', 'city']);
    expect(categoricalFeatures({ ...roles, userFeature: true })).toEqual(['user_id', 'city']);
    expect(categoricalFeatures({ ...roles, userFeature: false })).toEqual(['city']);
    // Listed already (Taobao's own roles, Ali-CCP's field 101): kept where it is; the switch still removes it.
    const listed = { ...roles, categorical: ['city', 'user_id'] };
    expect(categoricalFeatures(listed)).toEqual(['city', 'user_id']);
    expect(categoricalFeatures({ ...listed, userFeature: false })).toEqual(['city']);
    // A user column given another role is not made a feature as well.
    expect(categoricalFeatures({ ...roles, ignore: ['user_id'] })).toEqual(['city']);
    expect(categoricalFeatures({ ...roles, user: undefined })).toEqual(['city']);
  });
});

describe('the user feature in both encoders', () => {
  it('is on by default and off with userFeature: false, in the CSV loader and the importer alike', async () => {
    const path = csvFile(USERS_CSV);
    const loaded = await loadCsvDataset(path);
    const imported = await importFile(path);
    expect(names(loaded.encoding)).toEqual(['user_id', 'city']);
    expect(names(imported.dataset.encoding)).toEqual(['user_id', 'city']);
    // The roles stay plain data: the user key, and the switch absent (= on).
    expect(loaded.roles).toMatchObject({ user: 'user_id', categorical: ['city'] });
    expect(loaded.roles.userFeature).toBeUndefined();
    expect(imported.dataset.roles).toEqual(loaded.roles);
    expect(imported.profile.columns.map((c) => c.name)).toContain('user_id');

    const off = await loadCsvDataset(path, { roles: { userFeature: false } });
    const offImported = await importFile(path, { roles: { userFeature: false } });
    expect(names(off.encoding)).toEqual(['city']);
    expect(names(offImported.dataset.encoding)).toEqual(['city']);
    expect(offImported.dataset.roles.userFeature).toBe(false);
    // Still the GAUC key.
    expect(new Set(off.dataset.userIds)).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it(`maps users seen fewer than ${USER_FEATURE_MIN_COUNT} times to id 0, the same vocabulary in both`, async () => {
    const path = csvFile(USERS_CSV);
    for (const minCount of [1, 2]) {
      const loaded = await loadCsvDataset(path, { minCount });
      const imported = await importFile(path, { minCount });
      expect(vocabularyOf(loaded.encoding, 'user_id')).toEqual(['u1', 'u2']);
      expect(vocabularyOf(imported.dataset.encoding, 'user_id')).toEqual(['u1', 'u2']);
      // Other fields keep the global minimum count: oslo is seen twice, every city kept.
      expect(vocabularyOf(loaded.encoding, 'city')).toEqual(vocabularyOf(imported.dataset.encoding, 'city'));
      expect(vocabularyOf(loaded.encoding, 'city')).toEqual(['oslo', 'paris', 'rome']);
    }
    const three = await loadCsvDataset(path, { minCount: 3 });
    const threeImported = await importFile(path, { minCount: 3 });
    expect(vocabularyOf(three.encoding, 'user_id')).toEqual(['u1']);
    expect(vocabularyOf(threeImported.dataset.encoding, 'user_id')).toEqual(['u1']);

    // Row by row: u3, u4 and the missing user share id 0 in the loader and in the stored dataset.
    const loaded = await loadCsvDataset(path);
    const imported = await importFile(path);
    const stored = await readDataset(project, imported.dataset.name);
    const userIds = (data: { categorical: Int32Array; schema: FeatureSchema }, encoding: FeatureEncoding) => {
      const fields = data.schema.categorical.length;
      const vocabulary = encoding.categorical[0].vocabulary;
      return Array.from({ length: data.categorical.length / fields }, (_, row) => {
        const id = data.categorical[row * fields];
        return id === 0 ? null : vocabulary[id - 1];
      });
    };
    const expected = ['u1', 'u2', 'u1', null, 'u2', null, 'u1', null];
    expect(userIds(loaded.dataset, loaded.encoding)).toEqual(expected);
    expect(userIds(stored, imported.dataset.encoding)).toEqual(expected);
    expect(loaded.dataset.schema.categorical[0]).toEqual({ name: 'user_id', vocabSize: 3 });
  });

  it('keeps a saved encoding as it is: no user field is added to one saved without it', async () => {
    const path = csvFile(USERS_CSV);
    const old: FeatureEncoding = {
      version: 1,
      roles: {
        click: 'click',
        purchase: 'purchase',
        user: 'user_id',
        categorical: ['city'],
        dense: [],
        truth: [],
        ignore: [],
      },
      categorical: [{ name: 'city', vocabulary: ['paris', 'rome'] }],
      multiHot: [],
      dense: [],
    };
    const scored = await loadCsvDataset(path, { encoding: old });
    expect(scored.dataset.schema.categorical).toEqual([{ name: 'city', vocabSize: 3 }]);
    expect(scored.encoding).toBe(old);
    expect(scored.roles.userFeature).toBe(false);
    expect(scored.dataset.userIds).toBeDefined();
    const reimported = await importFile(path, { encoding: old });
    expect(names(reimported.dataset.encoding)).toEqual(['city']);
    expect(schemaOf(reimported.dataset.encoding).categorical).toEqual([{ name: 'city', vocabSize: 3 }]);
    await expect(loadCsvDataset(path, { encoding: old, roles: { userFeature: true } })).rejects.toThrow(
      /has no user feature; leave roles.userFeature unset/,
    );

    // And one saved with it encodes with it, its vocabulary frozen.
    const fitted = await loadCsvDataset(path);
    const again = await loadCsvDataset(path, { encoding: fitted.encoding });
    expect(again.dataset.schema).toEqual(fitted.dataset.schema);
    expect(Array.from(again.dataset.categorical)).toEqual(Array.from(fitted.dataset.categorical));
  });
});

describe('the same file, the same model, whichever command reads it', () => {
  it('import + project training and train --data agree on roles, categorical fields and parameters', async () => {
    const path = join(dir, 'simulated.csv');
    await writeSimulation({ ...SIMULATOR_PRESETS['paper-like'], rows: 3000, seed: 3 }, path, { format: 'csv' });
    const loaded = await loadCsvDataset(path);
    const imported = await importFile(path);
    expect(imported.format).toBe('simulator');
    expect(imported.dataset.roles).toEqual(loaded.roles);
    expect(loaded.roles).toMatchObject({ user: 'user_id', item: 'item_id' });
    expect(names(loaded.encoding)[0]).toBe('user_id');
    expect(names(imported.dataset.encoding)).toEqual(names(loaded.encoding));
    for (const [a, b] of loaded.encoding.categorical.map((field, f) => [
      field,
      imported.dataset.encoding.categorical[f],
    ]))
      expect(b.vocabulary.length, a.name).toBe(a.vocabulary.length);
    const stored = schemaOf(imported.dataset.encoding);
    expect(stored.categorical).toEqual(loaded.dataset.schema.categorical);
    expect(parameters(stored)).toBe(parameters(loaded.dataset.schema));

    // The switch gives a smaller model, the same through both paths.
    const off = await loadCsvDataset(path, { roles: { userFeature: false } });
    const offImported = await importFile(path, { roles: { userFeature: false } });
    expect(names(off.encoding)).toEqual(names(loaded.encoding).slice(1));
    expect(parameters(schemaOf(offImported.dataset.encoding))).toBe(parameters(off.dataset.schema));
    expect(parameters(off.dataset.schema)).toBeLessThan(parameters(loaded.dataset.schema));
  });
});

describe('a partial truth', () => {
  it('checks the stages it has and names those it cannot', () => {
    const rows = 400;
    const seeded = (seed: number) =>
      Float32Array.from({ length: rows }, (_, i) => ((i * 7919 + seed * 104729) % 997) / 997);
    const click = Float32Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const action = Float32Array.from({ length: rows }, (_, i) => (i % 6 === 0 ? 1 : 0));
    const purchase = Float32Array.from({ length: rows }, (_, i) => (i % 9 === 0 || i % 15 === 0 ? click[i] : 0));
    const record = { true_ctr: seeded(1), true_avr: seeded(2), true_cvr: seeded(3), true_other: seeded(4) };
    expect(missingTruthColumns(record)).toHaveLength(6);
    const truth = truthOf(record)!;
    expect(Object.keys(truth).sort()).toEqual(['true_avr', 'true_ctr', 'true_cvr']);
    expect(truthOf({ true_other: seeded(4) })).toBeUndefined();
    const ctr = seeded(5);
    const cvr = seeded(6);
    const avr = seeded(7);
    const model = { ctr, cvr, avr, ctcvr: ctr.map((p, i) => p * cvr[i]), ctavr: ctr.map((p, i) => p * avr[i]) };
    const analysis = analysePsc({ labels: { click, action, purchase }, stagesByModel: { esmc: model }, truth });
    expect(analysis.truth).not.toBeNull();
    const { errors, oracleAuc, unchecked, psc } = analysis.truth!;
    expect(Object.keys(errors.esmc).sort()).toEqual(['avr', 'ctr', 'cvr']);
    expect(oracleAuc.ctr_auc).toBeGreaterThan(0);
    expect(oracleAuc.cvr_auc).toBeGreaterThan(0);
    expect(oracleAuc.avr_auc).toBeGreaterThan(0);
    expect(oracleAuc.ctcvr_auc).toBeNaN();
    expect(oracleAuc.ctavr_auc).toBeNaN();
    expect(unchecked.map((u) => u.stage)).toEqual([
      'ctavr',
      'ctcvr',
      'buyGivenAction',
      'buyGivenNoAction',
      'chainedCtcvr',
      'pscGap',
    ]);
    expect(unchecked.find((u) => u.stage === 'ctcvr')!.reason).toBe(
      'no true_ctcvr column: CTCVR not checked against the truth',
    );
    expect(psc.impliedGap.kind).toBe('none');
    expect(psc.decomposition).toBeNull();

    // Without true_ctr the truth's implied gap and decomposition are left out, the rest still checked.
    const noCtr = analysePsc({
      labels: { click, action, purchase },
      stagesByModel: { esmc: model },
      truth: { true_cvr: truth.true_cvr },
    });
    expect(noCtr.truth!.psc).toEqual({ impliedGap: { kind: 'none', value: NaN }, decomposition: null });
    expect(Object.keys(noCtr.truth!.errors.esmc)).toEqual(['cvr']);
  });
});

describe('--roles', () => {
  it('takes userFeature as a switch, in pairs and in JSON', () => {
    expect(parseRoles('user=uid;userFeature=false')).toEqual({ user: 'uid', userFeature: false });
    expect(parseRoles('userFeature=true categorical=a,b')).toEqual({ userFeature: true, categorical: ['a', 'b'] });
    expect(parseRoles('{"userFeature":false,"click":"clk"}')).toEqual({ userFeature: false, click: 'clk' });
    expect(() => parseRoles('userFeature=maybe')).toThrow(UsageError);
    expect(() => parseRoles('feature=x')).toThrow(/unknown role "feature"/);
  });
});
