// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { AppInfo, FileInspection } from '../../src-shared/api/index.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, type Funnel } from '../../src-shared/types/index.js';
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
  defaults: { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_CONFIG },
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

describe('Train view', () => {
  it('offers each model with its description and formula, and starts training with the form as set', async () => {
    const host = new FakeHost().on('app.info', () => info).on('training.start', () => ({ jobId: 't1' }));
    const wrapper = await mountView(TrainView, host);
    const model = wrapper.findAll('label.model');
    expect(model.map((label) => label.text())).toEqual(['esmm — the baseline', 'esmc — tied towers']);
    expect(model[1].attributes('title')).toBe('ESMC\nconstraint\nESMC 2023');
    expect((wrapper.get('select[aria-label="Dataset"]').element as HTMLSelectElement).value).toBe('sales');
    expect(wrapper.text()).toContain('Backend: CPU (wasm SIMD) (wasm)');

    const field = (label: string) =>
      wrapper
        .findAll('label')
        .find((l) => l.text().startsWith(label))!
        .get('input');
    await field('Epochs').setValue('2');
    await field('Tower widths').setValue('16, 8');
    await field('Stop after steps').setValue('40');
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Start training')!
      .trigger('click');
    await flushPromises();
    expect(host.callsOf('training.start')).toEqual([
      {
        dataset: 'sales',
        models: ['esmm', 'esmc'],
        modelConfig: { embeddingDim: 8, tower: { hidden: [16, 8] }, constraint: { lambda: 0.01 } },
        trainConfig: { epochs: 2, batchSize: 1024, learningRate: 0.001, maxSteps: 40 },
      },
    ]);
    const start = wrapper.findAll('button').find((b) => b.text() === 'Start training')!;
    expect(start.attributes('disabled')).toBeDefined();
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
