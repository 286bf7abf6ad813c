// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { AppInfo, FileInspection, RunSummary, TrainingPlan } from '../../src-shared/api/index.js';
import { checkSetting, TRAIN_SETTINGS } from '../../src-shared/settings.js';
import {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_SETTINGS,
  resolveTrainSettings,
  type Funnel,
  type LearningAssessment,
} from '../../src-shared/types/index.js';
import { useAppStore } from '../../src-renderer/stores/app.js';
import DataView from '../../src-renderer/views/DataView.vue';
import TrainView from '../../src-renderer/views/TrainView.vue';
import { FakeHost, withLab } from './fake-host.js';

const funnel = (actions: number | null): Funnel =>
  ({ counts: { exposures: 100, clicks: 10, actions, purchases: 2 }, rates: { ctr: 0.1, cvr: 0.2 } }) as Funnel;

const info = {
  version: '0.1.0',
  shell: 'browser',
  backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
  models: [
    {
      name: 'esmm',
      title: 'ESMM',
      formula: 'pCTCVR = pCTR·pCVR',
      paper: 'Ma 2018',
      description: 'the baseline',
      needsAction: false,
      supervision: [],
    },
    {
      name: 'esmc',
      title: 'ESMC',
      formula: 'constraint',
      paper: 'ESMC 2023',
      description: 'tied towers',
      needsAction: true,
      supervision: [],
    },
  ],
  presets: [{ name: 'paper-like', description: '40% skip the action', pscShare: 0.4 }],
  defaults: { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_SETTINGS },
  project: {
    path: '/tmp/lab.duckdb',
    name: 'lab',
    datasets: [
      { name: 'clicks-only', rows: 100, funnel: funnel(null), simulated: false },
      { name: 'sales', rows: 100, funnel: funnel(3), simulated: false },
    ],
    runs: [],
  },
} as unknown as AppInfo;

/** Charts are drawn by ECharts in a real browser (tests/e2e); here they are stand-ins. */
const stubs = { ChartPanel: { props: ['label'], template: '<figure role="img" :aria-label="label"></figure>' } };

async function mountView(component: typeof TrainView | typeof DataView, host: FakeHost) {
  const options = withLab(host);
  const wrapper = mount(component, { global: { ...options.global, stubs } });
  await useAppStore().load();
  await flushPromises();
  return wrapper;
}

/** What training.plan answers for a dataset of 8,000 rows (6,400 in its training part). */
function plan(params: { dataset: string; trainConfig?: object }): TrainingPlan {
  return {
    dataset: params.dataset,
    trainRows: 6400,
    splitStored: false,
    config: resolveTrainSettings(params.trainConfig, 6400),
    findings: [
      {
        severity: 'warning',
        code: 'few-test-purchases',
        message: 'the test part has about 19 purchases: a CVR AUC there has a 95% interval about ±0.13 wide',
        count: 0,
        exampleLines: [],
      },
    ],
  };
}

/** The plan is asked for once the settings have rested (300 ms). */
const rest = async () => {
  await new Promise((resolve) => setTimeout(resolve, 350));
  await flushPromises();
};

