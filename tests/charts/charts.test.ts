import type { EChartsOption, SeriesOption } from 'echarts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageCurves, StageRow } from '../../src-shared/api/contract.js';
import {
  decompositionChart,
  deltaHistogramChart,
  epochMetricChart,
  estimateScatterChart,
  formatCompactCount,
  formatCount,
  formatPercent,
  funnelChart,
  lossCurveChart,
  prChart,
  reliabilityChart,
  rocChart,
  rowPathChart,
  scoreDistributionChart,
  sliceFunnelChart,
  sliceGapChart,
  truthErrorChart,
} from '../../src-shared/charts/index.js';
import type { FunnelCounts, PscAnalysis, SliceFunnel } from '../../src-shared/types/index.js';
import { standardisedDistance, wilsonInterval } from '../../src-shared/stats.js';
import { renderChartSvg } from '../../src-main/report/svg.js';
import { analysePsc } from '../../src-main/engine/psc/index.js';
import { chartInputs, funnelOf, overTheWire, RUN_IDS, type ChartInputs } from './fixtures.js';
import { roundAxisTop } from '../../src-shared/charts/psc.js';

type Series = SeriesOption & { data?: unknown[]; large?: boolean };
type Tooltip = { formatter: (params: { dataIndex: number }) => string };

function seriesOf(option: EChartsOption): Series[] {
  return (Array.isArray(option.series) ? option.series : option.series ? [option.series] : []) as Series[];
}

function series(option: EChartsOption, name: string): Series {
  const found = seriesOf(option).find((s) => s.name === name);
  if (!found)
    throw new Error(
      `no series "${name}"; the option has ${seriesOf(option)
        .map((s) => s.name)
        .join(', ')}`,
    );
  return found;
}

/** The title and subtitle as sentences: the builders wrap them into lines that fit the narrowest chart. */
function titleOf(option: EChartsOption): { text: string; subtext: string } {
  const title = (Array.isArray(option.title) ? option.title[0] : option.title) as { text?: string; subtext?: string };
  const flat = (text = '') => text.replace(/\n/g, ' ');
  return { text: flat(title?.text), subtext: flat(title?.subtext) };
}

