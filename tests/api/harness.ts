import { dispatch } from '../../src-shared/api/dispatch.js';
import { ApiError } from '../../src-shared/api/errors.js';
import type {
  ApiEvent,
  JobInfo,
  JobKind,
  JobResults,
  Method,
  Params,
  Result,
  RunSummary,
} from '../../src-shared/api/contract.js';
import type { ApiService } from '../../src-main/api/service.js';

/** Calls a service the way both transports do (validation, dispatch, toWire) and records its events. */
export class ServiceHarness {
  readonly events: ApiEvent[] = [];
  private nextId = 1;

  constructor(readonly service: ApiService) {
    service.onEvent((event) => this.events.push(event));
  }

  async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const reply = await dispatch(this.service.handlers, this.nextId++, method, params);
    if (!reply.ok) throw ApiError.fromInfo(reply.error);
    return reply.result as Result<M>;
  }

  /** The error a call answers with; fails when the call succeeds. */
  async error(method: Method, params: unknown): Promise<ApiError> {
    const reply = await dispatch(this.service.handlers, this.nextId++, method, params);
    if (reply.ok) throw new Error(`${method} succeeded; expected an error`);
    return ApiError.fromInfo(reply.error);
  }

  /** The job once it has finished, whatever its end. */
  finished(jobId: string): Promise<JobInfo> {
    return new Promise((resolve) => {
      const check = (event: ApiEvent) => {
        if (event.type !== 'job' || event.job.id !== jobId) return false;
        if (event.job.state === 'running' || event.job.state === 'queued') return false;
        resolve(event.job);
        return true;
      };
      if (this.events.some(check)) return;
      const stop = this.service.onEvent((event) => {
        if (check(event)) stop();
      });
    });
  }

  /** The job's result; throws its error when it failed or was cancelled. */
  async result<K extends JobKind>(jobId: string): Promise<JobResults[K]> {
    const job = await this.finished(jobId);
    if (job.state !== 'done') throw job.error ? ApiError.fromInfo(job.error) : new Error(`job ${job.state}`);
    return job.result as JobResults[K];
  }

  /** Imports the file at `path` as dataset `name` and trains a tiny esmm on it for one epoch: the runs a test needs. */
  async importAndTrainTiny(path: string, name: string, batchSize: number): Promise<RunSummary[]> {
    const imported = await this.call('datasets.import', { file: { kind: 'path', path }, name });
    await this.result<'import'>(imported.jobId);
    const { jobId } = await this.call('training.start', {
      dataset: name,
      models: ['esmm'],
      modelConfig: { embeddingDim: 4, tower: { hidden: [8] } },
      trainConfig: { epochs: 1, batchSize },
    });
    return this.result<'train'>(jobId);
  }
}
