import { describe, expect, it } from 'vitest';
import { JobManager } from '../../src-main/jobs/manager.js';
import { runWorkerTask, WorkerSlots } from '../../src-main/jobs/workers.js';
import { serviceError } from '../../src-main/api/errors.js';
import { DataError } from '../../src-main/engine/data/errors.js';
import { ProjectError } from '../../src-main/engine/store/project.js';
import type { ApiEvent, JobInfo } from '../../src-shared/api/contract.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function manager(throttleMs = 50) {
  const events: JobInfo[] = [];
  const jobs = new JobManager((event: ApiEvent) => event.type === 'job' && events.push(event.job), {
    throttleMs,
    keepFinished: 2,
    errorInfo: (error) => serviceError(error).toInfo(),
  });
  return { jobs, events };
}

describe('the job manager', () => {
  it('runs a job to its result, sending its changes with progress throttled', async () => {
    const { jobs, events } = manager(50);
    let finish!: () => void;
    const job = jobs.start('analyse', 'Analyse', async (context) => {
      for (let i = 1; i <= 10; i++) context.progress(i / 20, `step ${i}`);
      await new Promise<void>((resolve) => (finish = resolve));
      return { rows: 1 } as never;
    });
    expect(job).toMatchObject({ kind: 'analyse', title: 'Analyse', state: 'running', progress: 0 });
    await tick(80);
    // The start is sent at once; progress within the next 50 ms is merged into one trailing event.
    expect(events.map((e) => e.progress)).toEqual([0, 0.5]);
    expect(events.at(-1)?.message).toBe('step 10');
    finish();
    await tick();
    expect(events.at(-1)).toMatchObject({ state: 'done', progress: 1, result: { rows: 1 } });
    expect(events.at(-1)?.finishedAt).toBeDefined();
    expect(jobs.list().map((j) => j.state)).toEqual(['done']);
  });

  it('reports a failed job’s error as the API does, and forgets the oldest finished jobs', async () => {
    const { jobs, events } = manager();
    const failing = (error: Error) => jobs.start('import', 'Import', async () => Promise.reject(error));
    const bad = failing(new DataError('rows.csv', 4, 2, 'not a 0/1 label'));
    await tick();
    expect(events.find((e) => e.id === bad.id && e.state === 'failed')?.error).toEqual({
      code: 'data-error',
      message: 'rows.csv:4:2: not a 0/1 label',
      where: { file: 'rows.csv', line: 4, column: 2 },
    });
    failing(new ProjectError('locked'));
    failing(new Error('first line\nsecond line'));
    await tick();
    const listed = jobs.list();
    expect(listed.map((j) => j.error?.message)).toEqual(['locked', 'first line']);
    expect(listed[0].error?.code).toBe('failed');
  });

  it('cancels a job: its signal aborts, and it ends as cancelled once its work stops', async () => {
    const { jobs, events } = manager();
    const job = jobs.start('train', 'Train', (context) => {
      return new Promise((_, reject) =>
        context.signal.addEventListener('abort', () => setTimeout(() => reject(context.signal.reason), 20)),
      );
    });
    await tick();
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled?.state).toBe('cancelled');
    expect(events.map((e) => e.state)).toEqual(['running', 'running', 'cancelled']);
    expect(events[1].message).toBe('cancelling');
    expect(await jobs.cancel('unknown')).toBeUndefined();
    // Cancelling a finished job changes nothing.
    expect((await jobs.cancel(job.id))?.state).toBe('cancelled');
    expect(jobs.busy).toBe(false);
    // Cancelled before its work began, a job never starts it.
    let began = false;
    const early = jobs.start('report', 'Report', async () => {
      began = true;
      return {} as never;
    });
    expect((await jobs.cancel(early.id))?.state).toBe('cancelled');
    expect(began).toBe(false);
  });

  it('cancels one part of a job through its handler, and keeps the summary the job concluded with', async () => {
    const { jobs, events } = manager();
    const stopped: string[] = [];
    let finish!: () => void;
    const job = jobs.start('train', 'Train', (context) => {
      context.onCancelPart((part) => {
        if (part !== 'esmm' && part !== 'esmc') throw new Error(`no model "${part}"`);
        stopped.push(part);
      });
      return new Promise((resolve) => {
        finish = () => {
          context.conclude('1 stored; 1 cancelled (esmm)');
          resolve([]);
        };
      });
    });
    await tick();
    expect((await jobs.cancel(job.id, { part: 'esmm' }))?.state).toBe('running');
    await expect(jobs.cancel(job.id, { part: 'esmx' })).rejects.toThrow('no model "esmx"');
    expect(stopped).toEqual(['esmm']);
    finish();
    await tick();
    expect(jobs.get(job.id)).toMatchObject({ state: 'done', message: '1 stored; 1 cancelled (esmm)' });
    // Once ended, a part's cancel changes nothing.
    await jobs.cancel(job.id, { part: 'esmc' });
    expect(stopped).toEqual(['esmm']);
    // A job without parts says so; one that concluded nothing ends without its last step's words.
    const plain = jobs.start('import', 'Import', async (context) => {
      context.progress(0.5, 'reading rows');
      return {} as never;
    });
    await expect(jobs.cancel(plain.id, { part: 'x' })).rejects.toThrow('has no parts to cancel one by one');
    await tick();
    expect(jobs.get(plain.id)).toMatchObject({ state: 'done', message: '' });
    expect(events.at(-1)?.message).toBe('');
  });

  it('close() cancels every running job and waits for them', async () => {
    const { jobs } = manager();
    let stopped = 0;
    for (let i = 0; i < 3; i++)
      jobs.start('simulate', 'Simulate', (context) => {
        return new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => {
            stopped++;
            reject(new Error('aborted'));
          }),
        );
      });
    expect(jobs.busy).toBe(true);
    await tick();
    await jobs.close();
    expect(stopped).toBe(3);
    expect(jobs.list().every((j) => j.state === 'cancelled')).toBe(true);
  });
});

