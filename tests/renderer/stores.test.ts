// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/errors.js';
import type {
  DatasetDetail,
  JobInfo,
  ProjectSummary,
  ResultsView,
  RowsPage,
  RunSummary,
  StageRow,
} from '../../src-shared/api/index.js';
import type { ColumnRoles, PscAnalysis } from '../../src-shared/types/index.js';
import { describeError } from '../../src-renderer/errors.js';
import { missingLabels, roleOf, withRole } from '../../src-renderer/roles.js';
import { useAppStore } from '../../src-renderer/stores/app.js';
import { useDataStore, datasetNameFor } from '../../src-renderer/stores/data.js';
import { useJobsStore } from '../../src-renderer/stores/jobs.js';
import { useNoticesStore } from '../../src-renderer/stores/notices.js';
import { usePscStore } from '../../src-renderer/stores/psc.js';
import { useResultsStore } from '../../src-renderer/stores/results.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import { runOfKey, useStagesStore } from '../../src-renderer/stores/stages.js';
import { useTrainingStore } from '../../src-renderer/stores/training.js';
import { FakeHost, labApp, settle } from './fake-host.js';

const run = (id: string, model: string, status: RunSummary['status'] = 'completed'): RunSummary => ({
  id,
  model,
  status,
  dataset: 'sales',
  split: 'default',
  startedAt: '2026-01-01T00:00:00.000Z',
  backend: null,
  metrics: {},
});

describe('jobs store', () => {
  it('follows job events and never moves a finished job back to running', async () => {
    const host = new FakeHost();
    labApp(host);
    const jobs = useJobsStore();
    host.emitJob({ id: 'j1', state: 'running', progress: 0.2 });
    host.emitJob({ id: 'j2', state: 'queued' });
    expect(jobs.running.map((job) => job.id)).toEqual(['j1', 'j2']);
    host.emitJob({ id: 'j1', state: 'done', progress: 1 });
    host.emitJob({ id: 'j1', state: 'running', progress: 0.9 }); // a late, throttled progress event
    expect(jobs.byId.j1.state).toBe('done');
    expect(jobs.running.map((job) => job.id)).toEqual(['j2']);
  });

  it('re-reads the job list after the connection comes back', async () => {
    const host = new FakeHost().on('app.info', () => {
      throw new ApiError('failed', 'not in this test');
    });
    host.on('jobs.list', () => [
      { id: 'j9', kind: 'import', title: 'Import', state: 'done', progress: 1, message: '', startedAt: 'x' },
    ]);
    labApp(host);
    const app = useAppStore();
    const jobs = useJobsStore();
    host.setConnection('reconnecting');
    expect(app.connection).toBe('reconnecting');
    host.setConnection('open');
    await settle();
    expect(jobs.byId.j9?.state).toBe('done');
  });
});

