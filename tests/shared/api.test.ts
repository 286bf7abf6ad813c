import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  ApiError,
  METHODS,
  dispatch,
  toWire,
  validateRequest,
  type ApiEvent,
  type ApiHandlers,
  type JobInfo,
  type ReplyFrame,
  type Transport,
} from '../../src-shared/api/index.js';

function handlersAnswering(answer: (method: string, params: unknown) => unknown): ApiHandlers {
  return Object.fromEntries(
    METHODS.map((method) => [method, async (params: unknown) => answer(method, params)]),
  ) as unknown as ApiHandlers;
}

describe('dispatch', () => {
  it('hands the handler validated, normalised parameters and wraps its result', async () => {
    const handlers = handlersAnswering((method, params) => ({ method, params }));
    const reply = await dispatch(handlers, 7, 'datasets.get', { name: '  sample  ' });
    expect(reply).toEqual({ id: 7, ok: true, result: { method: 'datasets.get', params: { name: 'sample' } } });
  });

  it('refuses unknown methods, unknown keys and out-of-range values, naming each field', async () => {
    const handlers = handlersAnswering(() => {
      throw new Error('a handler must not run for a bad request');
    });
    const unknown = await dispatch(handlers, 1, 'shell.exec', { command: 'rm -rf /' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const bad = (await dispatch(handlers, 2, 'training.start', {
      dataset: 'd',
      models: [],
      trainConfig: { epochs: 0, surprise: true },
    })) as Extract<ReplyFrame, { ok: false }>;
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('invalid-request');
    expect(bad.error.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^models:/),
        expect.stringMatching(/^trainConfig\.epochs:/),
        expect.stringMatching(/^trainConfig: .*surprise/),
      ]),
    );
    const upload = await dispatch(handlers, 3, 'files.inspect', {
      file: { kind: 'upload', id: '../../etc', name: 'x' },
    });
    expect(upload).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  it('takes the userFeature switch among the column roles of an import, as a boolean', () => {
    const file = { kind: 'path', path: '/data/rows.csv' };
    const roles = { user: 'uid', userFeature: false };
    expect(validateRequest('datasets.import', { file, roles })).toMatchObject({ params: { roles } });
    expect(() => validateRequest('datasets.import', { file, roles: { userFeature: 'no' } })).toThrow(/userFeature/);
  });

  it('accepts a request with no parameters as an empty object', () => {
    expect(validateRequest('datasets.list', undefined)).toEqual({ method: 'datasets.list', params: {} });
  });

  it('turns handler errors into plain error info and keeps an ApiError as it is', async () => {
    const where = { file: 'rows.csv', line: 3, column: 'click' };
    const handlers = handlersAnswering((method) => {
      if (method === 'datasets.list') throw new ApiError('data-error', 'click must be 0 or 1', { where });
      throw new Error('first line\nstack-like detail');
    });
    expect(await dispatch(handlers, 1, 'datasets.list', {})).toEqual({
      id: 1,
      ok: false,
      error: { code: 'data-error', message: 'click must be 0 or 1', where },
    });
    expect(await dispatch(handlers, 2, 'runs.list', {})).toEqual({
      id: 2,
      ok: false,
      error: { code: 'failed', message: 'first line' },
    });
  });
});

describe('toWire', () => {
  it('sends NaN and infinities as null and typed arrays as arrays, whatever the transport', () => {
    expect(toWire({ auc: NaN, n: 3, inf: -Infinity, p: new Float32Array([0.5, NaN]), skip: undefined })).toEqual({
      auc: null,
      n: 3,
      inf: null,
      p: [0.5, null],
    });
    expect(JSON.parse(JSON.stringify(toWire([1, NaN])))).toEqual([1, null]);
  });
});

/** A transport whose Node side is the given handlers, in memory. */
class MemoryTransport implements Transport {
  readonly listeners = new Set<(event: ApiEvent) => void>();
  constructor(private readonly handlers: ApiHandlers) {}
  request(method: Parameters<Transport['request']>[0], params: unknown) {
    return dispatch(this.handlers, 1, method, params);
  }
  onEvent(listener: (event: ApiEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ApiEvent) {
    for (const listener of this.listeners) listener(event);
  }
}

const job = (state: JobInfo['state'], extra: Partial<JobInfo> = {}): JobInfo => ({
  id: 'j1',
  kind: 'report',
  title: 'Report',
  state,
  progress: state === 'done' ? 1 : 0.5,
  message: '',
  startedAt: '2026-11-28T00:00:00Z',
  ...extra,
});

describe('ApiClient', () => {
  it('throws the Node side error as an ApiError with its code', async () => {
    const client = new ApiClient(
      new MemoryTransport(
        handlersAnswering(() => {
          throw new ApiError('not-found', 'no dataset "x"');
        }),
      ),
    );
    await expect(client.call('datasets.get', { name: 'x' })).rejects.toMatchObject({
      name: 'ApiError',
      code: 'not-found',
      message: 'no dataset "x"',
    });
  });

  it('waits for a job through its events and yields its result', async () => {
    const transport = new MemoryTransport(handlersAnswering(() => []));
    const client = new ApiClient(transport);
    const seen: number[] = [];
    const done = client.waitForJob<'report'>('j1', (info) => seen.push(info.progress));
    transport.emit({ type: 'job', job: job('running', { id: 'other' }) });
    transport.emit({ type: 'job', job: job('running') });
    const result = { path: '/tmp/r.pdf', fileId: 'f', pages: 3, bytes: 10, seconds: 1 };
    transport.emit({ type: 'job', job: job('done', { result }) });
    await expect(done).resolves.toEqual(result);
    expect(seen).toEqual([0.5, 1]);
  });

  it('finds a job that finished before it started waiting, and rejects a failed one with its error', async () => {
    const failed = job('failed', { error: { code: 'data-error', message: 'bad file' } });
    const client = new ApiClient(new MemoryTransport(handlersAnswering(() => [failed])));
    await expect(client.waitForJob('j1')).rejects.toMatchObject({ code: 'data-error', message: 'bad file' });
  });

  it('stops listening once the wait is over, also when the job list cannot be read', async () => {
    const answering = new MemoryTransport(handlersAnswering(() => []));
    const done = new ApiClient(answering).waitForJob('j1');
    answering.emit({ type: 'job', job: job('done') });
    await done;
    expect(answering.listeners.size).toBe(0);
    const refusing = new MemoryTransport(
      handlersAnswering(() => {
        throw new ApiError('failed', 'link lost');
      }),
    );
    await expect(new ApiClient(refusing).waitForJob('j1')).rejects.toMatchObject({ message: 'link lost' });
    expect(refusing.listeners.size).toBe(0);
  });
});
