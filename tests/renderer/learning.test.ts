// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ResultsView, RunSummary } from '../../src-shared/api/index.js';
import {
  LEARNING_DEFINITION,
  type LearningAssessment,
  type PairwiseComparison,
  type PscAnalysis,
} from '../../src-shared/types/index.js';
import LearningBadge from '../../src-renderer/components/LearningBadge.vue';
import MetricsTable from '../../src-renderer/components/MetricsTable.vue';
import { usePscStore } from '../../src-renderer/stores/psc.js';
import { useResultsStore } from '../../src-renderer/stores/results.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import { useStagesStore } from '../../src-renderer/stores/stages.js';
import PscView from '../../src-renderer/views/PscView.vue';
import ResultsView_ from '../../src-renderer/views/ResultsView.vue';
import RunsView from '../../src-renderer/views/RunsView.vue';
import StagesView from '../../src-renderer/views/StagesView.vue';
import { FakeHost, withLab } from './fake-host.js';

const NOT_LEARNED_SUMMARY =
  'Not learned: CVR (AUC 0.48 [0.34, 0.61] includes 0.5; log-loss 0.1005 is no better than 0.1003 for the ' +
  'constant 2.46%). CTR cannot be tested: no non-click exposures among the 781 rows it is scored on';
const DETAIL = NOT_LEARNED_SUMMARY.replace('Not learned: ', '');

const notLearned: LearningAssessment = {
  part: 'test',
  status: 'not-learned',
  notLearned: ['cvr'],
  untestable: ['ctr'],
  summary: NOT_LEARNED_SUMMARY,
  parts: {},
};
const learned: LearningAssessment = {
  part: 'test',
  status: 'learned',
  notLearned: [],
  untestable: [],
  summary: 'Learned CTR, CVR, CTCVR on the test rows',
  parts: {},
};
const untestable: LearningAssessment = {
  ...learned,
  status: 'untestable',
  untestable: ['ctr', 'cvr'],
  summary: 'Nothing to check. CTR cannot be tested: no non-click exposures among the 781 rows it is scored on',
};

function run(id: string, model: string, learning?: LearningAssessment, status: RunSummary['status'] = 'completed') {
  return {
    id,
    model,
    status,
    dataset: 'sales',
    split: 'random',
    startedAt: '2026-01-01T00:00:00.000Z',
    backend: null,
    metrics: { test: { cvr_auc: 0.7, ctcvr_auc: 0.8 } },
    ...(learning ? { learning } : {}),
  } satisfies RunSummary;
}

/** esm2 learned, esmm did not, esmc was trained before the check existed. */
const RUNS: RunSummary[] = [run('r1', 'esm2', learned), run('r2', 'esmm', notLearned), run('r3', 'esmc')];

const stubs = { ChartPanel: { props: ['label'], template: '<figure role="img" :aria-label="label"></figure>' } };

/** A view mounted against a fake lab whose runs are RUNS, `selected` selected. */
async function mountWith(component: object, host: FakeHost, selected: string[]) {
  const options = withLab(host.on('runs.list', () => RUNS));
  const wrapper = mount(component, { global: { ...options.global, stubs } });
  await flushPromises();
  // The stores exist once the view has used them (in the app's context, where they reach the lab).
  const runs = useRunsStore();
  runs.runs = RUNS;
  runs.select(selected);
  await flushPromises();
  return wrapper;
}

