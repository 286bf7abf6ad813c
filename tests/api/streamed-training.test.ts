import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiService } from '../../src-main/api/service.js';
import { rowsFromPort, serveRows } from '../../src-main/jobs/rows-channel.js';

// The job's side is watched: each model of a streamed job gets a stream of its own.
vi.mock('../../src-main/jobs/rows-channel.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src-main/jobs/rows-channel.js')>();
  return { ...actual, serveRows: vi.fn(actual.serveRows) };
});
import { inMemoryRows, type TrainingRows } from '../../src-main/engine/train/rows.js';
import type { EncodedDataset } from '../../src-main/engine/data/dataset.js';
import { syntheticFunnel } from '../helpers/synthetic.js';
import { ServiceHarness } from './harness.js';
import { Project } from '../../src-main/engine/store/project.js';

/**
 * A large training part streams to the training thread batch by batch (rows-channel.ts) instead of being held
 * in memory: the worker must see exactly the batches the store gives, epoch after epoch, and a job must train
 * and store every row's predictions that way.
 */

async function collect(rows: TrainingRows, epoch: number, batchSize: number, take = Infinity): Promise<number[][]> {
  const out: number[][] = [];
  for await (const batch of rows.epoch(epoch, batchSize)) {
    out.push(Array.from(batch.rowIds!));
    if (out.length >= take) break;
  }
  return out;
}

describe('training rows over a port', () => {
  const data = syntheticFunnel(1_000, 4);
  data.rowIds = Int32Array.from({ length: data.rows }, (_, i) => i);

  it('gives the batches of every epoch in the order served, one left early included', async () => {
    vi.mocked(serveRows).mockClear();
    const [direct, served] = [inMemoryRows(data, 7), serveRows(inMemoryRows(data, 7))];
    const remote = rowsFromPort(served.remote);
    expect([remote.rows, remote.hasActionLabel]).toEqual([1_000, true]);
    expect(await collect(remote, 1, 128)).toEqual(await collect(direct, 1, 128));
    // Left after two batches: the one asked for ahead must not leak into the next epoch.
    expect(await collect(remote, 2, 128, 2)).toEqual(await collect(direct, 2, 128, 2));
    const third = await collect(remote, 3, 300);
    expect(third).toEqual(await collect(direct, 3, 300));
    expect(third.map((batch) => batch.length)).toEqual([300, 300, 300, 100]);
    expect(new Set(third.flat()).size).toBe(1_000);
    await served.close();
    served.remote.port.close();
  });

  it('fails the epoch with the reason when the stream fails', async () => {
    const failing: TrainingRows = {
      rows: 10,
      hasActionLabel: false,
      counts: { rows: 10, clicks: 0, clickedActions: null, clickedActionPurchases: null, clickedPurchases: 0 },
      async *epoch(): AsyncGenerator<EncodedDataset> {
        yield data;
        throw new Error('the store went away');
      },
    };
    const served = serveRows(failing);
    const remote = rowsFromPort(served.remote);
    await expect(collect(remote, 1, 10)).rejects.toThrow('Reading the training rows failed: the store went away');
    await served.close();
    served.remote.port.close();
  });

  it('ends the stream when the other side closes its port', async () => {
    let returned = false;
    const endless: TrainingRows = {
      rows: 1,
      hasActionLabel: false,
      counts: { rows: 1, clicks: 0, clickedActions: null, clickedActionPurchases: null, clickedPurchases: 0 },
      async *epoch(): AsyncGenerator<EncodedDataset> {
        try {
          for (;;) yield data;
        } finally {
          returned = true;
        }
      },
    };
    const served = serveRows(endless);
    const remote = rowsFromPort(served.remote);
    expect(await collect(remote, 1, 10, 3)).toHaveLength(3);
    served.remote.port.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(returned).toBe(true);
  });
});

describe('a training job on a streamed training part', () => {
  let dir: string;
  let api: ServiceHarness;
  let closed = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'esmc-streamed-'));
    const lines = ['category,price,click,action,purchase'];
    for (let k = 0; k < 600; k++) {
      const click = k % 3 === 0 ? 1 : 0;
      lines.push(
        `${['a', 'b', 'c', 'd'][k % 4]},${(10 + (k % 13)).toFixed(1)},${click},${click && k % 2},${click && k % 4 === 0 ? 1 : 0}`,
      );
    }
    writeFileSync(join(dir, 'rows.csv'), `${lines.join('\n')}\n`);
    // Any training part of more than 100 rows streams.
    api = new ServiceHarness(
      await createApiService({
        projectPath: join(dir, 'lab.duckdb'),
        shell: 'browser',
        workers: 2,
        backend: 'wasm',
        streamTrainingAbove: 100,
      }),
    );
  });

  afterAll(async () => {
    if (!closed) await api.service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains two models side by side, each on its own stream, and stores every row’s predictions', async () => {
    vi.mocked(serveRows).mockClear();
    const imported = await api.call('datasets.import', {
      file: { kind: 'path', path: join(dir, 'rows.csv') },
      name: 'rows',
    });
    await api.result<'import'>(imported.jobId);
    const { jobId } = await api.call('training.start', {
      dataset: 'rows',
      models: ['esmm', 'esm2'],
      modelConfig: { embeddingDim: 4, tower: { hidden: [8] } },
      trainConfig: { epochs: 2, batchSize: 64 },
    });
    const runs = await api.result<'train'>(jobId);
    expect(vi.mocked(serveRows)).toHaveBeenCalledTimes(2);
    expect(runs.map((run) => [run.model, run.status])).toEqual([
      ['esmm', 'completed'],
      ['esm2', 'completed'],
    ]);
    for (const run of runs) {
      expect(Number.isFinite(run.metrics.test!.cvr_logloss)).toBe(true);
      const detail = await api.call('runs.get', { id: run.id });
      expect(detail.record!.training.epochsRun).toBe(2);
    }
    // Every row's predictions, the streamed training part's included.
    await api.service.close();
    closed = true;
    const project = await Project.open(join(dir, 'lab.duckdb'));
    try {
      for (const run of runs) {
        const row = await project.one(
          'SELECT count(*)::INTEGER AS n, count(DISTINCT row_id)::INTEGER AS distinct_rows FROM predictions WHERE run_id = ?',
          [run.id],
        );
        expect(row).toEqual({ n: 600, distinct_rows: 600 });
      }
    } finally {
      project.close();
    }
  });
});
