// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { KeepAlive, h, ref } from 'vue';
import type { DatasetDetail, ResultsView, RunSummary } from '../../src-shared/api/index.js';
import { pscShareText } from '../../src-shared/psc-share.js';
import type { LearningAssessment, PscAnalysis } from '../../src-shared/types/index.js';
import DatasetProfile from '../../src-renderer/components/DatasetProfile.vue';
import PscVerdict from '../../src-renderer/components/PscVerdict.vue';
import { TERMS, definitionId, segmentsOf } from '../../src-renderer/psc-terms.js';
import { useNavStore } from '../../src-renderer/stores/nav.js';
import { usePscStore } from '../../src-renderer/stores/psc.js';
import { useRunsStore } from '../../src-renderer/stores/runs.js';
import PscView from '../../src-renderer/views/PscView.vue';
import ResultsView_ from '../../src-renderer/views/ResultsView.vue';
import { FakeHost, labApp, withLab } from './fake-host.js';
import { VERDICT } from './verdict-fixture.js';

// The chart builders need a whole analysis; what these tests read is the text around the charts.
vi.mock('../../src-shared/charts/index.js', async (original) => {
  const charts = await original<typeof import('../../src-shared/charts/index.js')>();
  return { ...charts, decompositionChart: () => ({}) };
});

const stubs = { ChartPanel: { props: ['label'], template: '<figure role="img" :aria-label="label"></figure>' } };

const learning = (status: LearningAssessment['status'], summary: string): LearningAssessment => ({
  part: 'test',
  status,
  notLearned: status === 'not-learned' ? ['avr', 'cvr'] : [],
  untestable: [],
  summary,
  parts: {},
});
const run = (id: string, model: string, learned: boolean): RunSummary => ({
  id,
  model,
  status: 'completed',
  dataset: 'paper-like',
  split: 'random',
  startedAt: '2026-01-01T00:00:00.000Z',
  backend: null,
  metrics: {},
  learning: learned
    ? learning('learned', 'Learned CTR, AVR, CVR, CTAVR, CTCVR on the test rows')
    : learning('not-learned', VERDICT.models.find((m) => m.model === model)!.learningSummary!),
});
const RUNS = [run('r1', 'esmm', true), run('r2', 'chain', true), run('r3', 'esm2', true), run('r4', 'esmc', false)];
const IDS = RUNS.map((r) => r.id);
const unknown = { available: false, reason: 'not in this test' } as const;
const ANALYSIS = {
  rows: 2000,
  clicks: 423,
  actions: 150,
  purchases: 73,
  empirical: { pscShare: VERDICT.share.part, gap: unknown },
  models: {
    esmm: { role: 'other', impliedGap: { kind: 'none', value: NaN, reason: 'no pAVR' }, decomposition: null },
    esmc: { role: 'constrained', impliedGap: { kind: 'none', value: NaN, reason: 'not split' }, decomposition: null },
  },
  estimates: [],
  slices: [],
  truth: null,
  comparison: { method: 'delong', alpha: 0.05, pairs: [] },
  verdict: VERDICT,
} as unknown as PscAnalysis;

const byName = new Map(RUNS.map((r) => [r.model, r]));
const texts = (items: { text(): string }[]) => items.map((item) => item.text());

