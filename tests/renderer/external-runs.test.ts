// @vitest-environment happy-dom
/**
 * Issue 17 in the Runs view: a predictions file dropped there is imported as an external run of a dataset, its
 * error (file:line) is shown in the form, and an external run reads as imported, not as a training.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { AppInfo, RunSummary } from '../../src-shared/api/index.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_SETTINGS } from '../../src-shared/types/index.js';
import { useAppStore } from '../../src-renderer/stores/app.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import RunsView from '../../src-renderer/views/RunsView.vue';
import { FakeHost, withLab } from './fake-host.js';

const info = {
  version: '0.1.0',
  shell: 'browser',
  backend: { name: 'wasm', tfjsBackend: 'wasm', device: 'CPU (wasm SIMD)', skipped: [] },
  models: [],
  presets: [],
  defaults: { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_SETTINGS },
  project: { path: '/tmp/lab.duckdb', name: 'lab', datasets: [{ name: 'sales', rows: 100 }], runs: [] },
} as unknown as AppInfo;

const EXTERNAL: RunSummary = {
  id: 'x1',
  model: 'prod-esmm',
  status: 'completed',
  dataset: 'sales',
  split: 'random',
  startedAt: '2026-01-01T00:00:00.000Z',
  backend: { name: 'cpu', tfjsBackend: 'none', device: 'imported predictions', skipped: [] },
  metrics: { test: { cvr_auc: 0.71, ctcvr_auc: 0.8 } as never },
  external: {
    file: 'prod.parquet',
    sha256: 'abc',
    rows: 100,
    keys: ['row_id'],
    stages: ['ctr', 'cvr'],
    derived: ['ctcvr'],
    lacks: ['avr', 'ctavr', 'buyGivenAction', 'buyGivenNoAction'],
  },
};

const stubs = { ChartPanel: { props: ['label'], template: '<figure role="img" :aria-label="label"></figure>' } };

async function mountRuns(host: FakeHost) {
  const options = withLab(host.on('app.info', () => info));
  const wrapper = mount(RunsView, { global: { ...options.global, stubs } });
  await useAppStore().load();
  await flushPromises();
  return wrapper;
}

const drop = async (wrapper: Awaited<ReturnType<typeof mountRuns>>, file: File) => {
  await wrapper.get('[aria-label="Drop a predictions file here"]').trigger('drop', { dataTransfer: { files: [file] } });
  await flushPromises();
};
const importButton = (wrapper: Awaited<ReturnType<typeof mountRuns>>) =>
  wrapper.findAll('button').find((b) => b.text() === 'Import predictions')!;

describe('importing predictions in the Runs view', () => {
  it('imports a dropped file as a run of the chosen dataset, named after the file', async () => {
    const host = new FakeHost().on('runs.list', () => []).on('runs.importPredictions', () => ({ jobId: 'ip' }));
    const wrapper = await mountRuns(host);
    expect(importButton(wrapper).attributes('disabled')).toBeDefined();
    await drop(wrapper, new File(['row_id,p_ctr,p_cvr\n0,0.1,0.2\n'], 'prod-esmm.csv'));
    expect(wrapper.text()).toContain('prod-esmm.csv');
    expect((wrapper.get('#external-name').element as HTMLInputElement).value).toBe('prod-esmm');
    expect(importButton(wrapper).attributes('disabled')).toBeUndefined();
    await wrapper.get('form[aria-label="Import predictions"]').trigger('submit');
    await flushPromises();
    expect(host.callsOf('runs.importPredictions')).toEqual([
      {
        file: { kind: 'upload', id: 'upload-prodesmmcsv', name: 'prod-esmm.csv' },
        dataset: 'sales',
        name: 'prod-esmm',
      },
    ]);
    host.emitJob({ id: 'ip', kind: 'importPredictions', state: 'done', result: EXTERNAL });
    await flushPromises();
    expect(useRunsStore().selected).toEqual(['x1']);
    expect(wrapper.get('table[aria-label="Runs"] tbody').text()).toContain('prod-esmm');
    expect(wrapper.text()).toContain('none yet: drop or choose one');
  });

  it('passes key columns other than row_id, and shows what was wrong with the file', async () => {
    const host = new FakeHost().on('runs.list', () => []).on('runs.importPredictions', () => ({ jobId: 'ip' }));
    const wrapper = await mountRuns(host);
    await drop(wrapper, new File(['exposure,p_ctr\n'], 'p.csv'));
    await wrapper.get('#external-keys').setValue('user, item');
    expect(importButton(wrapper).attributes('disabled')).toBeUndefined();
    await wrapper.get('form[aria-label="Import predictions"]').trigger('submit');
    await flushPromises();
    expect(host.callsOf('runs.importPredictions')[0]).toMatchObject({ keys: ['user', 'item'] });
    host.emitJob({
      id: 'ip',
      kind: 'importPredictions',
      state: 'failed',
      error: { code: 'data-error', message: 'p.csv:7:2: p_ctr 1.5 is outside [0, 1] (1 line)' },
    });
    await flushPromises();
    expect(wrapper.get('.external [role="alert"]').text()).toContain('p.csv:7:2: p_ctr 1.5 is outside [0, 1]');
  });

  it('lists an external run as imported, and its detail says where its rows came from', async () => {
    const host = new FakeHost().on('runs.list', () => [EXTERNAL]).on('runs.get', () => ({ ...EXTERNAL, record: null }));
    const wrapper = await mountRuns(host);
    const row = wrapper.get('table[aria-label="Runs"] tbody tr');
    expect(row.text()).toContain('imported predictions');
    expect(row.text()).toContain('external');
    await row.get('button.link').trigger('click');
    await flushPromises();
    const detail = wrapper.get('.detail').text();
    expect(detail).toContain('100 rows imported from prod.parquet, keyed by row_id');
    expect(detail).toContain('derived by the chain rule: P(click, buy)');
    expect(detail).not.toContain('Settings');
  });
});