describe('waiting for a job across a lost link', () => {
  const finished = { id: 't1', kind: 'train', title: 'Train', progress: 1, message: '', startedAt: 'x' } as const;

  it('learns from the job list read after a reconnect that a job ended while the link was down', async () => {
    let listed: JobInfo[] = [];
    const host = new FakeHost()
      .on('app.info', () => {
        throw new ApiError('failed', 'not in this test');
      })
      .on('jobs.list', () => listed)
      .on('training.start', () => ({ jobId: 't1' }));
    labApp(host);
    const app = useAppStore();
    const training = useTrainingStore();
    const done = training.start({ dataset: 'sales', models: ['esmm'] });
    await settle();
    expect(training.active).toBe(true);
    host.setConnection('reconnecting');
    // The job's end is sent while nobody listens: only the next job list has it.
    listed = [{ ...finished, state: 'done', result: [run('r1', 'esmm')] }];
    host.setConnection('open');
    await settle();
    expect(app.connection).toBe('open');
    await expect(done).resolves.toEqual([run('r1', 'esmm')]);
    expect(training.active).toBe(false);
    expect(training.finishedRuns.map((r) => r.id)).toEqual(['r1']);
  });

  it('rejects a failure read from the job list, and stops waiting for a job the lab no longer lists', async () => {
    let listed: JobInfo[] = [];
    const host = new FakeHost().on('jobs.list', () => listed).on('datasets.simulate', () => ({ jobId: 's1' }));
    labApp(host);
    const jobs = useJobsStore();
    const data = useDataStore();
    const failed = jobs.wait('t1');
    const simulating = data.simulate({ preset: 'paper-like', rows: 1000 });
    await settle();
    listed = [{ ...finished, state: 'failed', error: { code: 'data-error', message: 'bad row' } }];
    await jobs.sync();
    await expect(failed).rejects.toMatchObject({ code: 'data-error', message: 'bad row' });
    // s1 is missing from that list: the lab restarted and its jobs are gone.
    await expect(simulating).resolves.toBe(false);
    expect(data.simulateJob).toBeNull();
    expect(useNoticesStore().notices.at(-1)?.text).toMatch(/no longer knows this job/);
  });

  it('keeps waiting for a job started after the job list was asked for', async () => {
    let answer: (jobs: JobInfo[]) => void = () => {};
    const host = new FakeHost().on('jobs.list', () => new Promise<JobInfo[]>((resolve) => (answer = resolve)));
    labApp(host);
    const jobs = useJobsStore();
    const syncing = jobs.sync();
    let outcome = 'waiting';
    jobs.wait('t1').then(
      () => (outcome = 'done'),
      () => (outcome = 'rejected'),
    );
    answer([]);
    await syncing;
    await settle();
    expect(outcome).toBe('waiting');
    host.emitJob({ ...finished, state: 'done', result: [] });
    await settle();
    expect(outcome).toBe('done');
  });
});

describe('training store', () => {
  it('draws loss curves on a global step axis and epoch metrics per model from train events', async () => {
    const host = new FakeHost().on('training.start', () => ({ jobId: 't1' }));
    labApp(host);
    const training = useTrainingStore();
    const done = training.start({ dataset: 'sales', models: ['esmm', 'esmc'] });
    await settle();
    expect(training.jobId).toBe('t1');
    expect(training.active).toBe(true);
    const step = (model: string, epoch: number, s: number, total: number) =>
      host.emit({
        type: 'train',
        jobId: 't1',
        model,
        event: { type: 'step', epoch, step: s, stepsPerEpoch: 10, losses: { total, ctr: 0.1 }, samplesPerSecond: 500 },
      });
    host.emit({ type: 'train', jobId: 't1', model: 'esmc', event: { type: 'loaded', rows: 800, epochs: 10 } });
    step('esmc', 1, 5, 0.9);
    step('esmc', 1, 10, 0.7);
    step('esmc', 2, 5, 0.5);
    step('esmm', 1, 10, 0.8);
    host.emit({
      type: 'train',
      jobId: 'other-job',
      model: 'esmc',
      event: { type: 'step', epoch: 1, step: 1, stepsPerEpoch: 10, losses: { total: 9 }, samplesPerSecond: 1 },
    });
    host.emit({
      type: 'train',
      jobId: 't1',
      model: 'esmc',
      event: { type: 'epoch', epoch: 1, trainLoss: { total: 0.8 }, validation: { cvr_auc: 0.71 }, improved: true },
    });
    host.emit({
      type: 'train',
      jobId: 't1',
      model: 'esmm',
      event: { type: 'epoch', epoch: 1, trainLoss: { total: 0.8 }, improved: false },
    });

    expect(training.lossSeries).toEqual([
      { model: 'esmm', points: [{ step: 10, loss: 0.8, losses: { total: 0.8, ctr: 0.1 } }] },
      {
        model: 'esmc',
        points: [
          { step: 5, loss: 0.9, losses: { total: 0.9, ctr: 0.1 } },
          { step: 10, loss: 0.7, losses: { total: 0.7, ctr: 0.1 } },
          { step: 15, loss: 0.5, losses: { total: 0.5, ctr: 0.1 } },
        ],
      },
    ]);
    expect(training.metricSeries('cvr_auc')).toEqual([
      { model: 'esmm', points: [{ epoch: 1, value: null }] },
      { model: 'esmc', points: [{ epoch: 1, value: 0.71 }] },
    ]);
    expect(training.progress.esmc).toMatchObject({ rows: 800, epoch: 2, step: 5, samplesPerSecond: 500 });

    const runs = [run('r1', 'esmm'), run('r2', 'esmc', 'failed')];
    runs[1].error = 'out of memory';
    host.emitJob({ id: 't1', state: 'done', progress: 1, result: runs });
    await expect(done).resolves.toEqual(runs);
    expect(training.active).toBe(false);
    // A model that failed inside a finished job is still said in words.
    expect(useNoticesStore().notices.map((n) => n.text)).toEqual(['out of memory']);
  });

  it('reports a refused start in words and leaves nothing running', async () => {
    const host = new FakeHost().on('training.start', () => {
      throw new ApiError('invalid-request', 'invalid parameters for training.start: models: too small', {
        issues: ['models: too small'],
      });
    });
    labApp(host);
    const training = useTrainingStore();
    await expect(training.start({ dataset: 'sales', models: [] })).resolves.toBeNull();
    expect(training.active).toBe(false);
    expect(useNoticesStore().notices[0]).toMatchObject({ kind: 'error', text: expect.stringContaining('models') });
  });

  it('cancels its job, and a cancelled training is news, not an error', async () => {
    const host = new FakeHost()
      .on('training.start', () => ({ jobId: 't2' }))
      .on('jobs.cancel', ({ jobId }) => ({
        id: jobId,
        kind: 'train',
        title: 'Train',
        state: 'cancelled',
        progress: 0.3,
        message: '',
        startedAt: 'x',
      }));
    labApp(host);
    const training = useTrainingStore();
    const done = training.start({ dataset: 'sales', models: ['esmm'] });
    await settle();
    await training.cancel();
    expect(host.callsOf('jobs.cancel')).toEqual([{ jobId: 't2' }]);
    host.emitJob({ id: 't2', state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } });
    await expect(done).resolves.toBeNull();
    expect(training.active).toBe(false);
    expect(useNoticesStore().notices[0]).toMatchObject({ kind: 'info', text: 'cancelled' });
  });
});

