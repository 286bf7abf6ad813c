// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { ResultsView, RunSummary } from '../../src-shared/api/index.js';
import type { ColumnRoles, PairwiseComparison } from '../../src-shared/types/index.js';
import DropZone from '../../src-renderer/components/DropZone.vue';
import MappingTable from '../../src-renderer/components/MappingTable.vue';
import MetricsTable from '../../src-renderer/components/MetricsTable.vue';
import { MIN_GAUC_USERS } from '../../src-shared/types/metrics.js';
import { UNTESTABLE_METRICS_NOTE } from '../../src-shared/metrics-shown.js';
import { significantWinners } from '../../src-renderer/significance.js';

describe('MappingTable', () => {
  const roles: ColumnRoles = {
    click: 'is_click',
    purchase: '',
    categorical: ['city'],
    dense: [],
    truth: [],
    ignore: ['bought'],
  };

  function mountTable() {
    return mount(MappingTable, {
      props: {
        columns: ['is_click', 'bought', 'city'],
        sampleRows: [
          ['1', '0', 'Oslo'],
          ['0', '0', 'Bergen'],
          ['1', '1', 'Oslo'],
        ],
        fileName: 'sales.csv',
        modelValue: roles,
      },
    });
  }

  it('shows each column with its distinct sample values and the suggested role', () => {
    const wrapper = mountTable();
    const rows = wrapper.findAll('tbody tr');
    expect(rows.map((row) => row.find('th').text())).toEqual(['is_click', 'bought', 'city']);
    expect(rows[2].find('td').text()).toBe('Oslo, Bergen');
    const selects = wrapper.findAll('select');
    expect(selects.map((s) => (s.element as HTMLSelectElement).value)).toEqual(['click', 'ignore', 'categorical']);
    expect(selects.map((s) => s.attributes('aria-label'))).toEqual([
      'Role of is_click',
      'Role of bought',
      'Role of city',
    ]);
  });

  it('emits the roles as edited, leaving the given roles untouched', async () => {
    const wrapper = mountTable();
    await wrapper.findAll('select')[1].setValue('purchase');
    const emitted = wrapper.emitted('update:modelValue') as ColumnRoles[][];
    expect(emitted).toHaveLength(1);
    expect(emitted[0][0]).toMatchObject({ click: 'is_click', purchase: 'bought', ignore: [], categorical: ['city'] });
    expect(roles.purchase).toBe('');

    await wrapper.setProps({ modelValue: emitted[0][0] });
    await wrapper.findAll('select')[2].setValue('click');
    const second = (wrapper.emitted('update:modelValue') as ColumnRoles[][])[1][0];
    expect(second).toMatchObject({ click: 'city', categorical: [], ignore: ['is_click'] });
  });

  it('offers "also a feature" beside the user key only, checked by default, and switches userFeature', async () => {
    const wrapper = mount(MappingTable, {
      props: {
        columns: ['is_click', 'bought', 'uid', 'city'],
        sampleRows: [['1', '0', 'u1', 'Oslo']],
        fileName: 'sales.csv',
        modelValue: { ...roles, purchase: 'bought', ignore: [], user: 'uid', categorical: ['city', 'uid'] },
      },
    });
    const boxes = wrapper.findAll('input[type="checkbox"]');
    expect(boxes).toHaveLength(1);
    expect(boxes[0].attributes('aria-label')).toBe('uid is also a feature');
    expect(wrapper.findAll('tbody tr')[2].text()).toContain('also a feature');
    expect((boxes[0].element as HTMLInputElement).checked).toBe(true);
    await boxes[0].setValue(false);
    const off = (wrapper.emitted('update:modelValue') as ColumnRoles[][])[0][0];
    // The switch alone decides: the user column leaves the categorical list either way.
    expect(off).toMatchObject({ user: 'uid', userFeature: false, categorical: ['city'] });
    await wrapper.setProps({ modelValue: off });
    expect((wrapper.get('input[type="checkbox"]').element as HTMLInputElement).checked).toBe(false);
    await wrapper.get('input[type="checkbox"]').setValue(true);
    expect((wrapper.emitted('update:modelValue') as ColumnRoles[][])[1][0]).toMatchObject({ userFeature: true });
  });
});