function axisOf(option: EChartsOption, axis: 'xAxis' | 'yAxis'): Record<string, unknown> {
  const value = option[axis];
  return (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;
}

/** SVG escapes a few characters in text; the names used here have none of them. */
function expectRendered(option: EChartsOption, names: string[]): string {
  const svg = renderChartSvg(option, 900, 520);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toMatch(/<(path|rect|polyline|text)\b/);
  for (const name of names) expect(svg, `series "${name}" in the SVG`).toContain(name);
  return svg;
}

let inputs: ChartInputs;
let analysis: PscAnalysis;
let curves: StageCurves[];

beforeAll(() => {
  inputs = chartInputs();
  analysis = overTheWire(inputs.analysis);
  curves = overTheWire(inputs.curves);
});

describe('funnel charts', () => {
  it('draws each funnel step with the PSC share in the subtitle, on a log axis', () => {
    const option = funnelChart(inputs.funnel, { animation: false });
    const { counts } = inputs.funnel;
    const bars = series(option, 'rows').data as { value: number }[];
    expect(bars.map((b) => b.value)).toEqual([
      counts.exposures,
      counts.clicks,
      counts.actions,
      counts.purchases,
      counts.purchasesWithoutAction,
    ]);
    expect(axisOf(option, 'yAxis').type).toBe('log');
    expect(titleOf(option).subtext).toContain(formatPercent(inputs.funnel.rates.pscShare));
    expectRendered(option, ['no action', formatPercent(inputs.funnel.rates.pscShare)]);
  });

  it('leaves the action bars out, not at 0, without an action label', () => {
    const funnel = overTheWire(funnelOf(inputs.labels, false));
    const option = funnelChart(funnel);
    const values = (series(option, 'rows').data as { value: unknown }[]).map((b) => b.value);
    expect(values[2]).toBe('-');
    expect(values[4]).toBe('-');
    expect(values[3]).toBe(funnel.counts.purchases);
    expect(titleOf(option).subtext).toMatch(/No in-shop action label/);
  });

  /** A slice's funnel from its counts alone, as the profile stores it. */
  function slice(value: string, counts: Partial<FunnelCounts>, extra: Partial<SliceFunnel> = {}): SliceFunnel {
    const full: FunnelCounts = {
      exposures: 1000,
      clicks: 200,
      actions: 40,
      purchases: 20,
      purchasesWithAction: 12,
      purchasesWithoutAction: 8,
      funnelViolations: 0,
      ...counts,
    };
    const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
    const rates = {
      ctr: ratio(full.clicks, full.exposures),
      avr: ratio(full.actions, full.clicks),
      cvr: ratio(full.purchases, full.clicks),
      ctavr: ratio(full.actions, full.exposures),
      ctcvr: ratio(full.purchases, full.exposures),
      buyGivenAction: ratio(full.purchasesWithAction, full.actions),
      buyGivenNoAction: null,
      pscShare: ratio(full.purchasesWithoutAction, full.purchases),
    };
    return { column: 'device', value, funnel: { counts: full, rates }, ...extra };
  }

  /** A panel's bars, their intervals, count labels and tooltips, found by the rate's name. */
  function panel(option: EChartsOption, rate: string) {
    const bars = series(option, rate) as Series & { xAxisIndex: number; yAxisIndex: number; tooltip: Tooltip };
    const intervals = series(option, `${rate} 95% interval`) as Series & { xAxisIndex: number; tooltip: Tooltip };
    const yAxes = option.yAxis as { gridIndex: number; position: string; data: string[] }[];
    const counts = yAxes.find((axis) => axis.gridIndex === bars.xAxisIndex && axis.position === 'right')!.data;
    const names = yAxes[bars.yAxisIndex].data;
    const tooltips = (bars.data as unknown[]).map((_, k) => bars.tooltip.formatter({ dataIndex: k }));
    return { bars, intervals, counts, names, tooltips, values: bars.data as (number | string)[] };
  }

  it('draws CTR, CVR and the PSC share each in its own panel on its own scale', () => {
    // Taobao-like rates: a 2.6% CVR beside a 30% CTR and a 100% PSC share.
    const slices = [
      slice('phone', {
        exposures: 5000,
        clicks: 1500,
        purchases: 39,
        purchasesWithAction: 0,
        purchasesWithoutAction: 39,
      }),
      slice('tablet', { exposures: 800, clicks: 300, purchases: 8, purchasesWithAction: 0, purchasesWithoutAction: 8 }),
      { ...slice('tv', {}), column: 'hour' },
    ];
    const option = sliceFunnelChart(slices, 'device', { animation: false });
    expect(option.grid).toHaveLength(3);
    const xAxes = option.xAxis as { name: string; gridIndex: number; max: number }[];
    expect(xAxes.map((axis) => axis.name)).toEqual(['CTR', 'CVR', 'PSC share']);
    expect(new Set(xAxes.map((axis) => axis.gridIndex)).size).toBe(3);
    // Each scale fits its own rate: CVR's axis ends near its intervals, not at 100%.
    const cvr = panel(option, 'CVR');
    expect(cvr.values[0]).toBeCloseTo(39 / 1500, 12);
    expect(xAxes[cvr.bars.xAxisIndex].max).toBeLessThanOrEqual(0.1);
    expect(xAxes[cvr.bars.xAxisIndex].max).toBeGreaterThanOrEqual(wilsonInterval(8, 300)[1]);
    expect(xAxes[panel(option, 'PSC share').bars.xAxisIndex].max).toBe(1);
    for (const rate of ['CTR', 'CVR', 'PSC share']) expect(panel(option, rate).values).toHaveLength(2);
    const svg = expectRendered(option, ['CTR', 'CVR', 'PSC share', '39/1,500']);
    expect(svg).toContain('8/8');
  });

  it('gives every bar its counts and its Wilson 95% interval, and the slice names their size', () => {
    const slices = [
      slice('phone', {
        exposures: 12_000,
        clicks: 1575,
        purchases: 26,
        purchasesWithAction: 0,
        purchasesWithoutAction: 26,
      }),
      slice('tablet', { purchases: 0, purchasesWithAction: 0, purchasesWithoutAction: 0 }),
    ];
    const option = sliceFunnelChart(slices, 'device');
    const trials = { CTR: [12_000, 1000], CVR: [1575, 200], 'PSC share': [26, 0] } as const;
    const successes = { CTR: [1575, 200], CVR: [26, 0], 'PSC share': [26, 0] } as const;
    for (const rate of ['CTR', 'CVR', 'PSC share'] as const) {
      const { intervals, counts, names, tooltips, values } = panel(option, rate);
      expect(names).toEqual(['phone\n12.0k rows', 'tablet\n1,000 rows']);
      slices.forEach((_, k) => {
        const [s, n] = [successes[rate][k], trials[rate][k]];
        if (n === 0) {
          // No purchase: no PSC share to draw, not 0% and not 100%; the label says why.
          expect(values[k]).toBe('-');
          expect(counts[k]).toBe('0 purchases');
          expect(tooltips[k]).toMatch(/not available \(0 purchases\)/);
          return;
        }
        expect(values[k]).toBeCloseTo(s / n, 12);
        expect(intervals.data).toContainEqual([k, ...wilsonInterval(s, n)]);
        expect(counts[k]).toMatch(/^[\d.,k]+\/[\d.,k]+$/);
        expect(tooltips[k]).toContain(`${formatCount(s)} `);
        expect(tooltips[k]).toContain(` of ${formatCount(n)} `);
        expect(tooltips[k]).toContain('95% interval');
      });
    }
    expect(panel(option, 'PSC share').counts[0]).toBe('26/26');
    expect(panel(option, 'PSC share').tooltips[0]).toContain('26 without an in-shop action of 26 purchases');
    expect(panel(option, 'CVR').counts[0]).toBe('26/1,575');
  });

  it('leaves out a rate the data cannot have, with a note, instead of drawing it at 100%', () => {
    const allClicks = [slice('a', { exposures: 300, clicks: 300 }), slice('b', { exposures: 90, clicks: 90 })];
    const taobao = sliceFunnelChart(allClicks, 'device');
    expect(seriesOf(taobao).map((s) => s.name)).not.toContain('CTR');
    expect((taobao.xAxis as { name: string }[]).map((axis) => axis.name)).toEqual(['CVR', 'PSC share']);
    expect(titleOf(taobao).subtext).toContain('CTR left out: every row is a click');
    const noAction = [slice('a', { actions: null, purchasesWithAction: null, purchasesWithoutAction: null })];
    const plain = sliceFunnelChart(noAction, 'device');
    expect(seriesOf(plain).map((s) => s.name)).not.toContain('PSC share');
    expect(titleOf(plain).subtext).toContain('PSC share left out: no in-shop action label');
    expectRendered(plain, ['CTR', 'CVR', 'PSC share left out']);
    expect(titleOf(sliceFunnelChart(allClicks, 'position')).subtext).toMatch(/Not available/);
  });

  it('puts the merged "other" slice last with its number of values', () => {
    const slices = [
      slice('other', { exposures: 4120, clicks: 412 }, { isOther: true, distinctValues: 37 }),
      slice('phone', { exposures: 9000 }, { distinctValues: 1 }),
      slice('tablet', { exposures: 5000 }, { distinctValues: 1 }),
    ];
    const option = sliceFunnelChart(slices, 'device');
    const { names, tooltips } = panel(option, 'CVR');
    expect(names).toEqual(['phone\n9,000 rows', 'tablet\n5,000 rows', 'other (37 values)\n4,120 rows']);
    expect(tooltips[2]).toContain('other (37 values)</b>, 4,120 rows');
    expect(titleOf(option).subtext).toContain('other last');
    expectRendered(option, ['other (37 values)', '4,120 rows']);
  });

  it('charts a profile stored before "other" and the slice counts existed in their present form', () => {
    // The stored JSON of an older profile: top values only, no isOther / distinctValues, nulls for NaN.
    const stored = overTheWire(
      ['1', '2', '3'].map((value) => ({ column: 'device', value, funnel: funnelOf(inputs.labels) })),
    ) as SliceFunnel[];
    const option = sliceFunnelChart(stored, 'device');
    for (const rate of ['CTR', 'CVR', 'PSC share']) {
      const { values, intervals, counts } = panel(option, rate);
      expect(values).toHaveLength(3);
      expect(intervals.data).toHaveLength(3);
      expect(counts).toHaveLength(3);
    }
    expect(panel(option, 'CVR').values[0]).toBeCloseTo(inputs.funnel.rates.cvr!, 12);
    expect(titleOf(option).subtext).not.toContain('other last');
    expectRendered(option, ['CTR', 'CVR', 'PSC share']);
  });
});

describe('training charts', () => {
  it('draws one loss line per model and skips points without a loss', () => {
    const option = lossCurveChart(
      overTheWire([
        {
          model: 'esmc',
          points: [
            { step: 10, loss: 0.9 },
            { step: 20, loss: NaN },
            { step: 30, loss: 0.7 },
          ],
        },
        {
          model: 'esm2',
          points: [
            { step: 10, loss: 1.1 },
            { step: 20, loss: 1.0 },
          ],
        },
      ]),
    );
    expect(series(option, 'esmc').data).toEqual([
      [10, 0.9],
      [30, 0.7],
    ]);
    expect(series(option, 'esm2').data).toHaveLength(2);
    expectRendered(option, ['esmc', 'esm2', 'Training loss']);
    expect(titleOf(lossCurveChart([])).subtext).toMatch(/Not available/);
  });

  it('draws a validation metric by epoch, nulls skipped', () => {
    const option = epochMetricChart(
      [
        {
          model: 'chain',
          points: [
            { epoch: 1, value: 0.61 },
            { epoch: 2, value: null },
            { epoch: 3, value: 0.66 },
          ],
        },
        { model: 'esmc', points: [{ epoch: 1, value: null }] },
      ],
      'cvr_auc',
    );
    expect(series(option, 'chain').data).toEqual([
      [1, 0.61],
      [3, 0.66],
    ]);
    expect(seriesOf(option).map((s) => s.name)).toEqual(['chain']);
    expect(axisOf(option, 'yAxis').name).toBe('cvr_auc');
    expectRendered(option, ['chain', 'cvr_auc']);
  });
});

describe('curve charts', () => {
  it.each(['ctr', 'cvr', 'ctcvr'] as const)('draws a ROC line per run for %s with the chance diagonal', (stage) => {
    const option = rocChart(curves, stage);
    for (const model of ['chain', 'esm2', 'esmc']) {
      const curve = curves.find((c) => c.model === model && c.stage === stage)!;
      expect(series(option, model).data).toHaveLength(curve.roc.fpr.length);
    }
    expect(series(option, 'chance').data).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(titleOf(option).text).toMatch(stage === 'cvr' ? /pCVR \(clicked rows\)/ : /all exposures/);
    expectRendered(option, ['chain', 'esm2', 'esmc']);
  });

  it('says which run has no ROC curve instead of drawing it', () => {
    const empty = { ...curves[1], roc: { fpr: [], tpr: [], thresholds: [] } };
    const option = rocChart([curves[0], empty, ...curves.slice(2)], empty.stage);
    expect(seriesOf(option).map((s) => s.name)).not.toContain(empty.model);
    expect(titleOf(option).subtext).toContain(`Not available for ${empty.model}`);
  });

  it('names two runs of the same model apart', () => {
    const second = curves
      .filter((c) => c.model === 'esmc')
      .map((c) => ({ ...c, runId: 'ffffffff-0000-4000-8000-000000000000' }));
    const option = prChart([...curves, ...second], 'cvr');
    const names = seriesOf(option).map((s) => s.name);
    expect(names).toContain(`esmc (${RUN_IDS.esmc.slice(0, 8)})`);
    expect(names).toContain('esmc (ffffffff)');
    expect(names).toContain('esm2');
  });

  it('draws precision against recall per run', () => {
    const option = prChart(curves, 'cvr');
    const curve = curves.find((c) => c.model === 'esm2' && c.stage === 'cvr')!;
    expect(series(option, 'esm2').data).toHaveLength(curve.pr.recall.length);
    expect(axisOf(option, 'xAxis').name).toBe('recall');
    expectRendered(option, ['esm2', 'recall', 'precision']);
  });

  it('plots calibration bins that have rows and skips empty ones', () => {
    // The top bin of one model empty, as the engine leaves it: NaN means, null over the wire.
    const withEmptyBin = curves.map((c) =>
      c.model === 'esm2' && c.stage === 'cvr'
        ? overTheWire({
            ...c,
            reliability: {
              ...c.reliability,
              bins: c.reliability.bins.map((b, k) =>
                k === 9 ? { ...b, count: 0, meanPredicted: NaN, observedRate: NaN } : b,
              ),
            },
          })
        : c,
    );
    const option = reliabilityChart(withEmptyBin, 'cvr');
    for (const model of ['chain', 'esm2', 'esmc']) {
      const curve = withEmptyBin.find((c) => c.model === model && c.stage === 'cvr')!;
      const filled = curve.reliability.bins.filter((b) => b.count > 0);
      if (model === 'esm2') expect(filled).toHaveLength(9);
      expect(series(option, model).data).toEqual(filled.map((b) => [b.meanPredicted, b.observedRate]));
    }
    expect(titleOf(option).subtext).toMatch(/ECE \(10 bins\): chain 0\.\d{4}/);
    expect(titleOf(option).subtext).not.toContain('one class');
    expectRendered(option, ['ECE (10 bins)', 'chain', 'esm2', 'esmc']);

    // A part whose clicks hold no purchase: the points are drawn, the ECE (as in the metrics tables) is not.
    const noPurchase = curves.map((c) =>
      c.model === 'esmc' && c.stage === 'cvr'
        ? { ...c, reliability: { ...c.reliability, bins: c.reliability.bins.map((b) => ({ ...b, observedRate: 0 })) } }
        : c,
    );
    const subtext = titleOf(reliabilityChart(noPurchase, 'cvr')).subtext;
    expect(subtext).toMatch(/chain 0\.\d{4}, .*esmc —; —: the rows hold one class, nothing to calibrate against$/);
  });

  it('shows the score distribution of each class as shares of the class', () => {
    const curve = curves.find((c) => c.model === 'esmc' && c.stage === 'cvr')!;
    const option = scoreDistributionChart(curve);
    const positive = series(option, 'purchased').data as (number | string)[];
    const negative = series(option, 'not purchased').data as (number | string)[];
    expect(positive).toHaveLength(curve.scores.positive.counts.length);
    const sum = (values: (number | string)[]) =>
      values.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0);
    expect(sum(positive)).toBeCloseTo(1, 9);
    expect(sum(negative)).toBeCloseTo(1, 9);
    expectRendered(option, ['purchased', 'not purchased']);
  });
});