describe('results store', () => {
  it('keeps the answer to the newest selection when an older one arrives late', async () => {
    const answers: Record<string, (view: ResultsView) => void> = {};
    const host = new FakeHost().on(
      'results.compare',
      ({ runIds }) => new Promise<ResultsView>((resolve) => (answers[runIds.join(',')] = resolve)),
    );
    labApp(host);
    const results = useResultsStore();
    const view = (dataset: string) => ({ dataset }) as ResultsView;
    const older = results.load(['a', 'b']);
    const newer = results.load(['a', 'c']);
    await settle();
    answers['a,c'](view('newer'));
    await newer;
    answers['a,b'](view('older'));
    await older;
    expect(results.view?.dataset).toBe('newer');
    expect(results.loading).toBe(false);
    expect(host.callsOf('results.compare')).toEqual([
      { runIds: ['a', 'b'], part: 'test' },
      { runIds: ['a', 'c'], part: 'test' },
    ]);
  });

  it('shows why a comparison failed', async () => {
    const host = new FakeHost().on('results.compare', () => {
      throw new ApiError('invalid-request', 'runs r1 and r2 were trained on different datasets');
    });
    labApp(host);
    const results = useResultsStore();
    await results.load(['r1', 'r2']);
    expect(results.error).toBe('runs r1 and r2 were trained on different datasets');
    expect(results.view).toBeNull();
  });
});