describe('the verdict component', () => {
  const mountVerdict = (compact = false) =>
    mount(PscVerdict, { props: { verdict: VERDICT, runs: byName, compact }, ...withLab(new FakeHost()) });

  it('shows the headline, then the sentences and caveats as the engine wrote them', () => {
    const wrapper = mountVerdict();
    expect(wrapper.get('.headline').text()).toBe(VERDICT.headline);
    expect(texts(wrapper.get('ul[aria-label="Verdict sentences"]').findAll('li'))).toEqual(VERDICT.sentences);
    expect(texts(wrapper.get('ul[aria-label="Caveats"]').findAll('li'))).toEqual(VERDICT.caveats);
    expect(VERDICT.sentences[0]).toMatch(/^39\.38% \(256 of 650 clicked purchases; 95% interval/);
  });

  it('ranks the models that learned and names, greys and never ranks the one that did not', () => {
    const wrapper = mountVerdict();
    const rows = wrapper.get('table[aria-label="Models in the verdict"]').findAll('tbody tr');
    expect(rows.map((row) => row.get('td.rank').text())).toEqual(['1', '2', '3', 'not ranked']);
    expect(rows.map((row) => row.get('th').text())).toEqual([
      'esm2 Learned',
      'chain Learned',
      'esmm Learned',
      'esmc Not learned',
    ]);
    expect(rows.map((row) => row.classes().includes('unlearned'))).toEqual([false, false, false, true]);
    expect(rows[3].get('.learning-badge').attributes('title')).toContain(VERDICT.models[3].learningSummary);
    expect(rows[3].text()).toContain('did not learn: its numbers are not results');
    expect(rows[0].attributes('title')).toBe(VERDICT.models[0].sentence);
    const cells = (row: (typeof rows)[number]) => texts(row.findAll('td'));
    // Trusted, within noise (with its numbers), worse beyond noise; the no-action path for models that split.
    expect(cells(rows[0])[1]).toBe('the model to trust');
    expect(cells(rows[1])[1]).toBe('within noise RMSE 0.1302 vs 0.1293; squared error +0.00023 [−0.000088, +0.00055]');
    expect(cells(rows[2])[1]).toMatch(/^worse beyond noise RMSE 0\.1328 vs 0\.1293/);
    expect(cells(rows[1])[2]).toBe('−7.80 [−10.36, −5.24] hurt by PSC');
    expect(rows.map((row) => row.find('.hurt').exists())).toEqual([true, true, false, false]);
    expect(cells(rows[2])[2]).toBe('does not split purchases');
    expect(cells(rows[1])[3]).toBe('0.625 [0.553, 0.697] vs esm2 −0.007 [−0.017, +0.003]');
    expect(cells(rows[0])[4]).toBe('0.1293');
  });

  it('on a part whose clicks hold one class, ranks nobody and says why beside the models that learned', () => {
    const unranked = 'the test part has 0 purchases among 5 clicks, so pCVR cannot be tested there';
    const verdict = {
      ...VERDICT,
      trust: null,
      unranked,
      tiedWithTrust: [],
      hurt: [],
      models: VERDICT.models.map((m) => ({ ...m, rank: null, hurt: false, versusTrusted: undefined })),
    };
    const wrapper = mount(PscVerdict, { props: { verdict, runs: byName }, ...withLab(new FakeHost()) });
    const rows = wrapper.get('table[aria-label="Models in the verdict"]').findAll('tbody tr');
    expect(rows.map((row) => row.get('td.rank').text())).toEqual(Array(4).fill('not ranked'));
    expect(rows.map((row) => row.findAll('td')[1].text())).toEqual([
      'not ranked: pCVR cannot be tested on this part',
      'not ranked: pCVR cannot be tested on this part',
      'not ranked: pCVR cannot be tested on this part',
      'did not learn: its numbers are not results',
    ]);
    expect(wrapper.get('table thead').text()).toContain('Against the trusted model');
  });

  it('links every term to its definition: on hover in the title, by id in the definitions block', () => {
    const wrapper = mountVerdict();
    const links = wrapper.findAll('a.term');
    const linked = new Set(links.map((link) => link.attributes('data-term')));
    for (const term of ['pscShare', 'materiality', 'pathBias', 'trust', 'learned', 'cvrAuc', 'truthErrors'])
      expect(linked).toContain(term);
    for (const link of links) {
      const term = TERMS.find((t) => t.key === link.attributes('data-term'))!;
      expect(term).toBeDefined();
      expect(link.attributes('href')).toBe(`#${definitionId(term.key)}`);
      expect(link.attributes('title')).toBe(`${term.name}: ${term.text}`);
    }
    // The headline's "bypass the in-shop action" says what the PSC share is.
    expect(wrapper.get('.headline a.term').text()).toBe('bypass the in-shop action');
    expect(wrapper.get('.headline a.term').attributes('data-term')).toBe('pscShare');
  });

  it('cuts a sentence into text and terms that put back together are the sentence', () => {
    for (const sentence of [VERDICT.headline, ...VERDICT.sentences, ...VERDICT.models.map((m) => m.sentence)])
      expect(
        segmentsOf(sentence)
          .map((piece) => piece.text)
          .join(''),
      ).toBe(sentence);
    expect(segmentsOf('PSC is not material here.')).toEqual([
      { text: 'PSC is ' },
      { text: 'not material', term: 'materiality' },
      { text: ' here.' },
    ]);
  });

  it('compact, leaves the table to the PSC view and links to it', async () => {
    const wrapper = mountVerdict(true);
    expect(wrapper.find('table').exists()).toBe(false);
    expect(wrapper.get('.headline').text()).toBe(VERDICT.headline);
    const scrollTo = vi.spyOn(window, 'scrollTo').mockImplementation(() => undefined);
    await wrapper.get('.more button').trigger('click');
    expect(useNavStore().current).toBe('psc');
    // It opens at its top, where the verdict is, not scrolled as the Results view was.
    expect(scrollTo).toHaveBeenCalledWith(0, 0);
    scrollTo.mockRestore();
  });
});

/** A view kept alive as the app keeps it, so it loads when shown. */
async function mountView(component: object, host: FakeHost, selected: string[]) {
  const options = withLab(host.on('runs.list', () => RUNS));
  const wrapper = mount({ render: () => h(KeepAlive, null, [h(component)]) }, { global: { ...options.global, stubs } });
  await flushPromises();
  // The stores exist once the view has used them (in the app's context, where they reach the lab).
  const runs = useRunsStore();
  runs.runs = RUNS;
  runs.select(selected);
  await flushPromises();
  return wrapper;
}

describe('the PSC view', () => {
  it('leads with the verdict, then the test part alone, and states each definition once at the bottom', async () => {
    const host = new FakeHost().on('psc.analyse', () => ({ jobId: 'p1' }));
    const wrapper = await mountView(PscView, host, IDS);
    expect(host.callsOf('psc.analyse')).toEqual([{ runIds: IDS, part: 'test' }]);
    expect(wrapper.get('[role="status"]').text()).toBe('Analysing…');
    host.emitJob({ id: 'p1', kind: 'analyse', state: 'done', result: ANALYSIS });
    await flushPromises();

    const verdict = wrapper.get('[aria-label="PSC verdict"]');
    expect(verdict.get('.headline').text()).toBe(VERDICT.headline);
    expect(verdict.findAll('tbody tr')[3].get('th').text()).toBe('esmc Not learned');
    const headings = texts(wrapper.findAll('h3'));
    expect(headings[0]).toBe(VERDICT.headline);
    expect(headings[1]).toBe('The test part alone');
    expect(headings.at(-1)).toBe('Definitions');
    // The test part's figure is labelled as such, and says why it differs from the verdict's.
    const part = wrapper.get('[aria-labelledby="psc-part-title"]');
    expect(part.text()).toContain("the verdict's share is the whole dataset's: the test part is a random sample of 73");
    expect(part.text()).toContain(
      'PSC share on the test part: 45.21% (33 of 73 clicked purchases; 95% interval 34.31% to 56.58%) were made ' +
        'without an in-shop action.',
    );
    expect(VERDICT.sentences[0]).toContain('On the test part alone: 45.21% (33 of 73 clicked purchases; 95% interval');
    // The old lower-bound implied gap is gone: models that do not split purchases say why.
    expect(wrapper.text()).not.toMatch(/lower.bound/i);
    expect(wrapper.get('table[aria-label="Implied gap by model"]').text()).toContain('none: not split');

    // Each term is defined once, and every link on the page lands on its definition.
    const terms = wrapper.findAll('dt');
    expect(terms).toHaveLength(TERMS.length);
    expect(new Set(terms.map((dt) => dt.attributes('id'))).size).toBe(TERMS.length);
    for (const link of wrapper.findAll('a.term'))
      expect(wrapper.find(link.attributes('href')!).exists(), link.attributes('href')).toBe(true);
    // Every section below the verdict links to its definition.
    for (const term of ['gap', 'impliedGap', 'impliedShare', 'estimates', 'decomposition'])
      expect(wrapper.find(`a.term[data-term="${term}"]`).exists(), term).toBe(true);
  });

  it('shows the slices of an analysis made before the view opened (the Results view asked for it first)', async () => {
    const withSlices = {
      ...ANALYSIS,
      slices: [
        { field: 'hour', slices: [] },
        { field: 'device', slices: [] },
      ],
    } as unknown as PscAnalysis;
    const host = new FakeHost().on('psc.analyse', () => ({ jobId: 'p1' })).on('runs.list', () => RUNS);
    const options = withLab(host);
    const shown = ref<'results' | 'psc'>('results');
    const wrapper = mount(
      { render: () => h(KeepAlive, null, [h(shown.value === 'results' ? ResultsView_ : PscView)]) },
      { global: { ...options.global, stubs } },
    );
    await flushPromises();
    const runs = useRunsStore();
    runs.runs = RUNS;
    runs.select(IDS);
    await flushPromises();
    host.emitJob({ id: 'p1', kind: 'analyse', state: 'done', result: withSlices });
    await flushPromises();
    shown.value = 'psc';
    await flushPromises();
    expect(host.callsOf('psc.analyse')).toHaveLength(1);
    expect((wrapper.get('select[aria-label="Slice column"]').element as HTMLSelectElement).value).toBe('hour');
  });

  it('brings a definition into view when its term is clicked', async () => {
    const host = new FakeHost();
    const wrapper = await mountView(PscView, host, IDS);
    const psc = usePscStore();
    psc.analysis = ANALYSIS;
    psc.analysedRunIds = IDS;
    await flushPromises();
    // The DOM lookups need the page's document: attach the view to it.
    document.body.append(wrapper.element);
    await wrapper.get('.headline a.term').trigger('click');
    await flushPromises();
    const target = document.getElementById(definitionId('pscShare'))!;
    expect(target.classList.contains('highlight')).toBe(true);
    expect(document.activeElement).toBe(target);
    wrapper.element.remove();
  });
});

describe('the Results view', () => {
  function resultsView(): ResultsView {
    return {
      dataset: 'paper-like',
      part: 'test',
      runs: RUNS,
      metrics: Object.fromEntries(IDS.map((id) => [id, { cvr_auc: 0.6 }])),
      intervals: {},
      comparison: { method: 'delong', alpha: 0.05, pairs: [] },
      curves: [],
    };
  }

  it('asks for the PSC analysis when shown, says it is analysing, then shows the verdict above the metrics', async () => {
    const host = new FakeHost().on('psc.analyse', () => ({ jobId: 'p1' })).on('results.compare', resultsView);
    const wrapper = await mountView(ResultsView_, host, IDS);
    expect(host.callsOf('psc.analyse')).toEqual([{ runIds: IDS, part: 'test' }]);
    expect(wrapper.get('.verdict-pending').text()).toBe('Analysing PSC for the verdict of these runs…');
    host.emitJob({ id: 'p1', kind: 'analyse', state: 'done', result: ANALYSIS });
    await flushPromises();
    expect(wrapper.find('.verdict-pending').exists()).toBe(false);
    const verdict = wrapper.get('[aria-label="PSC verdict"]');
    expect(verdict.get('.headline').text()).toBe(VERDICT.headline);
    expect(texts(verdict.findAll('ul[aria-label="Verdict sentences"] li'))).toEqual(VERDICT.sentences);
    expect(verdict.find('table').exists()).toBe(false);
    // Above the metrics.
    const html = wrapper.html();
    expect(html.indexOf('aria-label="PSC verdict"')).toBeLessThan(html.indexOf('aria-label="Metrics by run"'));
    // The PSC view, shown next for the same runs, does not analyse them again.
    usePscStore().ensure(IDS);
    expect(host.callsOf('psc.analyse')).toHaveLength(1);
  });

  it('analyses a selection made while another one is analysed, once that one ends', async () => {
    const host = new FakeHost().on('psc.analyse', ({ runIds }) => ({ jobId: runIds.join('+') }));
    const psc = labApp(host).run(() => usePscStore());
    psc.ensure(['r1', 'r2']);
    await flushPromises();
    psc.ensure(['r3']);
    psc.ensure(['r3']);
    await flushPromises();
    expect(host.callsOf('psc.analyse')).toEqual([{ runIds: ['r1', 'r2'], part: 'test' }]);
    host.emitJob({ id: 'r1+r2', kind: 'analyse', state: 'done', result: ANALYSIS });
    await flushPromises();
    expect(host.callsOf('psc.analyse')).toEqual([
      { runIds: ['r1', 'r2'], part: 'test' },
      { runIds: ['r3'], part: 'test' },
    ]);
    host.emitJob({ id: 'r3', kind: 'analyse', state: 'failed', error: { code: 'failed', message: 'boom' } });
    await flushPromises();
    expect(host.callsOf('psc.analyse')).toHaveLength(2);
    expect(psc.analysedRunIds).toEqual(['r1', 'r2']);
  });
});

describe('the Data view', () => {
  it("writes the dataset's PSC share as the verdict's first sentence does: counts and interval", () => {
    const funnel = {
      counts: {
        exposures: 20_000,
        clicks: 2_000,
        actions: 500,
        purchases: 650,
        purchasesWithAction: 394,
        purchasesWithoutAction: 256,
        funnelViolations: 0,
      },
      rates: { pscShare: 256 / 650 },
    };
    const dataset = {
      name: 'paper-like',
      rows: 20_000,
      format: 'simulator',
      sourcePath: '/tmp/s.csv',
      importedAt: '2026-01-01T00:00:00.000Z',
      simulated: true,
      roles: {},
      findings: [],
      profile: { funnel, slices: [], columns: [] },
    } as unknown as DatasetDetail;
    const wrapper = mount(DatasetProfile, { props: { dataset }, global: { ...withLab(new FakeHost()).global, stubs } });
    const figure = wrapper.get('[aria-label="PSC share of the dataset"] .figure').text();
    expect(figure).toBe(pscShareText(256, 650));
    expect(VERDICT.sentences[0].startsWith(`${figure} were made without an in-shop action`)).toBe(true);
    expect(wrapper.get('[aria-label="PSC share of the dataset"]').text()).toBe(
      'PSC share: 39.38% (256 of 650 clicked purchases; 95% interval 35.70% to 43.19%) were made without an in-shop action.',
    );
  });
});
