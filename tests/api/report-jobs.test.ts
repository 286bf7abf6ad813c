import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiService } from '../../src-main/api/service.js';
import { runWorkerTask } from '../../src-main/jobs/workers.js';
import type { RunSummary } from '../../src-shared/api/contract.js';
import { ServiceHarness } from './harness.js';

// The real worker threads, watched: which tasks the service hands them.
vi.mock('../../src-main/jobs/workers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src-main/jobs/workers.js')>();
  return { ...actual, runWorkerTask: vi.fn(actual.runWorkerTask) };
});

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
let dir: string;
let api: ServiceHarness;
let runs: RunSummary[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-report-jobs-'));
  api = new ServiceHarness(
    await createApiService({ projectPath: join(dir, 'lab.duckdb'), shell: 'browser', workers: 1, backend: 'wasm' }),
  );
  const imported = await api.call('datasets.import', { file: { kind: 'path', path: sample }, name: 'funnel' });
  await api.result<'import'>(imported.jobId);
  const { jobId } = await api.call('training.start', {
    dataset: 'funnel',
    models: ['esmm'],
    modelConfig: { embeddingDim: 4, tower: { hidden: [8] } },
    trainConfig: { epochs: 1, batchSize: 512 },
  });
  runs = await api.result<'train'>(jobId);
});

afterAll(async () => {
  await api.service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the report job', () => {
  it('computes the results and the PSC analysis on worker threads, not on the API thread', async () => {
    const tasks = vi.mocked(runWorkerTask);
    tasks.mockClear();
    const { jobId } = await api.call('report.create', { runIds: runs.map((run) => run.id), title: 'Workers' });
    await api.result<'report'>(jobId);
    expect(tasks.mock.calls.map(([task]) => task.kind).sort()).toEqual(['analyse', 'results']);
  });
});
