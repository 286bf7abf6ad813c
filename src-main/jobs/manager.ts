import { randomUUID } from 'node:crypto';
import type { ApiErrorInfo } from '../../src-shared/api/errors.js';
import type { ApiEvent, JobInfo, JobKind, JobResults } from '../../src-shared/api/contract.js';

/** What a job's work sees: its signal, and a way to say how far it is. */
export interface JobContext {
  id: string;
  signal: AbortSignal;
  /** `fraction` in 0..1; the message (the current step in words) stays until a new one is given. */
  progress(fraction: number, message?: string): void;
  /**
   * Lets a job made of parts (a training's models) stop one of them when asked. The handler throws when it
   * has no such part; a part that has already ended is left as it is.
   */
  onCancelPart(handler: (part: string) => void): void;
  /** How the work ended, in words ("2 stored; 1 cancelled (esmc)"): the job's message once it has finished. */
  conclude(message: string): void;
}

export interface JobManagerOptions {
  /** Progress-only changes of one job are sent at most this often; state changes are sent at once. */
  throttleMs?: number;
  /** Finished jobs kept for `jobs.list`, newest first; older ones are forgotten. */
  keepFinished?: number;
  /** How a job's error crosses the API. */
  errorInfo(error: unknown): ApiErrorInfo;
}

interface Entry {
  info: JobInfo;
  controller: AbortController;
  settled: Promise<void>;
  /** A progress change not sent yet, and the timer that will send it. */
  pending: ReturnType<typeof setTimeout> | null;
  lastSentAt: number;
  cancelPart?: (part: string) => void;
  concluded: boolean;
}

/**
 * Long work with an id: import, simulate, train, analyse, report. Each change of a job is a `job` event
 * (progress throttled); cancelling aborts the job's signal, and the job is 'cancelled' once its work has
 * stopped. Finished jobs stay listed, so a window opened later still sees what happened.
 */
export class JobManager {
  private readonly jobs = new Map<string, Entry>();
  private readonly throttleMs: number;
  private readonly keepFinished: number;

  constructor(
    private readonly emit: (event: ApiEvent) => void,
    private readonly options: JobManagerOptions,
  ) {
    this.throttleMs = options.throttleMs ?? 200;
    this.keepFinished = options.keepFinished ?? 200;
  }

  /** Starts `work` at once and returns the job as it is now ('running'). */
  start<K extends JobKind>(kind: K, title: string, work: (context: JobContext) => Promise<JobResults[K]>): JobInfo<K> {
    const id = randomUUID();
    const controller = new AbortController();
    const info: JobInfo<K> = {
      id,
      kind,
      title,
      state: 'running',
      progress: 0,
      message: '',
      startedAt: new Date().toISOString(),
    };
    const entry: Entry = {
      info,
      controller,
      settled: Promise.resolve(),
      pending: null,
      lastSentAt: 0,
      concluded: false,
    };
    this.jobs.set(id, entry);
    const context: JobContext = {
      id,
      signal: controller.signal,
      progress: (fraction, message) => {
        if (info.state !== 'running') return;
        info.progress = Math.min(1, Math.max(info.progress, fraction));
        if (message !== undefined) info.message = message;
        this.sendThrottled(entry);
      },
      onCancelPart: (handler) => {
        entry.cancelPart = handler;
      },
      conclude: (message) => {
        if (info.state !== 'running') return;
        info.message = message;
        entry.concluded = true;
        this.sendThrottled(entry);
      },
    };
    this.send(entry);
    entry.settled = Promise.resolve()
      .then(() => {
        // Cancelled before it began: the work never starts.
        controller.signal.throwIfAborted();
        return work(context);
      })
      .then(
        (result) => {
          if (controller.signal.aborted) return this.finish(entry, 'cancelled');
          info.result = result;
          info.progress = 1;
          this.finish(entry, 'done');
        },
        (error: unknown) => {
          if (controller.signal.aborted) return this.finish(entry, 'cancelled');
          info.error = this.options.errorInfo(error);
          this.finish(entry, 'failed');
        },
      );
    return { ...info };
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((entry) => ({ ...entry.info }));
  }

  get(id: string): JobInfo | undefined {
    const entry = this.jobs.get(id);
    return entry && { ...entry.info };
  }

  /**
   * Aborts the job and waits (up to `waitMs`) for its work to stop, so the answer usually says 'cancelled';
   * a finished job is returned as it is. Undefined for an unknown id. With `part`, stops that part only (the
   * job goes on); throws when the job has no such part.
   */
  async cancel(id: string, options: { part?: string; waitMs?: number } = {}): Promise<JobInfo | undefined> {
    const { part, waitMs = 10_000 } = options;
    const entry = this.jobs.get(id);
    if (!entry) return undefined;
    if (part !== undefined) {
      if (!entry.cancelPart) throw new Error(`job "${entry.info.title}" has no parts to cancel one by one`);
      if (entry.info.state === 'running') entry.cancelPart(part);
      return { ...entry.info };
    }
    if (entry.info.state === 'running') {
      entry.info.message = 'cancelling';
      entry.controller.abort();
      this.send(entry);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([entry.settled, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    return { ...entry.info };
  }

  /** Whether any job is still running. */
  get busy(): boolean {
    return [...this.jobs.values()].some((entry) => entry.info.state === 'running');
  }

  /** Cancels every running job and waits until all have stopped. */
  async close(): Promise<void> {
    const running = [...this.jobs.values()].filter((entry) => entry.info.state === 'running');
    for (const entry of running) entry.controller.abort();
    await Promise.all(running.map((entry) => entry.settled));
  }

  private finish(entry: Entry, state: 'done' | 'failed' | 'cancelled'): void {
    entry.info.state = state;
    entry.info.finishedAt = new Date().toISOString();
    // The last step's words ("waiting for a free worker") are not how a job ended; a summary of its parts is.
    if (!entry.concluded) entry.info.message = '';
    this.send(entry);
    this.forgetOldJobs();
  }

  private sendThrottled(entry: Entry): void {
    if (entry.pending) return;
    const wait = entry.lastSentAt + this.throttleMs - Date.now();
    if (wait <= 0) return this.send(entry);
    entry.pending = setTimeout(() => this.send(entry), wait);
  }

  private send(entry: Entry): void {
    if (entry.pending) clearTimeout(entry.pending);
    entry.pending = null;
    entry.lastSentAt = Date.now();
    this.emit({ type: 'job', job: { ...entry.info } });
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((entry) => entry.info.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - this.keepFinished)))
      this.jobs.delete(entry.info.id);
  }
}
