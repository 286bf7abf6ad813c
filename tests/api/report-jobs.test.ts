import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiService } from '../../src-main/api/service.js';
import { writeAtomically } from '../../src-main/engine/files.js';
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
  runs = await api.importAndTrainTiny(sample, 'funnel', 512);
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

  it('gives two reports with the same title, started together, two files', async () => {
    const runIds = runs.map((run) => run.id);
    const started = await Promise.all([api.call('report.create', { runIds }), api.call('report.create', { runIds })]);
    const [a, b] = await Promise.all(started.map(({ jobId }) => api.result<'report'>(jobId)));
    expect(a.path).not.toBe(b.path);
    expect(dirname(a.path)).toBe(dirname(b.path));
    for (const report of [a, b]) {
      expect(basename(report.path)).toMatch(/^ESMC report – funnel – \d{4}-\d{2}-\d{2}( \(\d\))?\.pdf$/);
      expect(readFileSync(report.path).subarray(0, 5).toString()).toBe('%PDF-');
      expect((await api.service.files.written(report.fileId))?.path).toBe(report.path);
    }
  });
});

describe('writeAtomically', () => {
  it('keeps two writes to one path at once apart: the file is one of them whole', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'esmc-atomic-'));
    try {
      const path = join(folder, 'report.pdf');
      const write = (letter: string) =>
        writeAtomically(path, async (file) => {
          for (let k = 0; k < 20; k++) {
            await file.write(letter.repeat(1000));
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        });
      await Promise.all([write('a'), write('b')]);
      expect(['a'.repeat(20_000), 'b'.repeat(20_000)]).toContain(readFileSync(path, 'utf8'));
      expect(readdirSync(folder)).toEqual(['report.pdf']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