describe('stages store', () => {
  it('asks for one page with the filter and sort as set, and drops an answer to a selection cleared since', async () => {
    const answers: ((page: RowsPage) => void)[] = [];
    const host = new FakeHost().on('stages.rows', () => new Promise<RowsPage>((resolve) => answers.push(resolve)));
    labApp(host);
    const stages = useStagesStore();
    stages.setFilter('psc');
    stages.sortBy('r1:cvr');
    stages.offset = 50;
    stages.sortBy('r1:cvr'); // the same column again: ascending, back to the first page
    const loading = stages.load(['r1']);
    expect(stages.loading).toBe(true);
    await settle();
    expect(host.callsOf('stages.rows')).toEqual([
      { runIds: ['r1'], filter: { pscOnly: true }, sort: { key: 'r1:cvr', descending: false }, offset: 0, limit: 50 },
    ]);
    await stages.load([]);
    answers[0]({ derived: [], total: 1, offset: 0, rows: [] });
    await loading;
    expect(stages.page).toBeNull();
    expect(stages.loading).toBe(false);
  });

  it('forgets a sort by a column of a run no longer selected, and a row read without a run now selected', async () => {
    const host = new FakeHost()
      .on('stages.rows', () => ({ derived: [], total: 0, offset: 0, rows: [] }))
      .on(
        'stages.row',
        ({ runIds, rowId }) => ({ rowId, stages: Object.fromEntries(runIds.map((id) => [id, {}])) }) as StageRow,
      );
    labApp(host);
    const stages = useStagesStore();
    stages.sortBy('r1:cvr');
    await stages.inspect(['r1'], 7);
    await stages.load(['r1', 'r2']);
    expect(stages.sort).toEqual({ key: 'r1:cvr', descending: true });
    expect(stages.selectedRow).toBeNull();
    await stages.inspect(['r1', 'r2'], 7);
    stages.sortBy('purchase');
    await stages.load(['r1', 'r2']);
    expect(stages.selectedRow?.rowId).toBe(7);
    stages.sortBy('r1:cvr');
    await stages.load(['r2']);
    expect(stages.sort).toBeNull();
    // The row still holds what r2 predicted for it.
    expect(stages.selectedRow?.rowId).toBe(7);
    expect((host.callsOf('stages.rows') as { sort?: unknown }[]).map((call) => call.sort)).toEqual([
      { key: 'r1:cvr', descending: true },
      { key: 'purchase', descending: true },
      undefined,
    ]);
  });

  it('keeps a range and a sort on a derived column while its run is selected, and drops them after', async () => {
    const host = new FakeHost().on('stages.rows', () => ({ derived: [], total: 0, offset: 0, rows: [] }));
    labApp(host);
    const stages = useStagesStore();
    stages.setRange({ key: 'gap:r2', min: 0 });
    stages.sortBy('error:r2');
    await stages.load(['r1', 'r2']);
    stages.setRange({ key: 'truth:cvr', max: 0.5 });
    await stages.load(['r1']);
    expect([stages.range, stages.sort]).toEqual([{ key: 'truth:cvr', max: 0.5 }, null]);
    stages.setRange({ key: 'gap:r2', min: 0 });
    await stages.load(['r1']);
    expect(stages.range).toBeNull();
    const calls = host.callsOf('stages.rows') as { ranges?: unknown; sort?: unknown }[];
    expect(calls.map((call) => [call.ranges, call.sort])).toEqual([
      [[{ key: 'gap:r2', min: 0 }], { key: 'error:r2', descending: true }],
      [[{ key: 'truth:cvr', max: 0.5 }], undefined],
      [undefined, undefined],
    ]);
    expect(['r1:cvr', 'gap:r2', 'error:a:b', 'truth:cvr', 'purchase'].map(runOfKey)).toEqual([
      'r1',
      'r2',
      'a:b',
      null,
      null,
    ]);
  });
});

