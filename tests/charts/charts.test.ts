import type { EChartsOption, SeriesOption } from 'echarts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageCurves, StageRow } from '../../src-shared/api/contract.js';
import {
  decompositionChart,
  deltaHistogramChart,
  epochMetricChart,
  estimateScatterChart,
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
import type { PscAnalysis, SliceFunnel } from '../../src-shared/types/index.js';
import { renderChartSvg } from '../../src-main/report/svg.js';
import { chartInputs, funnelOf, overTheWire, RUN_IDS, type ChartInputs } from './fixtures.js';

type Series = SeriesOption & { data?: unknown[]; large?: boolean };

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

function titleOf(option: EChartsOption): { text: string; subtext: string } {
  const title = (Array.isArray(option.title) ? option.title[0] : option.title) as { text?: string; subtext?: string };
  return { text: title?.text ?? '', subtext: title?.subtext ?? '' };
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
    expectRendered(option, ['without action', formatPercent(inputs.funnel.rates.pscShare)]);
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

  it('shows CTR, CVR and PSC share per slice value, missing shares as gaps', () => {
    const slices: SliceFunnel[] = ['1', '2', '3'].map((value) => ({
      column: 'device',
      value,
      funnel: funnelOf(inputs.labels),
    }));
    slices[1] = { ...slices[1], funnel: { ...slices[1].funnel, rates: { ...slices[1].funnel.rates, pscShare: null } } };
    slices.push({ column: 'hour', value: '7', funnel: funnelOf(inputs.labels) });
    const option = sliceFunnelChart(slices, 'device');
    for (const name of ['CTR', 'CVR', 'PSC share']) expect(series(option, name).data).toHaveLength(3);
    expect(series(option, 'PSC share').data![1]).toBe('-');
    expect(series(option, 'CVR').data![0]).toBeCloseTo(inputs.funnel.rates.cvr!, 12);
    expectRendered(option, ['CTR', 'CVR', 'PSC share']);
    expect(titleOf(sliceFunnelChart(slices, 'position')).subtext).toMatch(/Not available/);
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
    expectRendered(option, ['ECE (10 bins)', 'chain', 'esm2', 'esmc']);
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
    expect(axisOf(option, 'xAxis').name).toBe('pAVR·P(buy|action) (chained, esm2)');
    expect(axisOf(option, 'yAxis').name).toBe('pCVR (constrained, esmc)');
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

  it('draws the empirical gap per slice with intervals and each model’s implied gap', () => {
    const field = analysis.slices[0];
    const option = sliceGapChart(field);
    const empirical = series(option, 'empirical gap').data as number[];
    expect(empirical).toHaveLength(field.slices.length);
    expect(empirical[0]).toBe((field.slices[0].empiricalGap as { estimate: number }).estimate);
    expect(series(option, 'empirical 95% interval').data).toHaveLength(field.slices.length);
    expect(series(option, 'esm2').data).toHaveLength(field.slices.length);
    expect(series(option, 'chain').data).toEqual(field.slices.map(() => 0));
    expect(option.series as { name: string }[]).not.toContainEqual(expect.objectContaining({ name: 'esmc' }));
    expectRendered(option, ['empirical gap', 'device']);
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
    expect(categories).toContain('pCVR\n(clicked)');
    const esmc = series(option, 'esmc').data as (number | string)[];
    expect(esmc[categories.indexOf('pCVR\n(clicked)')]).toBeCloseTo(analysis.truth!.errors.esmc.cvr.clicked.rmse, 12);
    expect(esmc[categories.indexOf('P(b|¬a,c)\n(clicked)')]).toBe('-');
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
    const truth = series(option, 'true probability').data as (number | string)[];
    expect(truth.filter((v) => v !== '-')).toHaveLength(3);
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