const run = (id: string, model: string): RunSummary => ({
  id,
  model,
  status: 'completed',
  dataset: 'sales',
  split: 'default',
  startedAt: '2026-01-01T00:00:00.000Z',
  backend: null,
  metrics: {},
});

function pair(metric: PairwiseComparison['metric'], a: string, b: string, difference: number, significant: boolean) {
  return {
    metric,
    modelA: a,
    modelB: b,
    aucA: 0,
    aucB: 0,
    difference,
    standardError: 0.01,
    pValue: significant ? 0.001 : 0.4,
    ci95: [0, 0] as [number, number],
    significant,
  };
}

function resultsView(pairs: PairwiseComparison[]): ResultsView {
  return {
    dataset: 'sales',
    part: 'test',
    runs: [run('r1', 'esmm'), run('r2', 'esmc'), run('r3', 'chain')],
    metrics: {
      r1: { cvr_auc: 0.7, ctcvr_auc: 0.8, ctr_auc: 0.6 },
      r2: { cvr_auc: 0.75, ctcvr_auc: 0.81, ctr_auc: 0.6 },
      r3: { cvr_auc: 0.71, ctcvr_auc: 0.79, ctr_auc: 0.6 },
    },
    intervals: { r2: { cvr_auc: [0.73, 0.77] } },
    comparison: { method: 'delong', alpha: 0.05, pairs },
    curves: [],
  };
}