describe('another project opened', () => {
  const project = (path: string, runs: RunSummary[] = []) =>
    ({ path, name: path.slice(1), datasets: [], runs }) as ProjectSummary;

  it('clears the selection, dataset, results, PSC analysis and rows of the old one, not when the same one changes', async () => {
    const host = new FakeHost().on('stages.row', ({ rowId }) => ({ rowId }) as unknown as StageRow);
    labApp(host);
    const runs = useRunsStore();
    const data = useDataStore();
    const results = useResultsStore();
    const psc = usePscStore();
    const stages = useStagesStore();
    host.emit({ type: 'project', project: project('/a', [run('r1', 'esmm')]) });
    const fill = async () => {
      runs.select(['r1']);
      data.dataset = { name: 'sales' } as DatasetDetail;
      results.view = { dataset: 'sales' } as ResultsView;
      psc.analysis = {} as PscAnalysis;
      psc.analysedRunIds = ['r1'];
      stages.page = { derived: [], total: 1, offset: 0, rows: [] };
      await stages.inspect(['r1'], 7);
    };
    const shown = () => [
      runs.selected.length,
      data.dataset,
      results.view,
      psc.analysis,
      psc.analysedRunIds.length,
      stages.page,
      stages.selectedRow,
    ];
    await fill();
    // The same project, its runs changed (a training ended): nothing on screen belongs elsewhere.
    host.emit({ type: 'project', project: project('/a', [run('r1', 'esmm'), run('r2', 'esmc')]) });
    expect(shown().every((thing) => thing !== null && thing !== 0)).toBe(true);
    expect(runs.runs.map((r) => r.id)).toEqual(['r1', 'r2']);
    // File › Open in the desktop menu: a project event names another file.
    host.emit({ type: 'project', project: project('/b', [run('r9', 'esmc')]) });
    expect(shown()).toEqual([0, null, null, null, 0, null, null]);
    expect(runs.runs.map((r) => r.id)).toEqual(['r9']);
    await fill();
    host.emit({ type: 'project', project: null });
    expect(shown()).toEqual([0, null, null, null, 0, null, null]);
    expect(runs.runs).toEqual([]);
  });

  it('does not show what the old project answers after the switch', async () => {
    let answerDataset = () => {};
    const host = new FakeHost()
      .on('psc.analyse', () => ({ jobId: 'p1' }))
      .on(
        'datasets.get',
        ({ name }) =>
          new Promise<DatasetDetail>((resolve) => (answerDataset = () => resolve({ name } as DatasetDetail))),
      );
    labApp(host);
    const psc = usePscStore();
    const data = useDataStore();
    host.emit({ type: 'project', project: project('/a') });
    const analysing = psc.analyse(['r1']);
    const showing = data.show('sales');
    await settle();
    host.emit({ type: 'project', project: project('/b') });
    host.emitJob({ id: 'p1', kind: 'analyse', state: 'done', result: {} as PscAnalysis });
    answerDataset();
    await analysing;
    await showing;
    expect(psc.analysis).toBeNull();
    expect(psc.jobId).toBeNull();
    expect(data.dataset).toBeNull();
  });
});

describe('runs store', () => {
  it('selects the runs a training produced, leaving failed ones out', () => {
    const host = new FakeHost();
    labApp(host);
    const runs = useRunsStore();
    runs.adopt([run('r1', 'esmm'), run('r2', 'esmc'), run('r3', 'esm2', 'failed')]);
    expect(runs.selected).toEqual(['r1', 'r2']);
    runs.toggle('r1');
    expect(runs.selectedRuns.map((r) => r.model)).toEqual(['esmc']);
  });

  it('exports a PDF through the report job and opens the written file', async () => {
    const host = new FakeHost().on('report.create', () => ({ jobId: 'rep' }));
    labApp(host);
    const runs = useRunsStore();
    const exported = runs.exportPdf(['r1']);
    await settle();
    host.emitJob({
      id: 'rep',
      state: 'done',
      kind: 'report',
      result: { path: '/tmp/r.pdf', fileId: 'file-1', pages: 7, bytes: 1, seconds: 1 },
    });
    await expect(exported).resolves.toBe(true);
    expect(host.opened).toEqual(['file-1']);
    expect(useNoticesStore().notices[0].text).toBe('7 pages written to /tmp/r.pdf');
  });
});

