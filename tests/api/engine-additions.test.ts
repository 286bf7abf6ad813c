/** The small engine functions the API service needed: each checked on its own here. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { createModel, DEFAULT_MODEL_CONFIG } from '../../src-main/engine/models/index.js';
import { aucInterval, delongTest, MIN_CLASS_ROWS_FOR_AUC } from '../../src-main/engine/psc/index.js';
import { trainRun } from '../../src-main/engine/run.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';
import { listRuns, readPredictions, readRun, saveFailedRun } from '../../src-main/engine/store/runs.js';
import { resolveTrainSettings, train } from '../../src-main/engine/train/trainer.js';
import { Random } from '../../src-main/engine/random.js';
import { syntheticFunnel } from '../helpers/synthetic.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
let dir: string;
let project: Project;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-engine-'));
  project = await openProject(join(dir, 'lab.duckdb'));
  await importDataset(project, sample, { name: 'funnel' });
});
afterAll(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('train with maxSteps', () => {
  it('stops after that many steps in all, validating the epoch it stops in', async () => {
    await initBackend('cpu');
    const data = syntheticFunnel(1000);
    const config = resolveTrainSettings({ epochs: 10, batchSize: 256, patience: null, progressIntervalMs: 0 }, 10_000);
    const model = createModel('esmm', data.schema, {
      ...DEFAULT_MODEL_CONFIG,
      embeddingDim: 4,
      tower: { hidden: [8], activation: 'relu', dropout: 0 },
    });
    try {
      const steps: number[] = [];
      const result = await train(
        model,
        { train: data, validation: data },
        { ...config, maxSteps: 6 },
        {
          onEvent: (event) => event.type === 'step' && steps.push((event.epoch - 1) * event.stepsPerEpoch + event.step),
        },
      );
      // 4 steps an epoch: the second epoch stops after its second step.
      expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
      expect(result.status).toBe('completed');
      expect(result.epochsRun).toBe(2);
      expect(result.epochs.map((e) => e.validation?.cvr_auc).every(Number.isFinite)).toBe(true);
      expect(result.curve.at(-1)).toMatchObject({ step: 6, epoch: 2 });
      await expect(train(model, { train: data }, { ...config, maxSteps: 0 })).rejects.toThrow(
        'stop after steps must be a whole number from 1',
      );
    } finally {
      model.dispose();
    }
  });
});

describe('aucInterval', () => {
  it('is DeLong’s interval of one AUC: the pair test against a constant score, and the O(m·n) variance', () => {
    const random = new Random(3);
    const n = 400;
    const labels = Float32Array.from({ length: n }, () => (random.next() < 0.3 ? 1 : 0));
    const scores = Float32Array.from(labels, (y) => Math.round((0.4 * y + random.next()) * 20) / 20);
    const [low, high] = aucInterval(labels, scores);
    const paired = delongTest(labels, scores, new Float32Array(n).fill(0.5));
    expect(low).toBeCloseTo(paired.ci95[0] + 0.5, 12);
    expect(high).toBeCloseTo(paired.ci95[1] + 0.5, 12);

    // The definition, pair by pair: V10_i = mean_j ψ(X_i, Y_j), V01_j = mean_i ψ(X_i, Y_j).
    const positives = scores.filter((_, i) => labels[i] === 1);
    const negatives = scores.filter((_, i) => labels[i] === 0);
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    const v10 = Array.from(positives, (x) => negatives.reduce((s, y) => s + psi(x, y), 0) / negatives.length);
    const v01 = Array.from(negatives, (y) => positives.reduce((s, x) => s + psi(x, y), 0) / positives.length);
    const auc = v10.reduce((a, b) => a + b, 0) / v10.length;
    const variance = (values: number[]) => values.reduce((s, v) => s + (v - auc) ** 2, 0) / (values.length - 1);
    const se = Math.sqrt(variance(v10) / v10.length + variance(v01) / v01.length);
    expect((low + high) / 2).toBeCloseTo(auc, 12);
    expect(high - low).toBeCloseTo(2 * 1.959963984540054 * se, 12);

    expect(aucInterval([1, 1, 1], [0.2, 0.3, 0.4])).toEqual([NaN, NaN]);
    // Five clicks ranked above five non-clicks: DeLong's variance is 0, and [1, 1] would claim certainty.
    const few = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    expect(aucInterval(few, [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1, 0.05])).toEqual([NaN, NaN]);
    const ten = Array.from({ length: 20 }, (_, i) => (i < MIN_CLASS_ROWS_FOR_AUC ? 1 : 0));
    const [tenLow, tenHigh] = aucInterval(
      ten,
      Array.from(ten, (y, i) => y * 0.5 + ((i * 7) % 10) / 10),
    );
    expect(Number.isFinite(tenLow) && Number.isFinite(tenHigh) && tenLow < tenHigh).toBe(true);
    const masked = aucInterval(
      labels,
      scores,
      Float32Array.from(labels, (_, i) => (i < 200 ? 1 : 0)),
    );
    expect(masked).not.toEqual([low, high]);
  });
});

describe('the project store', () => {
  it('gives a second connection on the open file: same data, its own temporary tables, closed on its own', async () => {
    const other = await project.connect();
    await other.run('CREATE TEMP TABLE scratch AS SELECT 1 AS x');
    expect((await other.datasets()).map((d) => d.name)).toEqual(['funnel']);
    await expect(project.all('SELECT * FROM scratch')).rejects.toThrow();
    await other.transaction(async () => other.run(`INSERT INTO meta VALUES ('note', 'from the other connection')`));
    expect((await project.one(`SELECT value FROM meta WHERE key = 'note'`))?.value).toBe('from the other connection');
    other.close();
    expect((await project.datasets()).length).toBe(1);
  });

  it('reads into shared memory on request, with the same rows', async () => {
    const plain = await readDataset(project, 'funnel');
    const shared = await readDataset(project, 'funnel', undefined, { shared: true });
    for (const [name, array] of Object.entries({
      categorical: shared.categorical,
      dense: shared.dense,
      click: shared.labels.click,
      action: shared.labels.action!,
      userIds: shared.userIds!,
      rowIds: shared.rowIds!,
    }))
      expect([name, array.buffer instanceof SharedArrayBuffer]).toEqual([name, true]);
    expect(plain.categorical.buffer instanceof SharedArrayBuffer).toBe(false);
    expect(Array.from(shared.categorical)).toEqual(Array.from(plain.categorical));
    expect(Array.from(shared.labels.purchase)).toEqual(Array.from(plain.labels.purchase));
    expect(Array.from(shared.rowIds!)).toEqual(Array.from(plain.rowIds!));
  });

  it('reads a run back whole, stores failed runs with their error, and reads predictions of one part', async () => {
    const [record] = await trainRun({
      source: { kind: 'project', project, dataset: 'funnel' },
      models: ['esmm'],
      modelConfig: { embeddingDim: 4, tower: { hidden: [8], activation: 'relu', dropout: 0 } },
      trainConfig: { epochs: 1, batchSize: 1024 },
      backend: 'cpu',
    });
    const stored = await readRun(project, record.id);
    expect(stored?.record).toMatchObject({
      id: record.id,
      model: 'esmm',
      status: record.status,
      startedAt: record.startedAt,
      modelConfig: record.modelConfig,
      trainConfig: record.trainConfig,
      parameters: record.parameters,
      // Stored as JSON: a NaN metric reads back as null, as the API sends it.
      metrics: JSON.parse(JSON.stringify(record.metrics)),
      storedIn: { dataset: 'funnel', split: 'random' },
    });
    expect(stored?.record?.training).toEqual(JSON.parse(JSON.stringify(record.training)));
    expect(Math.abs(stored!.record!.durationMs - record.durationMs)).toBeLessThanOrEqual(1);

    await saveFailedRun(
      project,
      {
        id: 'failed-1',
        model: 'esmc',
        startedAt: '2026-01-02T03:04:05.678Z',
        durationMs: 1500,
        error: 'the constraint has no layer to tie',
        modelConfig: DEFAULT_MODEL_CONFIG,
        trainConfig: resolveTrainSettings({}, 10_000),
        backend: null,
      },
      { dataset: 'funnel', split: 'random' },
    );
    const runs = await listRuns(project);
    expect(runs.map((run) => [run.id, run.status, run.error])).toEqual([
      ['failed-1', 'failed', 'the constraint has no layer to tie'],
      [record.id, record.status, undefined],
    ]);
    expect(runs[0].startedAt).toBe('2026-01-02T03:04:05.678Z');
    expect(await readRun(project, 'failed-1')).toMatchObject({ status: 'failed', record: null, backend: null });
    expect(await readRun(project, 'none')).toBeUndefined();

    const all = await readPredictions(project, record.id);
    const test = await readPredictions(project, record.id, { dataset: 'funnel', part: 'test' });
    const testRows = await readDataset(project, 'funnel', { part: 'test' });
    expect(Array.from(test.rowIds)).toEqual(Array.from(testRows.rowIds!));
    const position = new Map(Array.from(all.rowIds, (id, i) => [id, i]));
    test.rowIds.forEach((id, i) => expect(test.stages.cvr[i]).toBe(all.stages.cvr[position.get(id)!]));
  });
});
