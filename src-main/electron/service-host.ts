import { utilityProcess, type UtilityProcess } from 'electron';
import { ApiError } from '../../src-shared/api/errors.js';
import type { ApiEvent, JobInfo, Method } from '../../src-shared/api/contract.js';
import type { ReplyFrame, ServerFrame } from '../../src-shared/api/wire.js';
import type { HostMessage } from './service-port.js';

export interface ServiceHostOptions {
  /** The utility process's entry (service-process.js). */
  entry: string;
  /** The project to open when the process starts or restarts. */
  projectPath(): string | null;
  onEvent(event: ApiEvent): void;
  /** More crashes than this within `crashWindowMs` and the process is not restarted again. */
  maxRestarts?: number;
  crashWindowMs?: number;
}

const FINISHED: ReadonlySet<JobInfo['state']> = new Set(['done', 'failed', 'cancelled']);

/**
 * Runs the API service in an Electron utility process and carries calls to it. When the process dies
 * unexpectedly (a native crash in tfjs or DuckDB), every pending call and running job is answered with an
 * error, the window is told, and the process is started again with the same project.
 */
export class ServiceHost {
  private child: UtilityProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ReplyFrame) => void>();
  /** The jobs the process reported and has not finished, to fail them if it dies. */
  private readonly runningJobs = new Map<string, JobInfo>();
  private crashTimes: number[] = [];
  private state: 'stopped' | 'running' | 'stopping' | 'given-up' = 'stopped';
  /** Why calls are refused while the process is not running. */
  private refusal = 'the computation process has not started';

  constructor(private readonly options: ServiceHostOptions) {}

  start(): void {
    const project = this.options.projectPath();
    const child = utilityProcess.fork(this.options.entry, project ? [`--project=${project}`] : [], {
      serviceName: 'ESMC Lab computation',
      stdio: 'inherit',
      // macOS: through the helper whose entitlements allow libraries not signed with the app (libtensorflow).
      allowLoadingUnsignedLibraries: process.platform === 'darwin',
    });
    child.on('message', (frame: ServerFrame) => this.receive(frame));
    child.once('exit', (code) => this.exited(child, code));
    this.child = child;
    this.state = 'running';
  }

  call(method: Method, params: unknown): Promise<ReplyFrame> {
    const child = this.child;
    if (!child || this.state !== 'running') return Promise.resolve(this.failure(0, this.refusal));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send(child, { id, method, params });
    });
  }

  /** Asks the process to close the project and exit; kills it if it has not within `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    this.state = 'stopping';
    this.refusal = 'ESMC Lab is closing';
    this.answerPending(this.refusal);
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send(child, { close: true });
    const timer = setTimeout(() => child.kill(), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private send(child: UtilityProcess, message: HostMessage): void {
    child.postMessage(message);
  }

  private receive(frame: ServerFrame): void {
    if ('event' in frame) {
      if (frame.event.type === 'job') {
        const job = frame.event.job;
        if (FINISHED.has(job.state)) this.runningJobs.delete(job.id);
        else this.runningJobs.set(job.id, job);
      }
      this.options.onEvent(frame.event);
      return;
    }
    const resolve = this.pending.get(frame.id);
    this.pending.delete(frame.id);
    resolve?.(frame);
  }

  private exited(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    if (this.state === 'stopping') {
      this.state = 'stopped';
      return;
    }
    const cause = `the computation process stopped unexpectedly (code ${code}); your project is intact`;
    const error = new ApiError('failed', cause);
    this.answerPending(cause);
    const finishedAt = new Date().toISOString();
    for (const job of this.runningJobs.values())
      this.options.onEvent({
        type: 'job',
        job: { ...job, state: 'failed', message: cause, finishedAt, error: error.toInfo() },
      });
    this.runningJobs.clear();

    const now = Date.now();
    const windowMs = this.options.crashWindowMs ?? 60_000;
    this.crashTimes = [...this.crashTimes.filter((time) => now - time < windowMs), now];
    if (this.crashTimes.length > (this.options.maxRestarts ?? 3)) {
      this.state = 'given-up';
      this.refusal = `${cause}; it stopped ${this.crashTimes.length} times in a short while, so it was not restarted: quit and reopen ESMC Lab`;
      this.options.onEvent({ type: 'service', state: 'given-up', message: this.refusal });
      return;
    }
    this.options.onEvent({ type: 'service', state: 'stopped', message: `${cause}; restarting it` });
    this.start();
    this.child!.once('spawn', () =>
      this.options.onEvent({
        type: 'service',
        state: 'restarted',
        message: 'the computation process is running again',
      }),
    );
  }

  private answerPending(message: string): void {
    for (const [id, resolve] of this.pending) resolve(this.failure(id, message));
    this.pending.clear();
  }

  private failure(id: number, message: string): ReplyFrame {
    return { id, ok: false, error: new ApiError('failed', message).toInfo() };
  }
}
