import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { startWorker } from './start.js';

/**
 * Runs independent tasks on worker threads, each worker taking the next task when it finishes one, so a
 * sweep keeps every core busy. The worker module receives a task by `postMessage` and answers with
 * `{ ok: true, result }` or `{ ok: false, error }`. Results come back in task order.
 */
export async function runInWorkers<Task, Result>(
  workerModule: URL,
  tasks: Task[],
  options: { workers?: number; onResult?: (result: Result, index: number) => void; signal?: AbortSignal } = {},
): Promise<Result[]> {
  const size = Math.max(1, Math.min(options.workers ?? availableParallelism(), tasks.length));
  const results = new Array<Result>(tasks.length);
  let next = 0;
  const workers: Worker[] = [];
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = startWorker(workerModule);
      workers.push(worker);
      let current = -1;
      let finished = false;
      const finish = (error?: Error) => {
        if (finished) return;
        finished = true;
        if (error) reject(error);
        else resolve();
      };
      const dispatch = () => {
        if (options.signal?.aborted || next >= tasks.length) return finish();
        current = next++;
        worker.postMessage(tasks[current]);
      };
      worker.on('message', (message: { ok: true; result: Result } | { ok: false; error: string }) => {
        if (!message.ok) return finish(new Error(message.error));
        results[current] = message.result;
        options.onResult?.(message.result, current);
        dispatch();
      });
      worker.on('error', finish);
      worker.on('exit', (code) => finish(new Error(`A worker stopped unexpectedly (exit code ${code})`)));
      dispatch();
    });
  try {
    await Promise.all(Array.from({ length: size }, runWorker));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

/**
 * Runs the tasks here one after another with `run` when `workers` is 1 or less, else on worker threads of
 * `workerModule` (which serves `run`): results in task order, `onResult` as each finishes; an abort stops
 * taking new tasks and returns what finished.
 */
export async function runTasks<Task, Result>(
  tasks: Task[],
  run: (task: Task) => Promise<Result>,
  workerModule: URL,
  options: { workers?: number; onResult?: (result: Result) => void; signal?: AbortSignal } = {},
): Promise<Result[]> {
  if ((options.workers ?? 1) > 1)
    return (
      await runInWorkers<Task, Result>(workerModule, tasks, {
        workers: options.workers,
        onResult: options.onResult,
        signal: options.signal,
      })
    ).filter((result) => result !== undefined);
  const results: Result[] = [];
  for (const task of tasks) {
    if (options.signal?.aborted) break;
    results.push(await run(task));
    options.onResult?.(results.at(-1)!);
  }
  return results;
}

/** The worker side: answers each task message with the handler's result, or its error message. */
export async function serveTasks<Task, Result>(handler: (task: Task) => Promise<Result>): Promise<void> {
  const { parentPort } = await import('node:worker_threads');
  if (!parentPort) throw new Error('serveTasks() must run in a worker thread');
  const port = parentPort;
  port.on('message', (task: Task) => {
    handler(task).then(
      (result) => port.postMessage({ ok: true, result }),
      (error: unknown) =>
        port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
