// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../../src-shared/api/index.js';
import type { PscAnalysis } from '../../src-shared/types/index.js';
import { usePscStore } from '../../src-renderer/stores/psc.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import { useStagesStore } from '../../src-renderer/stores/stages.js';
import PscView from '../../src-renderer/views/PscView.vue';
import StagesView from '../../src-renderer/views/StagesView.vue';
import { FakeHost, withLab } from './fake-host.js';

// The chart builders need a whole analysis; what these tests read is the text around the charts.
vi.mock('../../src-shared/charts/index.js', async (original) => {
  const charts = await original<typeof import('../../src-shared/charts/index.js')>();
  return { ...charts, decompositionChart: () => ({}) };
});

const stubs = { ChartPanel: { props: ['label'], template: '<figure role="img" :aria-label="label"></figure>' } };

const run: RunSummary = {
  id: 'r1',
  model: 'esmc',
  status: 'completed',
  dataset: 'sales',
  split: 'default',
  startedAt: '2026-01-01T00:00:00.000Z',
  backend: null,
  metrics: {},
};

function mountView(component: typeof PscView | typeof StagesView) {
  const options = withLab(new FakeHost().on('runs.list', () => [run]));
  const wrapper = mount(component, { global: { ...options.global, stubs } });
  const runs = useRunsStore();
  runs.runs = [run];
  runs.select(['r1']);
  return wrapper;
}

describe('views that read the test part only', () => {
  it('PSC says its counts are of the test part', async () => {
    const wrapper = mountView(PscView);
    const psc = usePscStore();
    const unknown = { available: false, reason: 'no action label' } as const;
    psc.analysis = {
      rows: 1200,
      clicks: 300,
      actions: 100,
      purchases: 40,
      empirical: { pscShare: unknown, gap: unknown },
      models: {},
      estimates: [],
      slices: [],
      truth: null,
    } as unknown as PscAnalysis;
    psc.analysedRunIds = ['r1'];
    await flushPromises();
    expect(wrapper.get('h3').text()).toBe('The test part alone');
    expect(wrapper.text()).toContain('1,200 rows of the test part, 300 clicks');
  });

  it('Stages names the test part in its filter and its row count', async () => {
    const wrapper = mountView(StagesView);
    const stages = useStagesStore();
    stages.page = { derived: [], total: 0, offset: 0, rows: [] };
    await flushPromises();
    const options = wrapper.get('select[aria-label="Row filter"]').findAll('option');
    expect(options[0].text()).toBe('All exposures in the test part');
    expect(wrapper.get('[role="status"]').text()).toMatch(/^rows 0–0 of 0 in the test part/);
  });
});
