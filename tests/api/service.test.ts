import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { fileURLToPath } from 'node:url';
import { createApiService } from '../../src-main/api/service.js';
import { SIMULATOR_PRESETS, writeSimulation } from '../../src-main/engine/simulate/simulator.js';
import { openProject } from '../../src-main/engine/store/project.js';
import { readDataset } from '../../src-main/engine/store/read.js';
import { listRuns, readPredictions } from '../../src-main/engine/store/runs.js';
import type { RunSummary, StageRow } from '../../src-shared/api/contract.js';
import { ServiceHarness } from './harness.js';
import { MODEL_NAMES } from '../../src-main/engine/models/index.js';

const sample = fileURLToPath(new URL('../../assets/samples/funnel-sample.csv', import.meta.url));
const tiny = { embeddingDim: 4, tower: { hidden: [16] } };
let dir: string;
let projectPath: string;
let api: ServiceHarness;
let trained: RunSummary[];
let trainJobId: string;
/** Every test row of the funnel dataset as stages.rows pages it unsorted, for the independent checks. */
let testRows: StageRow[];
/** Whether the report test ran (it needs src-main/report, written by another helper). */
let reportWritten = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esmc-api-'));
  projectPath = join(dir, 'lab.duckdb');
  // Left by a session that crashed: removed when the project opens.
  mkdirSync(join(dir, '.lab-uploads', 'old-upload'), { recursive: true });
  writeFileSync(join(dir, '.lab-uploads', 'old-upload', 'rows.csv'), 'click,purchase\n');
  api = new ServiceHarness(await createApiService({ projectPath, shell: 'browser', workers: 2, backend: 'wasm' }));
  const { jobId } = await api.call('datasets.import', { file: { kind: 'path', path: sample }, name: 'funnel' });
  await api.result<'import'>(jobId);
});