describe('PSC charts', () => {
  it('scatters chained against constrained estimates with the diagonal, axes naming both models', () => {
    const pair = analysis.estimates.find((e) => e.chained === 'esm2' && e.constrained === 'esmc')!;
    const option = estimateScatterChart(pair);
    const points = series(option, 'esmc vs esm2');
    expect(points.type).toBe('scatter');
    expect(points.data).toHaveLength(pair.clicked.scatter.rows.length);
    expect(points.large).toBe(true);
    expect(axisOf(option, 'xAxis').name).toBe('esm2: pCVR of the full chain (chained)');
    // Too long for the height of a narrow chart's plot: the model on a line of its own.
    expect(axisOf(option, 'yAxis').name).toBe('esmc:\npCVR (constrained)');
    expect(series(option, 'chained = constrained').data).toHaveLength(2);
    expectRendered(option, ['esmc vs esm2', 'chained = constrained']);
  });

  it('keeps a scatter of 100k points in ECharts large mode and drops unavailable points', () => {
    const pair = analysis.estimates[0];
    const n = 100_000;
    const big = {
      ...pair,
      clicked: {
        ...pair.clicked,
        scatter: {
          rows: Array.from({ length: n }, (_, k) => k),
          chained: Array.from({ length: n }, (_, k) => (k === 5 ? null : (k % 97) / 200)) as number[],
          constrained: Array.from({ length: n }, (_, k) => (k % 89) / 180),
        },
      },
    };
    const points = series(estimateScatterChart(big), `${pair.constrained} vs ${pair.chained}`);
    expect(points.data).toHaveLength(n - 1);
    expect(points.large).toBe(true);
    expect((points as { progressive?: number }).progressive).toBeGreaterThan(0);
  });

  it('draws the Δ histogram on the clicked rows', () => {
    const pair = analysis.estimates[0];
    const option = deltaHistogramChart(pair);
    const bars = series(option, `Δ ${pair.constrained} − ${pair.chained}`).data as { value: number }[];
    expect(bars.map((b) => b.value)).toEqual(pair.clicked.histogram.counts);
    expect(bars.reduce((s, b) => s + b.value, 0)).toBe(analysis.clicks);
    expectRendered(option, ['Δ on clicked rows']);
  });

  /** The y axes of the gap chart: slice names left, counts right. */
  function gapAxes(option: EChartsOption): { names: string[]; counts: string[]; colors: string[] } {
    const [left, right] = option.yAxis as { data: { value: string; textStyle: { color: string } }[] }[];
    return {
      names: left.data.map((d) => d.value),
      counts: right.data.map((d) => d.value),
      colors: left.data.map((d) => d.textStyle.color),
    };
  }

  /** Thirteen slices of the fixture's rows, one without purchases and one whose purchases all had an action. */
  function manySlices(): PscAnalysis['slices'][number] {
    const ids = Int32Array.from(inputs.labels.click, (_, r) => (r * 7919) % 13);
    const { action } = inputs.labels;
    const purchase = Float32Array.from(inputs.labels.purchase, (p, r) =>
      ids[r] === 3 || (ids[r] === 4 && action[r] === 0) ? 0 : p,
    );
    const vocabulary = Array.from({ length: 12 }, (_, k) => `c${k + 1}`);
    const result = analysePsc({
      labels: { ...inputs.labels, purchase },
      stagesByModel: inputs.stagesByModel,
      slices: [{ field: 'category', ids, vocabulary, options: { topK: 10, minClicks: 30 } }],
    });
    return overTheWire(result.slices[0]);
  }

  it('draws the empirical gap per slice with its interval, its counts and each model’s implied gap', () => {
    const field = analysis.slices[0];
    const option = sliceGapChart(field);
    const bars = series(option, 'empirical gap') as Series & { tooltip: Tooltip };
    expect(bars.data).toHaveLength(field.slices.length);
    const { names, counts } = gapAxes(option);
    field.slices.forEach((slice, k) => {
      const gap = slice.empiricalGap as { estimate: number; successes: number; trials: number; ci95: number[] };
      expect((bars.data![k] as { value: number }).value).toBe(gap.estimate);
      expect(series(option, 'empirical 95% interval').data).toContainEqual([k, ...gap.ci95]);
      // Every bar says what it rests on: no-action purchases of clicks, beside it and exactly in its tooltip.
      expect(gap.trials).toBe(slice.clicks);
      expect(counts[k]).toBe(`${formatCompactCount(gap.successes)}/${formatCompactCount(gap.trials)}`);
      expect(names[k]).toContain(`(${formatCompactCount(slice.clicks)} clicks)`);
      expect(bars.tooltip.formatter({ dataIndex: k })).toContain(
        `${formatCount(gap.successes)} of ${formatCount(gap.trials)} clicks`,
      );
    });
    expect(series(option, 'esm2').data).toHaveLength(field.slices.length);
    expect(series(option, 'chain').data).toEqual(field.slices.map((_, k) => [0, k]));
    expect(option.series as { name: string }[]).not.toContainEqual(expect.objectContaining({ name: 'esmc' }));
    // The overall gap, the one the slices are ordered against, as a dashed line.
    const overall = (bars as { markLine: { data: { xAxis: number }[] } }).markLine.data[0].xAxis;
    expect(overall).toBeCloseTo((analysis.empirical.gap as { estimate: number }).estimate, 12);
    expectRendered(option, ['P(buy, no action | click)', 'device', 'overall']);
  });

  it('orders the slices by their standardised distance from the overall gap, "other" last, and says so', () => {
    const field = manySlices();
    const { slices } = field;
    const option = sliceGapChart(field);
    const gaps = slices.map((s) => s.empiricalGap as { successes: number; trials: number });
    const all = gaps.reduce((sum, gap) => [sum[0] + gap.successes, sum[1] + gap.trials], [0, 0]);
    const distances = gaps.map((gap) => standardisedDistance(gap.successes, gap.trials, all[0], all[1]));
    // Slices that can tell something about PSC first, then those that cannot (a note), each by distance.
    const kept = slices.slice(0, -1);
    const informative = kept.filter((s) => s.note === undefined).map((s) => s.distance);
    const muted = kept.filter((s) => s.note !== undefined).map((s) => s.distance);
    expect(kept.map((s) => s.distance)).toEqual([
      ...[...informative].sort((a, b) => b - a),
      ...[...muted].sort((a, b) => b - a),
    ]);
    slices.forEach((s, k) => expect(s.distance).toBeCloseTo(distances[k], 9));
    const { names } = gapAxes(option);
    expect(names).toHaveLength(11);
    const other = slices.at(-1)!;
    expect(other.isOther).toBe(true);
    expect(names.at(-1)).toBe(`other (${other.distinctValues} values, ${formatCompactCount(other.clicks)} clicks)`);
    expect(titleOf(option).subtext).toContain('ordered by |gap − overall| / its SE, largest first, other last');
    expectRendered(option, ['ordered by', 'other (3 values']);
  });

  it('mutes a slice with no purchase or too few to read, with the reason in its tooltip', () => {
    const field = manySlices();
    const option = sliceGapChart(field);
    const bars = series(option, 'empirical gap') as Series & { tooltip: Tooltip };
    const noted = field.slices.map((s, k) => [k, s] as const).filter(([, s]) => s.note);
    expect(noted.map(([, s]) => s.value)).toContain('c3');
    for (const [, s] of noted) expect(s.purchases).toBeLessThan(5);
    const { colors } = gapAxes(option);
    for (const [k, s] of noted) {
      const item = bars.data![k] as { itemStyle: { opacity?: number; borderType?: string } };
      expect(item.itemStyle.borderType).toBe('dashed');
      expect(colors[k]).not.toBe(colors[field.slices.findIndex((other) => !other.note)]);
      expect(bars.tooltip.formatter({ dataIndex: k })).toContain(s.note!);
    }
    expect(titleOf(option).subtext).toContain('muted, in italics: no purchase, or too few (under 5) to read');
  });

  it('splits pCVR into its two paths per model that splits it, with the truth and the empirical split', () => {
    const option = decompositionChart(analysis);
    const categories = axisOf(option, 'xAxis').data as string[];
    expect(categories).toEqual(['chain', 'esm2', 'truth', 'empirical']);
    const noAction = series(option, 'no-action path').data as (number | string)[];
    expect(noAction[0]).toBe(0);
    expect(noAction[1]).toBeCloseTo(analysis.models.esm2.decomposition!.noActionPath, 12);
    expectRendered(option, ['action path', 'empirical', 'truth']);
  });

  it('shows each model’s error against the truth, and says when the data has none', () => {
    const option = truthErrorChart(analysis);
    const categories = axisOf(option, 'xAxis').data as string[];
    expect(categories).toContain('pCVR');
    const esmc = series(option, 'esmc').data as (number | string)[];
    expect(esmc[categories.indexOf('pCVR')]).toBeCloseTo(analysis.truth!.errors.esmc.cvr.clicked.rmse, 12);
    expect(esmc[categories.indexOf('P(b|¬a,c)')]).toBe('-');
    // Which rows each stage is measured on: the subtitle, and each stage's tooltip.
    expect(titleOf(option).subtext).toContain('pCTR, pCTCVR, PSC gap: all rows; the others: clicked rows');
    const tooltip = (option.tooltip as { formatter: (params: unknown) => string }).formatter;
    const cvr = categories.indexOf('pCVR');
    const text = tooltip([{ dataIndex: cvr, seriesName: 'esmc', marker: '', value: esmc[cvr] }]);
    expect(text).toContain('<b>pCVR</b> on clicked rows');
    expect(text).toMatch(/esmc: RMSE 0\.\d{1,4}$|esmc: RMSE 0\.0+\d{1,4}$/);
    expectRendered(option, ['chain', 'esm2', 'esmc']);
    const none = truthErrorChart({ ...analysis, truth: null });
    expect(seriesOf(none)).toHaveLength(0);
    expect(titleOf(none).subtext).toMatch(/no true probabilities/);
    expectRendered(none, ['no true probabilities']);
  });
});