describe('Train view', () => {
  const field = (wrapper: Awaited<ReturnType<typeof mountView>>, label: string) =>
    wrapper
      .findAll('label')
      .find((l) => l.text().startsWith(label))!
      .find('input, select');

  it('offers each model with its description and formula, and starts training with the form as set', async () => {
    const host = new FakeHost()
      .on('app.info', () => info)
      .on('training.plan', plan)
      .on('training.start', () => ({ jobId: 't1' }));
    const wrapper = await mountView(TrainView, host);
    const model = wrapper.findAll('label.model');
    expect(model.map((label) => label.text())).toEqual(['esmm — the baseline', 'esmc — tied towers']);
    expect(model[1].attributes('title')).toBe('ESMC\nconstraint\nESMC 2023');
    expect((wrapper.get('select[aria-label="Dataset"]').element as HTMLSelectElement).value).toBe('sales');
    expect(wrapper.text()).toContain('Backend: CPU (wasm SIMD) (wasm)');

    await field(wrapper, 'Epochs').setValue('2');
    await field(wrapper, 'Seed').setValue('7');
    await field(wrapper, 'Tower widths').setValue('16, 8');
    await field(wrapper, 'Stop after steps').setValue('40');
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Start training')!
      .trigger('click');
    await flushPromises();
    expect(host.callsOf('training.start')).toEqual([
      {
        dataset: 'sales',
        models: ['esmm', 'esmc'],
        modelConfig: {
          embeddingDim: 8,
          tower: { hidden: [16, 8], activation: 'relu', dropout: 0 },
          constraint: { lambda: 0.01, layers: 'hidden', distance: 'l2', gradient: 'both' },
          counterfactual: { maxWeight: 15, normalise: 'exposures' },
          lossWeights: {},
          outputBias: 'base-rate',
          embedding: 'sparse',
          seed: 7,
        },
        trainConfig: {
          epochs: 2,
          batchSize: 'auto',
          learningRate: 'auto',
          weightDecay: 0,
          seed: 7,
          monitor: 'loss',
          patience: 3,
          minSteps: 'auto',
          maxSteps: 40,
        },
      },
    ]);
    const start = wrapper.findAll('button').find((b) => b.text() === 'Start training')!;
    expect(start.attributes('disabled')).toBeDefined();
  });

  it('generates the fields from the declarations, each filled from app.info, the advanced ones under More settings', async () => {
    const host = new FakeHost().on('app.info', () => info).on('training.plan', plan);
    const wrapper = await mountView(TrainView, host);
    const shown = wrapper
      .findAll('.params')[0]
      .findAll('label')
      .map((label) => label.find('span').text());
    expect(shown).toEqual([
      'Epochs',
      'Batch size',
      'Learning rate',
      'Seed',
      'Embedding dim',
      'Tower widths',
      'λ (constraint)',
    ]);
    const more = wrapper.get('details.more');
    expect(more.get('summary').text()).toBe('More settings');
    expect(more.findAll('label').map((label) => label.find('span').text())).toContain('Stop after steps');
    expect((field(wrapper, 'Learning rate').element as HTMLInputElement).value).toBe('auto');
    expect(field(wrapper, 'Learning rate').attributes('placeholder')).toBe('auto');
    expect((field(wrapper, 'Tower widths').element as HTMLInputElement).value).toBe('64, 32');
    expect((field(wrapper, 'Early-stopping measure').element as HTMLSelectElement).value).toBe('loss');
    expect(field(wrapper, 'Learning rate').element.closest('label')!.getAttribute('title')).toBe(
      TRAIN_SETTINGS.learningRate.help,
    );
  });

  it("lists a bad value in checkSetting's words, prefixed by nothing, and accepts auto", async () => {
    const host = new FakeHost().on('app.info', () => info).on('training.plan', plan);
    const wrapper = await mountView(TrainView, host);
    const problems = () => wrapper.find('[aria-label="Before training"]');
    expect(problems().exists()).toBe(false);
    await field(wrapper, 'Learning rate').setValue('-1');
    expect(
      problems()
        .findAll('li')
        .map((li) => li.text()),
    ).toEqual([checkSetting(TRAIN_SETTINGS.learningRate, -1)]);
    expect(problems().text()).toBe('learning rate must be a number above 0 and at most 10, or auto; got -1');
    expect(field(wrapper, 'Learning rate').attributes('aria-invalid')).toBe('true');
    const start = () => wrapper.findAll('button').find((b) => b.text() === 'Start training')!;
    expect(start().attributes('disabled')).toBeDefined();
    // A bad value under More settings opens it.
    await field(wrapper, 'Patience').setValue('0');
    expect(wrapper.get('details.more').attributes('open')).toBeDefined();
    expect(
      problems()
        .findAll('li')
        .map((li) => li.text()),
    ).toEqual([checkSetting(TRAIN_SETTINGS.learningRate, -1), checkSetting(TRAIN_SETTINGS.patience, 0)]);
    await field(wrapper, 'Patience').setValue('none');
    await field(wrapper, 'Learning rate').setValue('auto');
    expect(problems().exists()).toBe(false);
    expect(start().attributes('disabled')).toBeUndefined();
  });

  it('shows the plan before Start: resolved values in one line, auto reasons on hover, the findings', async () => {
    const host = new FakeHost().on('app.info', () => info).on('training.plan', plan);
    const wrapper = await mountView(TrainView, host);
    await rest();
    expect(host.callsOf('training.plan')).toHaveLength(1);
    expect(host.callsOf('training.plan')[0]).toMatchObject({
      dataset: 'sales',
      trainConfig: { epochs: 'auto', batchSize: 'auto', learningRate: 'auto', seed: 1 },
    });
    const group = wrapper.get('[aria-label="Training plan"]');
    expect(group.get('.plan-line').text()).toBe(
      'Batch 128 · learning rate 0.0014 · up to 50 epochs · early stopping on validation loss after 3 epochs ' +
        'without improvement, not before step 300',
    );
    const auto = group.findAll('.plan-line .auto');
    expect(auto.map((part) => part.text())).toEqual([
      'Batch 128',
      'learning rate 0.0014',
      'up to 50 epochs',
      'not before step 300',
    ]);
    expect(auto[0].attributes('title')).toBe(`auto: ${resolveTrainSettings({}, 6400).auto!.batchSize}`);
    expect(group.get('details').text()).toContain('up to 50 epochs: about 3,000 steps at 50 steps an epoch');
    expect(group.text()).toContain('On 6,400 training rows of sales (expected: the split is made');
    expect(group.text()).toContain('the test part has about 19 purchases');

    // Typing asks again, once the typing rests; a bad training setting hides the plan and asks nothing.
    await field(wrapper, 'Epochs').setValue('1');
    await field(wrapper, 'Learning rate').setValue('1e-6');
    await rest();
    expect(host.callsOf('training.plan')).toHaveLength(2);
    expect(group.get('.plan-line').text()).toMatch(/^Batch 128 · learning rate 1e-6 · up to 1 epoch · /);
    expect(group.findAll('.plan-line .auto').map((part) => part.text())).toEqual(['Batch 128', 'not before step 17']);
    await field(wrapper, 'Batch size').setValue('0');
    await rest();
    expect(wrapper.find('[aria-label="Training plan"]').exists()).toBe(false);
    expect(host.callsOf('training.plan')).toHaveLength(2);
  });

  it("shows each model's end and verdict after a training, and the job as done", async () => {
    const notLearned: LearningAssessment = {
      part: 'test',
      status: 'not-learned',
      notLearned: ['cvr'],
      untestable: [],
      summary:
        'Not learned: CVR (AUC 0.48 [0.34, 0.61] includes 0.5; log-loss 0.1005 is no better than 0.1003 for the constant 2.46%)',
      parts: {},
    };
    const learned: LearningAssessment = {
      ...notLearned,
      status: 'learned',
      notLearned: [],
      summary: 'Learned CTR, CVR, CTCVR on the test rows',
    };
    const summary = (id: string, model: string, status: RunSummary['status'], learning: LearningAssessment) =>
      ({
        id,
        model,
        status,
        dataset: 'sales',
        split: 'random',
        startedAt: '',
        backend: null,
        metrics: {},
        learning,
      }) as RunSummary;
    const runs = [summary('r1', 'esmm', 'early-stopped', learned), summary('r2', 'esmc', 'completed', notLearned)];
    const cancelled: unknown[] = [];
    const host = new FakeHost()
      .on('app.info', () => info)
      .on('training.plan', plan)
      .on('training.start', () => ({ jobId: 't1' }))
      .on('jobs.cancel', (params) => {
        cancelled.push(params);
        return { id: 't1' } as never;
      })
      .on('runs.get', ({ id }) => ({
        ...runs.find((run) => run.id === id)!,
        record: {
          training:
            id === 'r1'
              ? { epochsRun: 5, bestEpoch: 2, stopReason: 'validation loss did not improve for 3 epochs after epoch 2' }
              : { epochsRun: 1, bestEpoch: 1 },
        } as never,
      }));
    const wrapper = await mountView(TrainView, host);
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Start training')!
      .trigger('click');
    await flushPromises();
    const table = () => wrapper.get('table[aria-label="Training progress"]');
    const states = () =>
      table()
        .findAll('td.state')
        .map((cell) => cell.text().replace(/\s+/g, ' '));
    // Each model can be stopped on its own while it waits or trains.
    expect(states()).toEqual(['waiting for a free worker Cancel', 'waiting for a free worker Cancel']);
    for (const [model, epoch, loss] of [
      ['esmm', 5, 0.31],
      ['esmc', 1, 0.12],
    ] as const) {
      host.emit({ type: 'train', jobId: 't1', model, event: { type: 'state', state: 'training' } });
      host.emit({ type: 'train', jobId: 't1', model, event: { type: 'loaded', rows: 800, epochs: 10 } });
      host.emit({
        type: 'train',
        jobId: 't1',
        model,
        event: {
          type: 'step',
          epoch,
          step: 5,
          stepsPerEpoch: 10,
          losses: { total: 0.5, ctr: 0.2, ctcvr: 0.3 },
          samplesPerSecond: 400,
        },
      });
      host.emit({
        type: 'train',
        jobId: 't1',
        model,
        event: { type: 'epoch', epoch, trainLoss: { total: 0.4 }, validationLoss: loss, improved: false },
      });
    }
    host.emitJob({ id: 't1', state: 'running', progress: 0.3, message: 'training esmm, esmc', title: 'Train' });
    await flushPromises();
    expect(states()).toEqual(['training: epoch 5 of 10 Cancel', 'training: epoch 1 of 10 Cancel']);
    // The loss chart offers each term the models log, beside their totals.
    const terms = wrapper.get('select[aria-label="Loss term"]');
    expect(terms.findAll('option').map((option) => option.text())).toEqual(['total', 'ctcvr', 'ctr']);
    await terms.setValue('ctcvr');
    expect(wrapper.get('input[aria-label="Smoothing"]').element.getAttribute('max')).toBe('0.99');
    // esmc: 95 steps of 80 rows left at 400 rows/s.
    expect(table().findAll('tbody tr')[1].findAll('td')[4].text()).toBe('≤ 19 s');
    await table().get('button[aria-label="Cancel esmc"]').trigger('click');
    expect(cancelled).toEqual([{ jobId: 't1', model: 'esmc' }]);
    host.emit({ type: 'train', jobId: 't1', model: 'esmm', event: { type: 'state', state: 'stored', runId: 'r1' } });
    host.emit({ type: 'train', jobId: 't1', model: 'esmc', event: { type: 'state', state: 'stored', runId: 'r2' } });
    host.emitJob({ id: 't1', state: 'done', progress: 1, message: '2 stored', title: 'Train', result: runs });
    await flushPromises();

    const rows = table().findAll('tbody tr');
    expect(rows).toHaveLength(3);
    const cells = (row: (typeof rows)[number]) => row.findAll('th, td').map((cell) => cell.text());
    expect(cells(rows[0]).slice(-3)).toEqual([
      '0.3100',
      'early-stopped at epoch 5 of 10, best epoch 2 validation loss did not improve for 3 epochs after epoch 2',
      'Learned',
    ]);
    expect(rows[0].get('.learning-badge').attributes('title')).toContain(learned.summary);
    expect(cells(rows[1]).slice(-3)).toEqual(['0.1200', 'done: 1 epoch', 'Not learned']);
    expect(rows[1].classes()).toContain('unlearned');
    expect(rows[2].text()).toBe(
      'Not learned: its numbers are not results. CVR (AUC 0.48 [0.34, 0.61] includes 0.5; log-loss 0.1005 is no ' +
        'better than 0.1003 for the constant 2.46%)',
    );
    // A finished job says how it ended, not its last step.
    expect(wrapper.get('.job .message').text()).toBe('done: 2 stored');
  });

  it('keeps models that need an action label out of a dataset without one, and says what is missing', async () => {
    const host = new FakeHost().on('app.info', () => info).on('training.start', () => ({ jobId: 't1' }));
    const wrapper = await mountView(TrainView, host);
    await wrapper.get('select[aria-label="Dataset"]').setValue('clicks-only');
    const esmc = wrapper.findAll('label.model')[1];
    expect(esmc.get('input').attributes('disabled')).toBeDefined();
    expect(esmc.text()).toContain('needs an in-shop action label');
    await wrapper.findAll('label.model')[0].get('input').setValue(false);
    expect(wrapper.get('[aria-label="Before training"]').text()).toContain('pick at least one model');
  });
});