afterAll(async () => {
  await api.service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the API service on a project', () => {
  it('describes the app: shell, models, presets, backend, defaults and the open project', async () => {
    const info = await api.call('app.info', {});
    expect(info.shell).toBe('browser');
    expect(info.models.map((m) => m.name)).toEqual(MODEL_NAMES);
    expect(info.models.every((m) => m.description.length > 10)).toBe(true);
    expect(info.presets.map((p) => [p.name, p.pscShare])).toEqual([
      ['no-psc', 0],
      ['paper-like', 0.4],
      ['taobao-like', 0.78],
    ]);
    expect(info.backend.name).toBe('wasm');
    expect(info.defaults.train.batchSize).toBe('auto');
    expect(info.project?.path).toBe(projectPath);
    expect(existsSync(join(dir, '.lab-uploads'))).toBe(false);
    expect(info.project?.datasets.map((d) => [d.name, d.rows, d.simulated])).toEqual([['funnel', 12000, false]]);
  });

  it('imports a file as a job and gives the dataset’s profile; bad data fails with where it is', async () => {
    const detail = await api.call('datasets.get', { name: 'funnel' });
    expect(detail.roles.click).toBe('click');
    expect(detail.roles.action).toEqual(['action']);
    expect(detail.profile.rows).toBe(12000);
    expect(detail.funnel.counts.exposures).toBe(12000);
    expect((await api.call('datasets.list', {})).map((d) => d.name)).toEqual(['funnel']);
    expect(api.events.some((e) => e.type === 'project' && e.project?.datasets.length === 1)).toBe(true);

    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, 'user_id,click,purchase\n1,0,0\n2,1\n3,1,1\n');
    const { jobId } = await api.call('datasets.import', { file: { kind: 'path', path: broken } });
    const job = await api.finished(jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('data-error');
    expect(job.error?.where).toMatchObject({ file: broken, line: 3 });
    expect((await api.call('datasets.list', {})).map((d) => d.name)).toEqual(['funnel']);

    const taken = await api.error('datasets.import', { file: { kind: 'path', path: sample }, name: 'funnel' });
    expect(taken.code).toBe('invalid-request');
    expect(taken.message).toMatch(/^name: .*"funnel"/);
  });

  it('inspects a file from its first rows: format, columns, sample rows, suggested roles', async () => {
    const inspection = await api.call('files.inspect', { file: { kind: 'path', path: sample } });
    expect(inspection.format).toBe('csv');
    expect(inspection.columns).toEqual([
      'user_id',
      'item_id',
      'category',
      'position',
      'price',
      'click',
      'action',
      'purchase',
    ]);
    expect(inspection.sampleRows).toHaveLength(20);
    expect(inspection.sampleRows[0]).toEqual(readFileSync(sample, 'utf8').split('\n')[1].split(','));
    expect(inspection.suggestedRoles).toMatchObject({ click: 'click', purchase: 'purchase', action: ['action'] });
    expect(inspection.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const missing = await api.error('files.inspect', { file: { kind: 'path', path: join(dir, 'nope.csv') } });
    expect(missing.code).toBe('data-error');

    // Parquet is sampled through DuckDB; the simulator's layout is recognised by its columns.
    const parquet = join(dir, 'simulated.parquet');
    await writeSimulation({ ...SIMULATOR_PRESETS['no-psc'], rows: 3000 }, parquet, { format: 'parquet' });
    const simulated = await api.call('files.inspect', { file: { kind: 'path', path: parquet } });
    expect(simulated.format).toBe('simulator');
    expect(simulated.columns).toEqual(expect.arrayContaining(['click', 'action', 'purchase', 'true_ctr']));
    expect(simulated.sampleRows).toHaveLength(20);
    expect(simulated.suggestedRoles.truth).toContain('true_cvr');
  });

  it('trains two models at once on worker threads, streams each one’s events, and answers while they train', async () => {
    const { jobId } = await api.call('training.start', {
      dataset: 'funnel',
      models: ['esmm', 'esmc'],
      modelConfig: tiny,
      trainConfig: { maxSteps: 40, batchSize: 256, progressIntervalMs: 0 },
    });
    trainJobId = jobId;
    // The API thread is free while the workers train.
    expect((await api.call('datasets.list', {})).length).toBe(1);
    const meanwhile = (await api.call('jobs.list', {})).find((job) => job.id === jobId);
    expect(meanwhile?.state).toBe('running');

    trained = await api.result<'train'>(jobId);
    expect(trained.map((run) => [run.model, run.status, run.dataset, run.split])).toEqual([
      ['esmm', 'completed', 'funnel', 'random'],
      ['esmc', 'completed', 'funnel', 'random'],
    ]);
    const trainEvents = api.events.flatMap((e) => (e.type === 'train' && e.jobId === jobId ? [e] : []));
    const steps = (model: string) =>
      trainEvents.flatMap((e, i) => (e.model === model && e.event.type === 'step' ? [i] : []));
    // At once: each model took its worker before the other one's last step (a tiny model's first step may
    // come after the other's last when a worker is slow to start, so the worker's start is what is compared).
    const loaded = (model: string) => trainEvents.findIndex((e) => e.model === model && e.event.type === 'loaded');
    expect(loaded('esmc')).toBeLessThan(steps('esmm').at(-1)!);
    expect(loaded('esmm')).toBeLessThan(steps('esmc').at(-1)!);
    for (const model of ['esmm', 'esmc']) {
      const kinds = new Set(trainEvents.filter((e) => e.model === model).map((e) => e.event.type));
      expect([...kinds].sort()).toEqual(['epoch', 'loaded', 'state', 'step']);
    }
    const progress = api.events.flatMap((e) => (e.type === 'job' && e.job.id === jobId ? [e.job.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);

    const detail = await api.call('runs.get', { id: trained[1].id });
    expect(detail.record?.trainConfig).toMatchObject({ maxSteps: 40, batchSize: 256 });
    expect(detail.record?.modelConfig?.tower).toEqual({ hidden: [16], activation: 'relu', dropout: 0 });
    expect(detail.record?.training.curve.at(-1)?.step).toBe(40);
    expect(detail.record?.backend.name).toBe('wasm');
    const listed = (await api.call('runs.list', {})).map((run) => run.id);
    expect(listed.sort()).toEqual(trained.map((run) => run.id).sort());
  });

  it('compares runs on the test part: metrics, DeLong intervals and pairs, downsampled curves', async () => {
    const ids = trained.map((run) => run.id);
    const view = await api.call('results.compare', { runIds: ids });
    expect(view.dataset).toBe('funnel');
    expect(view.part).toBe('test');
    for (const run of trained) {
      // The worker evaluated the model; the view recomputes from the stored predictions.
      expect(view.metrics[run.id].cvr_auc).toBeCloseTo(run.metrics.test!.cvr_auc, 6);
      expect(view.metrics[run.id].ctcvr_logloss).toBeCloseTo(run.metrics.test!.ctcvr_logloss, 5);
      const [low, high] = view.intervals[run.id].cvr_auc;
      expect(low).toBeLessThan(view.metrics[run.id].cvr_auc);
      expect(high).toBeGreaterThan(view.metrics[run.id].cvr_auc);
    }
    expect(view.intervals[ids[1]].avr_auc).toBeDefined();
    expect(view.intervals[ids[0]].avr_auc).toBeUndefined();
    expect(view.comparison.pairs.map((p) => [p.metric, p.modelA, p.modelB])).toEqual([
      ['cvr_auc', ids[0], ids[1]],
      ['ctcvr_auc', ids[0], ids[1]],
    ]);
    expect(view.curves).toHaveLength(6);
    const clicks = view.metrics[ids[0]].clicks;
    for (const curve of view.curves) {
      expect(curve.roc.fpr.length).toBeLessThanOrEqual(200);
      expect([curve.roc.fpr[0], curve.roc.tpr[0]]).toEqual([0, 0]);
      expect([curve.roc.fpr.at(-1), curve.roc.tpr.at(-1)]).toEqual([1, 1]);
      const scored = [...curve.scores.positive.counts, ...curve.scores.negative.counts].reduce((a, b) => a + b, 0);
      expect(scored).toBe(curve.stage === 'cvr' ? clicks : view.metrics[ids[0]].rows);
    }
    const validation = await api.call('results.compare', { runIds: ids, part: 'validation' });
    expect(validation.metrics[ids[0]].cvr_auc).toBeCloseTo(trained[0].metrics.validation!.cvr_auc, 6);
  });

  it('analyses PSC as a job on the runs’ test rows, sliced by the low-cardinality columns', async () => {
    const { jobId } = await api.call('psc.analyse', { runIds: trained.map((run) => run.id) });
    const analysis = await api.result<'analyse'>(jobId);
    expect(Object.keys(analysis.models)).toEqual(['esmm', 'esmc']);
    expect(analysis.rows).toBe(trained[0].metrics.test!.rows);
    expect(analysis.slices.map((s) => s.field).sort()).toEqual(['category', 'position']);
    expect(analysis.truth).toBeNull();
    expect(analysis.comparison.pairs).toHaveLength(2);
  });

  it('pages stage rows filtered and sorted in SQL, as a computation over every row does', async () => {
    const ids = trained.map((run) => run.id);
    testRows = [];
    for (let offset = 0; ; offset += 500) {
      const page = await api.call('stages.rows', { runIds: ids, offset, limit: 500 });
      testRows.push(...page.rows);
      if (testRows.length >= page.total) break;
    }
    expect(testRows).toHaveLength(trained[0].metrics.test!.rows);
    expect(testRows.map((r) => r.rowId)).toEqual(testRows.map((r) => r.rowId).sort((a, b) => a - b));

    const expectPage = async (
      params: Parameters<typeof api.call<'stages.rows'>>[1],
      keep: (row: StageRow) => boolean,
      score: (row: StageRow) => number,
    ) => {
      const page = await api.call('stages.rows', params);
      const sign = params.sort?.descending ? -1 : 1;
      const expected = testRows.filter(keep).sort((a, b) => sign * (score(a) - score(b)) || a.rowId - b.rowId);
      expect(page.total).toBe(expected.length);
      expect(page.rows.map((r) => r.rowId)).toEqual(
        expected.slice(params.offset, params.offset + params.limit).map((r) => r.rowId),
      );
      return page;
    };
    const page = await expectPage(
      { runIds: ids, filter: { click: 1 }, sort: { key: 'cvr', descending: true }, offset: 7, limit: 25 },
      (row) => row.labels.click === 1,
      (row) => row.stages[ids[0]].cvr!,
    );
    expect(page.rows[0].stages[ids[1]].avr).toBeGreaterThan(0);
    expect(page.rows[0].stages[ids[0]].avr).toBeUndefined();
    await expectPage(
      {
        runIds: ids,
        filter: { purchase: 1 },
        sort: { key: `${ids[1]}:ctcvr`, descending: false },
        offset: 0,
        limit: 10,
      },
      (row) => row.labels.purchase === 1,
      (row) => row.stages[ids[1]].ctcvr!,
    );
    const psc = await expectPage(
      { runIds: ids, filter: { pscOnly: true }, offset: 0, limit: 500 },
      (row) => row.labels.click === 1 && row.labels.purchase === 1 && row.labels.action === 0,
      (row) => row.rowId,
    );
    expect(psc.total).toBeGreaterThan(0);
  });

  it('shows one row with its features as they were in the file', async () => {
    const ids = trained.map((run) => run.id);
    const row = await api.call('stages.row', { runIds: ids, rowId: testRows[3].rowId });
    expect(row.stages).toEqual(testRows[3].stages);
    const line = Number(row.features!['source line']);
    const [header, ...lines] = readFileSync(sample, 'utf8').trim().split('\n');
    const cells = Object.fromEntries(header.split(',').map((name, i) => [name, lines[line - 2].split(',')[i]]));
    expect(row.features!.category).toBe(cells.category);
    expect(row.features!.item_id).toBe(cells.item_id);
    expect(Number(row.features!.price)).toBeCloseTo(Number(cells.price), 6);
    expect(row.labels).toEqual({
      click: Number(cells.click),
      action: Number(cells.action),
      purchase: Number(cells.purchase),
    });
  });

  it('simulates a dataset with its truth, stores a model that fails as a failed run, and refuses mixed datasets', async () => {
    const { jobId } = await api.call('datasets.simulate', { preset: 'paper-like', rows: 3000, seed: 7 });
    const simulated = await api.result<'simulate'>(jobId);
    expect([simulated.name, simulated.rows, simulated.simulated, simulated.format]).toEqual([
      'paper-like',
      3000,
      true,
      'simulator',
    ]);
    expect(readdirSync(join(dir, '.lab-uploads'))).toEqual([]);

    // Two trainings at once on a dataset without a split yet: it is made once. esmc's constraint needs hidden
    // layers to tie, so it fails; esm2 trains without.
    const start = (model: string) =>
      api.call('training.start', {
        dataset: 'paper-like',
        models: [model],
        modelConfig: { embeddingDim: 4, tower: { hidden: [] } },
        trainConfig: { maxSteps: 10, batchSize: 256 },
      });
    const [first, second] = await Promise.all([start('esm2'), start('esmc')]);
    const [[esm2], [esmc]] = await Promise.all([api.result<'train'>(first.jobId), api.result<'train'>(second.jobId)]);
    expect((await api.call('results.compare', { runIds: [esm2.id] })).metrics[esm2.id].rows).toBe(300);
    expect(esm2.status).toBe('completed');
    expect(esmc.status).toBe('failed');
    expect(esmc.error).toMatch(/constraint has no layer to tie/);
    expect((await api.call('runs.get', { id: esmc.id })).record).toBeNull();

    const failed = await api.error('results.compare', { runIds: [esmc.id] });
    expect([failed.code, failed.message]).toEqual(['invalid-request', expect.stringMatching(/failed/)]);
    const mixed = await api.error('results.compare', { runIds: [trained[0].id, esm2.id] });
    expect(mixed.code).toBe('invalid-request');
    expect(mixed.message).toMatch(/must share a dataset/);

    const analysis = await api.result<'analyse'>((await api.call('psc.analyse', { runIds: [esm2.id] })).jobId);
    expect(analysis.truth?.oracleAuc.cvr_auc).toBeGreaterThan(0.5);
    expect(Object.keys(analysis.truth!.errors)).toEqual(['esm2']);

    // Another file imported under the same name: the run's row ids point at other rows now.
    const replaced = await api.call('datasets.import', {
      file: { kind: 'path', path: sample },
      name: 'paper-like',
      replace: true,
    });
    await api.result<'import'>(replaced.jobId);
    const stale = await api.error('results.compare', { runIds: [esm2.id] });
    expect([stale.code, stale.message]).toEqual(['invalid-request', expect.stringMatching(/earlier import/)]);
  });

  it('rejects bad requests with the field or the name that is wrong', async () => {
    const empty = await api.error('training.start', { dataset: 'funnel', models: [] });
    expect(empty.code).toBe('invalid-request');
    expect(empty.details.issues?.[0]).toMatch(/^models: /);
    const limit = await api.error('stages.rows', { runIds: [trained[0].id], offset: 0, limit: 1000 });
    expect(limit.details.issues?.[0]).toMatch(/^limit: /);
    const sort = await api.error('stages.rows', {
      runIds: [trained[0].id],
      sort: { key: 'nonsense', descending: true },
      offset: 0,
      limit: 5,
    });
    expect([sort.code, sort.message]).toEqual(['invalid-request', expect.stringMatching(/^sort.key: /)]);
    const missingStage = await api.error('stages.rows', {
      runIds: [trained[0].id],
      sort: { key: 'avr', descending: true },
      offset: 0,
      limit: 5,
    });
    expect(missingStage.message).toMatch(/^sort.key: esmm .* has no avr/);
    const model = await api.error('training.start', { dataset: 'funnel', models: ['esmx'] });
    expect([model.code, model.message]).toEqual(['not-found', expect.stringMatching(/"esmx"/)]);
    const dataset = await api.error('training.start', { dataset: 'nope', models: ['esmm'] });
    expect([dataset.code, dataset.message]).toEqual(['not-found', expect.stringMatching(/"nope".*funnel/)]);
    expect((await api.error('runs.get', { id: 'nope' })).code).toBe('not-found');
    expect((await api.error('jobs.cancel', { jobId: 'nope' })).code).toBe('not-found');
    expect((await api.error('files.open', { fileId: 'nope' })).code).toBe('not-found');
    expect((await api.error('project.open', { path: join(dir, 'none.duckdb') })).code).toBe('not-found');
    const upload = await api.error('files.inspect', { file: { kind: 'upload', id: 'abcdefgh12', name: 'x.csv' } });
    expect(upload.code).toBe('not-found');
    const unknown = await api.error('runs.delete' as 'runs.list', {});
    expect(unknown.code).toBe('invalid-request');
  });

  it('cancels one model: it keeps its best epoch, a queued one is dropped, the other trains to its end', async () => {
    const { jobId } = await api.call('training.start', {
      dataset: 'funnel',
      models: ['esmm', 'esm2', 'esmc'],
      modelConfig: tiny,
      trainConfig: { epochs: 40, batchSize: 256, progressIntervalMs: 0 },
    });
    const states: Record<string, string[]> = { esmm: [], esm2: [], esmc: [] };
    const stopStates = api.service.onEvent((event) => {
      if (event.type === 'train' && event.jobId === jobId && event.event.type === 'state')
        states[event.model].push(event.event.state);
    });
    // Two workers: esmm and esm2 train, esmc waits for one of them.
    await new Promise<void>((resolve) => {
      const stop = api.service.onEvent((event) => {
        if (event.type === 'train' && event.jobId === jobId && event.model === 'esmm' && event.event.type === 'epoch') {
          stop();
          resolve();
        }
      });
    });
    await api.call('jobs.cancel', { jobId, model: 'esmm' });
    await api.call('jobs.cancel', { jobId, model: 'esmc' });
    const unknown = await api.error('jobs.cancel', { jobId, model: 'esmx' });
    expect(unknown.code).toBe('invalid-request');
    expect(unknown.message).toContain('this training has no model "esmx"; it trains esmm, esm2, esmc');
    const runs = await api.result<'train'>(jobId);
    stopStates();
    expect(runs.map((run) => [run.model, run.status])).toEqual([
      ['esmm', 'cancelled'],
      ['esm2', expect.stringMatching(/^(completed|early-stopped)$/)],
    ]);
    expect(states.esmm).toEqual(['training', 'storing', 'cancelled']);
    expect(states.esm2).toEqual(['training', 'storing', 'stored']);
    expect(states.esmc).toEqual(['cancelled']);
    const job = (await api.call('jobs.list', {})).find((j) => j.id === jobId)!;
    expect(job.message).toBe('1 stored; 2 cancelled (esmm, esmc)');
    // The cancelled model is a result: its best epoch's metrics, its verdict, its rows' predictions.
    const { record } = await api.call('runs.get', { id: runs[0].id });
    expect(record!.training.epochsRun).toBeGreaterThanOrEqual(1);
    expect(record!.training.epochsRun).toBeLessThan(40);
    expect(record!.training.bestEpoch).not.toBeNull();
    expect(record!.metrics.test?.cvr_auc).toBeGreaterThan(0);
    expect(runs[0].learning).toBeDefined();
    const compared = await api.call('results.compare', { runIds: runs.map((run) => run.id) });
    expect(compared.runs.map((run) => run.model)).toEqual(['esmm', 'esm2']);
  });

  it('cancels a whole training promptly: a model stopped in its first epoch is stored with its curves only', async () => {
    const before = (await api.call('runs.list', {})).map((run) => run.id);
    const { jobId } = await api.call('training.start', {
      dataset: 'funnel',
      models: ['esmm'],
      modelConfig: tiny,
      trainConfig: { epochs: 1000, batchSize: 64, progressIntervalMs: 0 },
    });
    await new Promise<void>((resolve) => {
      const stop = api.service.onEvent((event) => {
        if (event.type === 'train' && event.jobId === jobId && event.event.type === 'step') {
          stop();
          resolve();
        }
      });
    });
    const cancelled = await api.call('jobs.cancel', { jobId });
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.message).toBe('1 cancelled (esmm)');
    const after = await api.call('runs.list', {});
    const added = after.filter((run) => !before.includes(run.id));
    expect(added.map((run) => [run.model, run.status, run.metrics])).toEqual([['esmm', 'cancelled', {}]]);
    const { record } = await api.call('runs.get', { id: added[0].id });
    expect(record!.training.epochsRun).toBe(0);
    expect((await api.error('results.compare', { runIds: [added[0].id] })).message).toContain(
      'was cancelled before its first epoch ended and has no predictions',
    );
    expect((await api.call('jobs.list', {})).find((job) => job.id === trainJobId)?.state).toBe('done');
  });

  it('derives the gap and truth-error columns, filters on any column, and exports the rows it selects', async () => {
    const simulated = await api.call('datasets.simulate', {
      preset: 'paper-like',
      rows: 4000,
      seed: 3,
      name: 'derived',
    });
    await api.result<'simulate'>(simulated.jobId);
    const { jobId } = await api.call('training.start', {
      dataset: 'derived',
      models: ['esm2', 'esmc'],
      modelConfig: tiny,
      trainConfig: { maxSteps: 20, batchSize: 256 },
    });
    const [esm2, esmc] = await api.result<'train'>(jobId);
    const runIds = [esm2.id, esmc.id];
    const all = await api.call('stages.rows', { runIds, offset: 0, limit: 500 });
    expect(all.derived.map((column) => [column.key, column.label])).toEqual([
      [`gap:${esmc.id}`, 'Δ esmc − esm2'],
      [`error:${esm2.id}`, 'esm2 pCVR − true'],
      [`error:${esmc.id}`, 'esmc pCVR − true'],
    ]);
    for (const row of all.rows) {
      const chained = row.stages[esm2.id];
      const chain = chained.avr! * chained.buyGivenAction! + (1 - chained.avr!) * chained.buyGivenNoAction!;
      expect(row.derived![`gap:${esmc.id}`]).toBeCloseTo(row.stages[esmc.id].cvr! - chain, 5);
      expect(row.derived![`error:${esm2.id}`]).toBeCloseTo(chained.cvr! - row.truth!.cvr!, 5);
    }
    // A range on a derived column, sorted by another: the rows a computation over the page picks.
    const gap = (row: StageRow) => row.derived![`gap:${esmc.id}`]!;
    const error = (row: StageRow) => row.derived![`error:${esmc.id}`]!;
    const query = {
      runIds,
      filter: { click: 1 as const },
      ranges: [{ key: `gap:${esmc.id}`, min: 0 }],
      sort: { key: `error:${esmc.id}`, descending: true },
    };
    const expected = all.rows
      .filter((row) => row.labels.click === 1 && gap(row) >= 0)
      .sort((a, b) => error(b) - error(a) || a.rowId - b.rowId);
    const page = await api.call('stages.rows', { ...query, offset: 0, limit: 500 });
    expect(page.rows.map((row) => row.rowId)).toEqual(expected.map((row) => row.rowId));
    expect(page.total).toBeGreaterThan(0);
    const unknown = await api.error('stages.rows', { runIds, ranges: [{ key: 'gap:nope' }], offset: 0, limit: 5 });
    expect(unknown.message).toMatch(/^ranges\.0\.key: "gap:nope" is not a derived column of these runs/);
    const upsideDown = await api.error('stages.rows', {
      runIds,
      ranges: [{ key: 'cvr', min: 1, max: 0 }],
      offset: 0,
      limit: 5,
    });
    expect(upsideDown.message).toContain('min must not be above max');

    // The export holds exactly those rows, in that order, with a named column for each value.
    const csv = await api.result<'export'>((await api.call('stages.export', { ...query, format: 'csv' })).jobId);
    expect(csv.rows).toBe(expected.length);
    expect(csv.path).toMatch(/lab-exports[/\\]ESMC rows – derived – \d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...lines] = readFileSync(csv.path, 'utf8').trim().split('\n');
    const names = header.split(',');
    expect(names.slice(0, 5)).toEqual(['row_id', 'click', 'action', 'purchase', 'true ctr']);
    expect(names).toEqual(expect.arrayContaining(['esm2 cvr', 'esmc cvr', 'Δ esmc − esm2', 'esmc pCVR − true']));
    expect(lines.map((line) => Number(line.split(',')[0]))).toEqual(expected.map((row) => row.rowId));
    const gapColumn = names.indexOf('Δ esmc − esm2');
    expect(Number(lines[0].split(',')[gapColumn])).toBeCloseTo(gap(expected[0]), 5);
    expect(await api.service.files.written(csv.fileId)).toEqual({ path: csv.path, name: basename(csv.path) });

    const parquet = await api.result<'export'>((await api.call('stages.export', { runIds, format: 'parquet' })).jobId);
    const file = await asyncBufferFromFile(parquet.path);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(all.total);
    expect(rows.map((row) => Number(row.row_id))).toEqual(all.rows.map((row) => row.rowId));
  });

  it('names, tags and annotates a run, and deletes runs with every row of their predictions', async () => {
    const cancelled = (await api.call('runs.list', {})).filter((run) => run.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
    const [first] = cancelled;
    expect(first).toMatchObject({ name: null, tags: [], notes: '' });
    expect(first.trainConfig?.batchSize).toBe(256);
    expect(first.durationMs).toBeGreaterThan(0);
    const named = await api.call('runs.update', {
      id: first.id,
      name: '  esmm, stopped early ',
      tags: ['cancel-test', 'tiny'],
      notes: 'stopped by hand after epoch 1',
    });
    expect(named).toMatchObject({ name: 'esmm, stopped early', tags: ['cancel-test', 'tiny'] });
    // A field left out stays; an empty name clears the name.
    expect(await api.call('runs.update', { id: first.id, name: '' })).toMatchObject({
      name: null,
      tags: ['cancel-test', 'tiny'],
      notes: 'stopped by hand after epoch 1',
    });
    expect((await api.error('runs.update', { id: first.id, tags: [''] })).message).toContain('tags.0');
    expect((await api.error('runs.update', { id: 'nope', notes: '' })).code).toBe('not-found');

    const ids = cancelled.map((run) => run.id);
    expect(await api.call('runs.delete', { ids })).toEqual({ deleted: ids.length });
    expect((await api.call('runs.list', {})).filter((run) => ids.includes(run.id))).toEqual([]);
    expect((await api.error('runs.delete', { ids })).code).toBe('not-found');
  });

  it('report.create writes the PDF through src-main/report', async (context) => {
    const specifier = '../../src-main/report/index.js';
    const report = (await import(specifier).catch(() => undefined)) as { writeReportForRuns?: unknown } | undefined;
    if (typeof report?.writeReportForRuns !== 'function')
      return context.skip('src-main/report/index.ts does not export writeReportForRuns yet (another helper writes it)');
    const { jobId } = await api.call('report.create', { runIds: trained.map((run) => run.id), title: 'Funnel' });
    const written = await api.result<'report'>(jobId);
    reportWritten = true;
    expect(written.pages).toBeGreaterThan(0);
    expect(readFileSync(written.path).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await api.service.files.written(written.fileId))?.path).toBe(written.path);
    expect(await api.call('files.open', { fileId: written.fileId })).toEqual({ opened: false });
  });

  it('closes cleanly, leaving a project the engine opens with the same runs and predictions', async () => {
    const runIds = (await api.call('runs.list', {})).map((run) => run.id);
    await api.service.close();
    const project = await openProject(projectPath);
    try {
      expect((await listRuns(project)).map((run) => run.id)).toEqual(runIds);
      const reports = await project.all('SELECT count(*)::INTEGER AS n FROM reports');
      expect(reports[0].n).toBe(reportWritten ? 1 : 0);
      const test = await readDataset(project, 'funnel', { part: 'test' });
      const predictions = await readPredictions(project, trained[1].id, { dataset: 'funnel', part: 'test' });
      expect(Array.from(test.rowIds!)).toEqual(testRows.map((row) => row.rowId));
      testRows.forEach((row, i) => {
        expect(row.labels.purchase).toBe(test.labels.purchase[i]);
        expect(row.stages[trained[1].id].cvr).toBeCloseTo(predictions.stages.cvr[i], 6);
      });
    } finally {
      project.close();
    }
    expect(existsSync(join(dir, '.lab-uploads'))).toBe(false);
  });
});

describe('the API service without a project', () => {
  it('answers no-project until one is opened, then opens (creating) it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'esmc-api-'));
    const harness = new ServiceHarness(await createApiService({ shell: 'electron', workers: 1 }));
    try {
      expect(await harness.call('project.current', {})).toBeNull();
      expect((await harness.error('datasets.list', {})).code).toBe('no-project');
      const path = join(folder, 'new', 'lab.duckdb');
      const opened = await harness.call('project.open', { path, create: true });
      expect([opened.name, opened.datasets, opened.runs]).toEqual(['lab', [], []]);
      expect((await harness.call('project.current', {}))?.path).toBe(path);
      expect(harness.events.at(-1)).toEqual({ type: 'project', project: opened });
    } finally {
      await harness.service.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('takes no paths when the shell says its users are on other machines', async () => {
    const harness = new ServiceHarness(await createApiService({ shell: 'browser', workers: 1, localPaths: false }));
    try {
      const inspect = await harness.error('files.inspect', { file: { kind: 'path', path: sample } });
      expect([inspect.code, inspect.message]).toEqual(['invalid-request', expect.stringMatching(/^file: .*uploads/)]);
      const open = await harness.error('project.open', { path: '/etc/passwd' });
      expect([open.code, open.message]).toEqual(['invalid-request', expect.stringMatching(/^path: /)]);
    } finally {
      await harness.service.close();
    }
  });
});