describe('row path', () => {
  it('draws one run’s stages for a row beside the truth', () => {
    const r = inputs.labels.purchase.findIndex((p, i) => p > 0 && inputs.labels.action[i] === 0);
    const esm2 = inputs.stagesByModel.esm2;
    const row: StageRow = overTheWire({
      rowId: r,
      labels: { click: 1, action: 0, purchase: 1 },
      truth: { ctr: inputs.truth.true_ctr[r], cvr: inputs.truth.true_cvr[r], avr: inputs.truth.true_avr[r] },
      stages: {
        [RUN_IDS.esm2]: Object.fromEntries(Object.entries(esm2).map(([stage, values]) => [stage, values[r]])),
      },
    });
    const option = rowPathChart(row, RUN_IDS.esm2, { label: 'esm2' });
    expect(series(option, 'esm2').data).toHaveLength(7);
    // Bars across and stages down the side, the truth a tick on the bar of its stage.
    expect(axisOf(option, 'yAxis').data).toContain('P(buy | no action, click)');
    const truth = series(option, 'true probability').data as [number | string, number][];
    expect(truth.filter(([v]) => v !== '-')).toHaveLength(3);
    expect(truth.map(([, k]) => k)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(titleOf(option).text).toBe(`Row ${r}: clicked, no action, purchased`);
    expectRendered(option, ['esm2', 'true probability']);
    expect(titleOf(rowPathChart(row, 'unknown-run')).subtext).toMatch(/has no prediction/);
  });
});

describe('every builder', () => {
  it('is deterministic and applies the theme', () => {
    const light = JSON.stringify(sliceGapChart(analysis.slices[0]));
    expect(JSON.stringify(sliceGapChart(analysis.slices[0]))).toBe(light);
    const dark = decompositionChart(analysis, { theme: 'dark', animation: false });
    expect(dark.animation).toBe(false);
    expect((dark.textStyle as { color: string }).color).not.toBe(
      (decompositionChart(analysis).textStyle as { color: string }).color,
    );
  });
});

describe('round axis tops', () => {
  it('ends an axis on a round step, at most six of them', () => {
    expect([0.1365, 1, 0.0527, 0.3].map(roundAxisTop)).toEqual([
      { max: 0.15, interval: 0.025 },
      { max: 1, interval: 0.2 },
      { max: 0.06, interval: 0.01 },
      { max: 0.3, interval: 0.05 },
    ]);
  });
});