describe('data store', () => {
  const roles: ColumnRoles = {
    click: 'click',
    purchase: 'buy',
    categorical: ['city'],
    dense: [],
    truth: [],
    ignore: [],
  };
  const inspection = {
    fileName: 'sales.csv',
    bytes: 10,
    format: 'csv' as const,
    columns: ['click', 'buy', 'city'],
    sampleRows: [['1', '0', 'Oslo']],
    suggestedRoles: roles,
    findings: [],
    checked: { rows: 1, wholeFile: true, needWholeFile: [] },
  };

  /** A lab whose import answers with job 'imp', and sales.csv dropped on it. */
  async function droppedFile() {
    const host = new FakeHost()
      .on('files.inspect', ({ file }) => ({ ...inspection, file: file as never }))
      .on('datasets.import', () => ({ jobId: 'imp' }));
    labApp(host);
    const data = useDataStore();
    await data.addFiles([new File(['x'], 'sales.csv')]);
    return { host, data };
  }

  it('inspects dropped files, imports one with the edited roles, and shows the imported dataset', async () => {
    const { host, data } = await droppedFile();
    expect(data.pending).toHaveLength(1);
    const file = data.pending[0];
    file.roles = withRole(file.roles, 'city', 'ignore');
    const imported = data.importFile(file.key);
    await settle();
    host.emitJob({ id: 'imp', state: 'done', kind: 'import', result: { name: 'sales' } as never });
    await expect(imported).resolves.toBe(true);
    expect(host.callsOf('datasets.import')[0]).toMatchObject({
      file: { kind: 'upload', name: 'sales.csv' },
      name: 'sales',
      roles: { categorical: [], ignore: ['city'] },
    });
    expect(data.dataset?.name).toBe('sales');
    expect(data.pending).toHaveLength(0);
  });

  it('keeps a file whose import failed, with the reason and where in the file', async () => {
    const { host, data } = await droppedFile();
    const imported = data.importFile(data.pending[0].key);
    await settle();
    host.emitJob({
      id: 'imp',
      state: 'failed',
      error: { code: 'data-error', message: 'click must be 0 or 1', where: { file: 'sales.csv', line: 14, column: 1 } },
    });
    await expect(imported).resolves.toBe(false);
    expect(data.pending[0].error).toBe('sales.csv:14:1: click must be 0 or 1');
    expect(data.pending[0].jobId).toBeNull();
  });

  it('names a dataset after its file', () => {
    expect(datasetNameFor('sales 2024.csv.gz')).toBe('sales 2024');
    expect(datasetNameFor('events.parquet')).toBe('events');
    expect(datasetNameFor('.csv')).toBe('dataset');
    expect(datasetNameFor('/data/2024/sales.tsv')).toBe('sales');
    expect(datasetNameFor('C:\\data\\sales.csv')).toBe('sales');
  });
});

describe('column roles', () => {
  const roles: ColumnRoles = {
    click: 'click',
    purchase: 'buy',
    user: 'user_id',
    categorical: ['user_id', 'city'],
    dense: ['price'],
    truth: [],
    ignore: [],
  };

  it('reads each column role, a user id that is also a feature showing as the id', () => {
    expect(['click', 'buy', 'user_id', 'city', 'price', 'other'].map((c) => roleOf(roles, c))).toEqual([
      'click',
      'purchase',
      'user',
      'categorical',
      'dense',
      'ignore',
    ]);
  });

  it('moves a column to its new role and leaves the old label column ignored, never mapped twice', () => {
    const next = withRole(roles, 'city', 'click');
    expect(next.click).toBe('city');
    expect(next.categorical).toEqual(['user_id']);
    expect(next.ignore).toEqual(['click']);
    expect(roles.click).toBe('click'); // the original is untouched
    const actions = withRole(withRole(roles, 'price', 'action'), 'city', 'action');
    expect(actions.action).toEqual(['price', 'city']);
    expect(actions.dense).toEqual([]);
  });

  it('says which labels are still missing', () => {
    expect(missingLabels(roles)).toEqual([]);
    expect(missingLabels(withRole(roles, 'buy', 'dense'))).toEqual(['a purchase label']);
  });

  it('clears a single role explicitly, so the import does not bring the suggestion back', () => {
    const next = withRole(roles, 'user_id', 'ignore');
    expect(next.user).toBe('');
    expect(JSON.parse(JSON.stringify(next))).toHaveProperty('user', '');
    expect(next.ignore).toEqual(['user_id']);
    expect(next.categorical).toEqual(['city']);
  });
});

describe('error messages', () => {
  it('says where in the file, once, and names each bad field', () => {
    const where = { file: 'a.csv', line: 3, column: 2 };
    expect(describeError(new ApiError('data-error', 'not 0 or 1', { where }))).toBe('a.csv:3:2: not 0 or 1');
    expect(describeError(new ApiError('data-error', 'a.csv:3:2: not 0 or 1', { where }))).toBe('a.csv:3:2: not 0 or 1');
    expect(describeError(new ApiError('data-error', 'no header', { where: { file: 'b.csv' } }))).toBe(
      'b.csv: no header',
    );
    expect(describeError(new ApiError('invalid-request', 'bad request', { issues: ['rows: too small'] }))).toBe(
      'bad request — rows: too small',
    );
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