describe('Data view', () => {
  const inspection: Omit<FileInspection, 'file'> = {
    fileName: 'sales.csv',
    bytes: 2048,
    format: 'csv',
    columns: ['clicked', 'bought', 'city'],
    sampleRows: [['1', '0', 'Oslo']],
    suggestedRoles: { click: 'clicked', purchase: '', categorical: ['city'], dense: [], truth: [], ignore: ['bought'] },
    findings: [
      {
        severity: 'warning',
        code: 'no-purchase',
        message: 'no column looks like a purchase',
        count: 0,
        exampleLines: [],
      },
    ],
    checked: { rows: 1, wholeFile: true, needWholeFile: [] },
  };

  it('inspects a dropped file, asks for the missing label, and imports with the roles as mapped', async () => {
    const host = new FakeHost()
      .on('app.info', () => info)
      .on('files.inspect', ({ file }) => ({ ...inspection, file: file as never }))
      .on('datasets.import', () => ({ jobId: 'imp' }));
    const wrapper = await mountView(DataView, host);
    const files = [new File(['clicked,bought,city\n1,0,Oslo\n'], 'sales.csv')];
    await wrapper.get('[aria-label="Drop data files here"]').trigger('drop', { dataTransfer: { files } });
    await flushPromises();

    expect(wrapper.text()).toContain('no column looks like a purchase');
    const importButton = () => wrapper.findAll('button').find((b) => b.text() === 'Import')!;
    expect(importButton().attributes('disabled')).toBeDefined();
    expect(wrapper.get('[role="status"]').text()).toBe('Pick a purchase label before importing.');

    await wrapper.get('select[aria-label="Role of bought"]').setValue('purchase');
    expect(importButton().attributes('disabled')).toBeUndefined();
    await importButton().trigger('click');
    await flushPromises();
    expect(host.callsOf('datasets.import')).toEqual([
      {
        file: { kind: 'upload', id: 'upload-salescsv', name: 'sales.csv' },
        name: 'sales',
        format: 'csv',
        roles: { ...inspection.suggestedRoles, purchase: 'bought', ignore: [] },
        replace: false,
      },
    ]);
  });

  it('simulates a preset with the rows and PSC share typed', async () => {
    const host = new FakeHost().on('app.info', () => info).on('datasets.simulate', () => ({ jobId: 'sim' }));
    const wrapper = await mountView(DataView, host);
    const inputs = wrapper.findAll('input[type="number"]');
    await inputs[0].setValue('20000');
    await inputs[1].setValue('0.3');
    await wrapper.get('button[aria-label="Simulate paper-like"]').trigger('click');
    await flushPromises();
    expect(host.callsOf('datasets.simulate')).toEqual([{ preset: 'paper-like', rows: 20000, pscShare: 0.3 }]);
    expect(wrapper.text()).toContain('40% skip the action (PSC share 40%)');
  });
});
