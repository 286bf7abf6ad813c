import type { Transferable } from 'node:worker_threads';
import { startWorker } from '../engine/workers/start.js';
import type { TaskKind, TaskResults, WorkerMessage, WorkerTask } from './tasks.js';

const WORKER_MODULE = new URL('./worker.js', import.meta.url);

export interface TaskOptions {
  signal?: AbortSignal;
  /** Buffers moved to the worker instead of copied (the sender loses them). */
  transfer?: Transferable[];
  /** Progress messages the task sends before its result. */
  onMessage?: (message: Exclude<WorkerMessage, { type: 'done' | 'failed' }>) => void;
}

/**
 * Runs one task on a new worker thread and ends the thread when the task settles. Aborting terminates the
 * thread at once (a training step is not waited for) and rejects with the signal's reason.
 */
export function runWorkerTask<K extends TaskKind>(
  task: Extract<WorkerTask, { kind: K }>,
  options: TaskOptions = {},
): Promise<TaskResults[K]> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const worker = startWorker(WORKER_MODULE);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      void worker.terminate();
      outcome();
    };
    const abort = () => settle(() => reject(signal!.reason));
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'done') settle(() => resolve(message.result as TaskResults[K]));
      else if (message.type === 'failed')
        settle(() => reject(Object.assign(new Error(message.error.message), { name: message.error.name })));
      else if (!settled) options.onMessage?.(message);
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the worker thread stopped (exit code ${code})`))));
    worker.postMessage(task, options.transfer ?? []);
  });
}

/**
 * At most `size` tasks at a time across every job, so two trainings started together share the cores
 * instead of each taking all of them.
 */
export class WorkerSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`worker slots must be ≥ 1, got ${size}`);
  }

  /** Runs `work` once a slot is free; an abort while waiting rejects without running it. */
  async use<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.size) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', abort);
        this.running++;
        resolve();
      };
      const abort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