describe('MetricsTable', () => {
  it('marks a run only where it is significantly better than every other run', () => {
    const view = resultsView([
      pair('cvr_auc', 'r1', 'r2', -0.05, true),
      pair('cvr_auc', 'r1', 'r3', -0.01, false),
      pair('cvr_auc', 'r2', 'r3', 0.04, true),
      // ctcvr: esmc ahead of both but not significantly of chain: no mark.
      pair('ctcvr_auc', 'r1', 'r2', -0.01, true),
      pair('ctcvr_auc', 'r1', 'r3', 0.01, false),
      pair('ctcvr_auc', 'r2', 'r3', 0.02, false),
    ]);
    const wrapper = mount(MetricsTable, { props: { view } });
    const header = wrapper.findAll('thead th').map((th) => th.text());
    expect(header).toEqual(['Run', 'cvr_auc', 'ctcvr_auc', 'ctr_auc']);
    const marks = wrapper.findAll('.sig').map((mark) => {
      const cell = mark.element.closest('td')!;
      const row = cell.closest('tr')!;
      return [row.querySelector('th')!.textContent, header[[...row.children].indexOf(cell)]];
    });
    // Runs without a learning check (trained before it existed) say so beside their name.
    expect(marks).toEqual([['esmc not checked', 'cvr_auc']]);
    expect(wrapper.find('.sig').attributes('aria-label')).toMatch(/significantly better than every other run/);
    expect(wrapper.text()).toContain('95% CI 0.7300 – 0.7700');
    expect(wrapper.text()).toContain('* significantly better than every other run on that metric');
    // One run is compared with nothing: no legend for a mark it cannot get.
    const alone = mount(MetricsTable, { props: { view: { ...view, runs: view.runs.slice(0, 1) } } });
    expect(alone.text()).not.toContain('significantly better');
  });

  it('says why cvr_gauc is missing when too few users have both outcomes, and keeps quiet when a run has it', () => {
    const view = resultsView([]);
    // As the wire carries them: NaN arrives as null.
    for (const id of ['r1', 'r2', 'r3']) Object.assign(view.metrics[id], { cvr_gauc: null, cvr_gauc_users: 7 });
    const wrapper = mount(MetricsTable, { props: { view } });
    expect(wrapper.findAll('thead th').map((th) => th.text())).not.toContain('cvr_gauc');
    expect(wrapper.text()).toContain(
      `cvr_gauc is left out: only 7 users have both a purchase and a non-purchase among the test part's clicks; a GAUC needs ${MIN_GAUC_USERS}.`,
    );
    Object.assign(view.metrics.r2, { cvr_gauc: 0.61, cvr_gauc_users: 40 });
    const shown = mount(MetricsTable, { props: { view } });
    expect(shown.findAll('thead th').map((th) => th.text())).toContain('cvr_gauc');
    expect(shown.text()).not.toContain('is left out');
  });

  it('leaves out the figures of a stage the run cannot be tested on, and says what an empty cell means', () => {
    const view = resultsView([]);
    for (const id of ['r1', 'r2', 'r3']) Object.assign(view.metrics[id], { ctcvr_logloss: 1.0e-7 });
    // Every row a click: the learning check finds CTR untestable, and CTCVR (here) too on r1's test part.
    const untestable = (stage: string) => ({ stage, status: 'untestable' });
    view.runs[0] = {
      ...view.runs[0],
      learning: {
        part: 'test',
        status: 'learned',
        notLearned: [],
        untestable: ['ctr', 'ctcvr'],
        summary: '',
        parts: { test: { part: 'test', stages: [untestable('ctr'), untestable('ctcvr')] } },
      } as unknown as RunSummary['learning'],
    };
    const wrapper = mount(MetricsTable, { props: { view } });
    const header = wrapper.findAll('thead th').map((th) => th.text());
    expect(header).toEqual(['Run', 'cvr_auc', 'ctcvr_auc', 'ctr_auc', 'ctcvr_logloss']);
    const rows = wrapper.findAll('tbody tr');
    const cells = (row: number) =>
      rows
        .at(row)!
        .findAll('td')
        .map((td) => td.text().split(/\s+/)[0]);
    expect(cells(0)).toEqual(['0.7000', '—', '—', '—']);
    expect(cells(1)).toEqual(['0.7500', '0.8100', '0.6000', '1.00e-7']);
    expect(wrapper.text()).toContain(UNTESTABLE_METRICS_NOTE);
    // The same rows on the validation part, where the check found nothing untestable, show every figure.
    const validation = mount(MetricsTable, { props: { view: { ...view, part: 'validation' } } });
    expect(validation.text()).not.toContain(UNTESTABLE_METRICS_NOTE);
  });

  it('finds pairs named by model as well as by run id', () => {
    const runs = [run('r1', 'esmm'), run('r2', 'esmc')];
    const comparison = { method: 'delong' as const, alpha: 0.05, pairs: [pair('cvr_auc', 'esmm', 'esmc', 0.03, true)] };
    expect([...significantWinners(runs, comparison, 'cvr_auc')]).toEqual(['r1']);
    expect([...significantWinners(runs, comparison, 'ctcvr_auc')]).toEqual([]);
    expect([...significantWinners(runs.slice(0, 1), comparison, 'cvr_auc')]).toEqual([]);
  });
});

describe('DropZone', () => {
  it('emits every dropped file and is reachable by its name', async () => {
    const wrapper = mount(DropZone);
    const zone = wrapper.find('[role="region"]');
    expect(zone.attributes('aria-label')).toBe('Drop data files here');
    const files = [new File(['a'], 'a.csv'), new File(['b'], 'b.csv')];
    await zone.trigger('dragover');
    expect(zone.classes()).toContain('over');
    await zone.trigger('drop', { dataTransfer: { files } });
    await nextTick();
    expect(wrapper.emitted('files')).toEqual([[files]]);
    expect(zone.classes()).not.toContain('over');
    expect(wrapper.find('button').text()).toBe('Choose files…');
  });
});