describe('worker slots', () => {
  it('runs at most `size` tasks at a time, the rest in order as slots free', async () => {
    const slots = new WorkerSlots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (n: number) =>
      slots.use(undefined, async () => {
        running++;
        most = Math.max(most, running);
        await tick(10);
        order.push(n);
        running--;
        return n;
      });
    expect(await Promise.all([1, 2, 3, 4, 5].map(task))).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(order.slice(2)).toEqual([3, 4, 5]);
    expect(() => new WorkerSlots(0)).toThrow(RangeError);
  });

  it('gives up waiting when the signal aborts, without taking a slot', async () => {
    const slots = new WorkerSlots(1);
    let release!: () => void;
    const holder = slots.use(undefined, () => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiting = slots.use(controller.signal, async () => 'ran');
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    release();
    await holder;
    expect(await slots.use(undefined, async () => 'next')).toBe('next');
  });
});

describe('worker tasks', () => {
  it('runs a task on a worker thread from the TypeScript sources and ends the thread when aborted', async () => {
    const backend = await runWorkerTask({ kind: 'backend', requested: 'cpu' });
    expect(backend).toMatchObject({ name: 'cpu', tfjsBackend: 'cpu' });
    const failed = runWorkerTask({ kind: 'backend', requested: 'node-gpu' });
    await expect(failed).rejects.toThrow(/Backend "node-gpu" is not available/);
    const controller = new AbortController();
    const simulation = runWorkerTask(
      {
        kind: 'simulate',
        config: {
          ...(await import('../../src-main/engine/simulate/simulator.js')).SIMULATOR_PRESETS['no-psc'],
          rows: 5_000_000,
        },
        out: '/nonexistent-folder/never-written.csv',
      },
      { signal: controller.signal },
    );
    controller.abort(new Error('cancelled by the test'));
    await expect(simulation).rejects.toThrow('cancelled by the test');
  });

  it('trains a model on a worker thread with a replica on a second one, and returns every row’s predictions', async () => {
    const { syntheticFunnel } = await import('../helpers/synthetic.js');
    const { DEFAULT_SPLIT, splitRows, takeSplit } = await import('../../src-main/engine/data/split.js');
    const data = syntheticFunnel(50_000, 3);
    const parts = takeSplit(data, splitRows(data.rows, DEFAULT_SPLIT, 1));
    for (const part of Object.values(parts)) part.rowIds = Int32Array.from({ length: part.rows }, (_, i) => i);
    const source = { parts, schema: data.schema, findings: [], path: 'synthetic', sha256: '', rows: data.rows };
    const { record, predictions } = await runWorkerTask({
      kind: 'train',
      model: 'esmm',
      source,
      modelConfig: { embeddingDim: 4, tower: { hidden: [8], activation: 'relu', dropout: 0 } },
      trainConfig: { maxSteps: 5 },
      backend: 'wasm',
      threads: 2,
    });
    expect(record.training.threads).toBe(2);
    expect(predictions!.rowIds.length).toBe(data.rows);
    expect(predictions!.stages.ctcvr.length).toBe(data.rows);
    expect(predictions!.stages.ctcvr.every((p) => p > 0 && p < 1)).toBe(true);
  });
});
