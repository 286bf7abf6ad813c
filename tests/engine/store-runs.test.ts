import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importDataset } from '../../src-main/engine/importers/import.js';
import { trainRun } from '../../src-main/engine/run.js';
import { openProject, type Project } from '../../src-main/engine/store/project.js';
import { readDataset, storedRows } from '../../src-main/engine/store/read.js';
import {
  annotateRun,
  deleteRuns,
  listRuns,
  readPredictions,
  readRun,
  saveFailedRun,
} from '../../src-main/engine/store/runs.js';
import { listSplits } from '../../src-main/engine/store/splits.js';
import { main } from '../../src-main/cli/main.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
let workdir: string;
let path: string;
let project: Project;

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'esmc-runs-'));
  path = join(workdir, 'lab.duckdb');
  project = await openProject(path);
  await importDataset(project, sample, { name: 'funnel' });
});
afterAll(() => {
  project.close();
  rmSync(workdir, { recursive: true, force: true });
});

describe('runs in the project store', () => {
  it('trains from a stored dataset on one stored split and keeps every row’s predictions', async () => {
    const records = await trainRun({
      source: { kind: 'project', project, dataset: 'funnel' },
      models: ['esmm', 'esm2'],
      trainConfig: { epochs: 1, batchSize: 512 },
      backend: 'wasm',
    });
    expect((await listSplits(project, 'funnel')).map((s) => s.split)).toEqual(['random']);
    expect(records.map((r) => r.storedIn?.dataset)).toEqual(['funnel', 'funnel']);
    expect(records[0].data.split).toEqual(records[1].data.split);

    const runs = await listRuns(project);
    expect(runs.map((r) => [r.id, r.model, r.dataset, r.split])).toEqual(
      records.map((r) => [r.id, r.model, 'funnel', 'random']),
    );
    expect(runs[1].metrics.test?.cvr_auc).toBeCloseTo(records[1].metrics.test!.cvr_auc, 10);
    expect(runs[1].backend.name).toBe('wasm');

    const all = await readDataset(project, 'funnel');
    const stored = await readPredictions(project, records[1].id);
    expect(Array.from(stored.rowIds)).toEqual(Array.from(all.rowIds!));
    expect(stored.stages.buyGivenNoAction).toBeDefined();
    for (let i = 0; i < stored.rowIds.length; i += 97) {
      expect(stored.stages.ctcvr[i]).toBeCloseTo(stored.stages.ctr[i] * stored.stages.cvr[i], 6);
    }
    const esmmStored = await readPredictions(project, records[0].id);
    expect(esmmStored.stages.avr).toBeUndefined();
  });

  it('streams a training part too large to hold: every row once per epoch, a new seeded order each epoch', async () => {
    const streamed = await storedRows(project, 'funnel', { part: 'train', split: 'random' }, 5);
    const held = await readDataset(project, 'funnel', { part: 'train', split: 'random' });
    expect(streamed.rows).toBe(held.rows);
    expect(streamed.hasActionLabel).toBe(true);
    const order = async (epoch: number) => {
      const ids: number[] = [];
      for await (const batch of streamed.epoch(epoch, 1000)) {
        expect(batch.rows).toBeLessThanOrEqual(1000);
        ids.push(...batch.rowIds!);
      }
      return ids;
    };
    const [first, second, firstAgain] = [await order(1), await order(2), await order(1)];
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from(held.rowIds!));
    expect(second).not.toEqual(first);
    expect(firstAgain).toEqual(first);

    const [record] = await trainRun({
      source: { kind: 'project', project, dataset: 'funnel' },
      models: ['esmc'],
      trainConfig: { epochs: 1, batchSize: 512 },
      streamAbove: 0,
      backend: 'wasm',
    });
    expect(record.status).toBe('completed');
    expect(record.data.split.train).toBe(held.rows);
    const stored = await readPredictions(project, record.id);
    expect(stored.rowIds.length).toBe((await readDataset(project, 'funnel')).rows);
  });

  it('is what `esmc-lab train --project` uses, and refuses a project that does not exist', async () => {
    project.close();
    try {
      const code = await main([
        'train',
        '--project',
        path,
        '--dataset',
        'funnel',
        '--model',
        'esmc',
        '--epochs',
        '1',
        '--backend',
        'wasm',
        '--json',
      ]);
      expect(code).toBe(0);
      const missing = join(workdir, 'nope.duckdb');
      expect(await main(['train', '--project', missing, '--dataset', 'funnel'])).toBe(2);
    } finally {
      project = await openProject(path);
    }
    expect((await listRuns(project)).map((r) => r.model)).toEqual(['esmm', 'esm2', 'esmc', 'esmc']);
  });
  it('annotates a run, and deletes runs with every row of their predictions, leaving the others', async () => {
    const [first, second] = await listRuns(project);
    expect(await annotateRun(project, first.id, { name: "esmm, Kate's", tags: ['a', "it's"], notes: 'n' })).toBe(true);
    expect(await annotateRun(project, 'nope', { notes: '' })).toBe(false);
    expect((await listRuns(project))[0]).toMatchObject({ name: "esmm, Kate's", tags: ['a', "it's"], notes: 'n' });
    const rows = (await readPredictions(project, second.id)).rowIds.length;
    expect(await deleteRuns(project, [first.id, 'nope'])).toBe(1);
    expect((await listRuns(project)).map((run) => run.id)).not.toContain(first.id);
    expect((await readPredictions(project, first.id)).rowIds.length).toBe(0);
    expect((await readPredictions(project, second.id)).rowIds.length).toBe(rows);
  });
  it('keeps what a failed run trained before it failed: its curve and the epochs that ended', async () => {
    const [done] = await listRuns(project);
    const partial = {
      curve: [
        { step: 10, epoch: 1, losses: { total: 0.9, ctr: 0.5 } },
        { step: 20, epoch: 2, losses: { total: 0.7, ctr: 0.4 } },
      ],
      epochs: [{ epoch: 1, trainLoss: { total: 0.8 }, validationLoss: 0.85 }],
    };
    const failed = {
      id: 'failed-mid-way',
      model: 'esmm',
      startedAt: new Date().toISOString(),
      durationMs: 1500,
      error: 'out of memory',
      modelConfig: done.modelConfig!,
      trainConfig: done.trainConfig!,
      backend: null,
    };
    await saveFailedRun(project, { ...failed, partial }, { dataset: 'funnel', split: 'random' });
    await saveFailedRun(project, { ...failed, id: 'failed-at-once' }, { dataset: 'funnel', split: 'random' });
    const read = await readRun(project, 'failed-mid-way');
    expect(read).toMatchObject({ status: 'failed', error: 'out of memory', record: null, partial, epochsRun: 1 });
    expect((await readRun(project, 'failed-at-once'))?.partial).toBeUndefined();
  });
});