describe('LearningBadge', () => {
  it('says each verdict in a word, with the summary and the definition on hover', () => {
    const badge = (props: InstanceType<typeof LearningBadge>['$props']) => mount(LearningBadge, { props });
    const bad = badge({ run: RUNS[1] });
    expect(bad.text()).toBe('Not learned');
    expect(bad.classes()).toEqual(['learning-badge', 'not-learned']);
    expect(bad.attributes('title')).toBe(`${NOT_LEARNED_SUMMARY}\n\n${LEARNING_DEFINITION}`);
    expect(badge({ run: RUNS[0] }).text()).toBe('Learned');
    expect(badge({ run: run('u', 'esmm', untestable) }).text()).toBe('Not testable');
    const old = badge({ run: RUNS[2] });
    expect(old.text()).toBe('not checked');
    expect(old.attributes('title')).toMatch(/^Trained before ESMC Lab checked whether a run learned/);
    expect(badge({ run: run('f', 'esmm', undefined, 'failed') }).html()).toBe('<!--v-if-->');
    // Cancelled before an epoch ended: nothing to check. After one: its best epoch was checked like any run.
    expect(badge({ run: { ...run('c', 'esmm', undefined, 'cancelled'), metrics: {} } }).html()).toBe('<!--v-if-->');
    expect(badge({ run: run('c', 'esmm', RUNS[0].learning, 'cancelled') }).text()).toBe('Learned');
  });

  it('as a note, says the numbers are not results, then what failed with its numbers', () => {
    const note = mount(LearningBadge, { props: { run: RUNS[1], note: true } });
    expect(note.text()).toBe(`Not learned: its numbers are not results. ${DETAIL}`);
    expect(note.get('strong').text()).toBe('Not learned: its numbers are not results.');
    expect(mount(LearningBadge, { props: { run: RUNS[0], note: true } }).html()).toBe('<!--v-if-->');
  });
});

function pair(metric: PairwiseComparison['metric'], a: string, b: string, difference: number) {
  return {
    metric,
    modelA: a,
    modelB: b,
    aucA: 0,
    aucB: 0,
    difference,
    standardError: 0.01,
    pValue: 0.001,
    ci95: [0, 0] as [number, number],
    significant: true,
  };
}

function resultsView(): ResultsView {
  return {
    dataset: 'sales',
    part: 'test',
    runs: RUNS,
    metrics: {
      r1: { cvr_auc: 0.75, ctcvr_auc: 0.8 },
      r2: { cvr_auc: 0.78, ctcvr_auc: 0.82 },
      r3: { cvr_auc: 0.7, ctcvr_auc: 0.79 },
    },
    intervals: {},
    // esmm (not learned) is "significantly" ahead of both on cvr_auc; esm2 is ahead of esmc.
    comparison: {
      method: 'delong',
      alpha: 0.05,
      pairs: [pair('cvr_auc', 'r1', 'r2', -0.03), pair('cvr_auc', 'r1', 'r3', 0.05), pair('cvr_auc', 'r2', 'r3', 0.08)],
    },
    curves: [],
  };
}

describe('Results', () => {
  it('greys a run that did not learn, never ranks it, and says why under it', () => {
    const wrapper = mount(MetricsTable, { props: { view: resultsView() } });
    const rows = wrapper.findAll('tbody tr');
    expect(rows.map((row) => row.get('th, td').text())).toEqual([
      'esm2 Learned',
      'esmm Not learned',
      `Not learned: its numbers are not results. ${DETAIL}`,
      'esmc not checked',
    ]);
    expect(rows[1].classes()).toContain('unlearned');
    expect(rows[1].get('.learning-badge').attributes('title')).toContain(NOT_LEARNED_SUMMARY);
    expect(rows[2].get('td').attributes('colspan')).toBe('3');
    // The best is found among the runs that learned (or were not checked): esm2, not the higher esmm.
    const starred = wrapper.findAll('.sig').map((mark) => mark.element.closest('tr')!.querySelector('th')!.textContent);
    expect(starred).toEqual(['esm2 Learned']);
    expect(wrapper.text()).toContain('runs that did not learn are not ranked');
  });

  it('flags the run in the picker, the table and the pairwise tests of the view', async () => {
    const host = new FakeHost();
    const wrapper = await mountWith(ResultsView_, host, ['r1', 'r2', 'r3']);
    useResultsStore().view = resultsView();
    await flushPromises();
    const picker = wrapper.get('fieldset.picker');
    expect(picker.findAll('.learning-badge').map((badge) => badge.text())).toEqual([
      'Learned',
      'Not learned',
      'not checked',
    ]);
    expect(wrapper.get('table[aria-label="Metrics by run"]').text()).toContain(
      'Not learned: its numbers are not results.',
    );
    const pairs = wrapper.get('table[aria-label="Pairwise tests"]').findAll('tbody tr');
    expect(pairs.map((row) => row.classes().includes('unlearned'))).toEqual([true, false, true]);
    expect(pairs[0].text()).toContain('yes, but a run did not learn: not a result');
    expect(pairs[0].find('.sig').exists()).toBe(false);
    expect(pairs[1].find('.sig').exists()).toBe(true);
  });
});

