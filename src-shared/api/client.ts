import { ApiError } from './errors.js';
import type { ApiEvent, JobInfo, JobKind, JobResults, Method, Params, Result } from './contract.js';
import type { ReplyFrame } from './wire.js';

/** How the renderer reaches the Node side: Electron's preload or the browser host's WebSocket. */
export interface Transport {
  request(method: Method, params: unknown): Promise<ReplyFrame>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

/** The typed API over any transport; views use this and never a transport directly. */
export class ApiClient {
  constructor(private readonly transport: Transport) {}

  async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const reply = await this.transport.request(method, params);
    if (!reply.ok) throw ApiError.fromInfo(reply.error);
    return reply.result as Result<M>;
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  /** Resolves with the job's result when it is done; rejects with its error when it fails or is cancelled. */
  waitForJob<K extends JobKind>(jobId: string, onProgress?: (job: JobInfo) => void): Promise<JobResults[K]> {
    return new Promise((resolve, reject) => {
      let settled = false;
      // Every way out removes the listener, or each wait would leave one behind for the page's lifetime.
      const finish = (end: () => void) => {
        if (settled) return;
        settled = true;
        stop();
        end();
      };
      const settle = (job: JobInfo) => {
        if (settled || job.id !== jobId) return;
        onProgress?.(job);
        const outcome = jobOutcome<K>(job);
        if (outcome) finish(() => ('error' in outcome ? reject(outcome.error) : resolve(outcome.result)));
      };
      const stop = this.onEvent((event) => {
        if (event.type === 'job') settle(event.job);
      });
      // The job may have finished before the listener was attached.
      this.call('jobs.list', {}).then(
        (jobs) => jobs.forEach(settle),
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }
}

/** How a finished job ended: its result, or the error to reject with; null while it is queued or running. */
export function jobOutcome<K extends JobKind>(job: JobInfo): { result: JobResults[K] } | { error: ApiError } | null {
  if (job.state === 'done') return { result: job.result as JobResults[K] };
  if (job.state === 'failed' || job.state === 'cancelled')
    return { error: job.error ? ApiError.fromInfo(job.error) : new ApiError('cancelled', 'cancelled') };
  return null;
}