describe('Runs', () => {
  it("marks each run's verdict beside its name and says a failed check in words", async () => {
    const wrapper = await mountWith(RunsView, new FakeHost(), []);
    const table = wrapper.get('table[aria-label="Runs"]');
    expect(table.findAll('thead th').map((th) => th.text())).toContain('Did it learn?');
    // Newest first.
    const rows = table.findAll('tbody tr');
    expect(rows.map((row) => row.get('th').text().replace(/\s+/g, ' '))).toEqual([
      'esmc not checked',
      'esmm Not learned',
      'esm2 Learned',
    ]);
    expect(rows[1].classes()).toContain('unlearned');
    expect(rows[1].get('.learning-badge').attributes('title')).toContain(NOT_LEARNED_SUMMARY);
    expect(rows[1].get('td.verdict').text()).toBe(`Not learned: its numbers are not results. ${DETAIL}`);
    expect(rows[2].get('td.verdict').text()).toBe('Learned CTR, CVR, CTCVR on the test rows');
    expect(rows[0].get('td.verdict').text()).toBe('not checked: trained before the check');
    expect(wrapper.text()).toContain('1 run did not learn: their numbers are not results.');
  });
});

describe('Stages', () => {
  it("flags the run's columns in the header and greys its probabilities", async () => {
    const host = new FakeHost();
    const wrapper = await mountWith(StagesView, host, ['r1', 'r2']);
    useStagesStore().page = {
      derived: [],
      total: 1,
      offset: 0,
      rows: [
        {
          rowId: 7,
          labels: { click: 1, action: 0, purchase: 1 },
          truth: null,
          stages: { r1: { ctr: 0.2, cvr: 0.1 }, r2: { ctr: 0.05, cvr: 0.02 } },
        },
      ],
    };
    await flushPromises();
    const groups = wrapper.findAll('thead tr')[0].findAll('th[scope="colgroup"]').slice(1);
    expect(groups.map((th) => th.text())).toEqual(['esm2 Learned', 'esmm Not learned']);
    expect(groups[1].classes()).toContain('unlearned');
    expect(groups[1].get('.learning-badge').attributes('title')).toContain(NOT_LEARNED_SUMMARY);
    const cells = wrapper.findAll('tbody td.num');
    expect(cells.filter((cell) => cell.classes().includes('unlearned')).map((cell) => cell.text())).toEqual([
      '0.0500',
      '0.0200',
    ]);
    expect(wrapper.get('.unlearned-note').text()).toBe(`esmm: Not learned: its numbers are not results. ${DETAIL}`);
  });
});

describe('PSC', () => {
  it('marks the models of the analysis with their runs’ verdicts', async () => {
    const proportion = {
      available: true as const,
      estimate: 0.4,
      ci95: [0.3, 0.5] as [number, number],
      successes: 4,
      trials: 10,
    };
    const analysis = {
      rows: 100,
      clicks: 10,
      actions: 4,
      purchases: 3,
      empirical: { pscShare: proportion, gap: proportion },
      models: {
        esm2: { role: 'chained', impliedGap: { kind: 'none', value: NaN }, decomposition: null },
        esmm: { role: 'other', impliedGap: { kind: 'none', value: NaN }, decomposition: null },
      },
      estimates: [],
      slices: [],
      truth: null,
      comparison: { method: 'delong', alpha: 0.05, pairs: [] },
    } as unknown as PscAnalysis;
    const host = new FakeHost();
    const wrapper = await mountWith(PscView, host, ['r1', 'r2']);
    const psc = usePscStore();
    psc.analysis = analysis;
    psc.analysedRunIds = ['r1', 'r2'];
    await flushPromises();
    const rows = wrapper.get('table[aria-label="Implied gap by model"]').findAll('tbody tr');
    expect(rows.map((row) => row.get('th').text())).toEqual(['esm2 Learned', 'esmm Not learned']);
    expect(rows[1].classes()).toContain('unlearned');
    expect(rows[1].get('.learning-badge').attributes('title')).toContain(NOT_LEARNED_SUMMARY);
    expect(wrapper.text()).toContain(`esmm: Not learned: its numbers are not results. ${DETAIL}`);
  });
});
