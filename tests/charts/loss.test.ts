/** The training loss chart's options (term, smoothing, log axis), its smoothing and its tooltip. */
import type { EChartsOption, SeriesOption } from 'echarts';
import { describe, expect, it } from 'vitest';
import {
  MAX_SMOOTHING,
  lossCurveChart,
  lossTermsOf,
  smoothLoss,
  type LossSeries,
} from '../../src-shared/charts/index.js';
import { renderChartSvg } from '../../src-main/report/svg.js';
import { chartInputs, crowdedInputs, overTheWire } from './fixtures.js';

type Line = SeriesOption & { data: [number, number][]; lineStyle?: { opacity?: number }; silent?: boolean };

const lines = (option: EChartsOption) => option.series as Line[];
const subtitle = (option: EChartsOption) => ((option.title as { subtext?: string }).subtext ?? '').replace(/\n/g, ' ');
const yAxis = (option: EChartsOption) => option.yAxis as Record<string, unknown>;
const tooltipAt = (option: EChartsOption, step: number) =>
  (option.tooltip as { formatter: (params: unknown) => string }).formatter([{ axisValue: step }]);

/** Four models logged at steps of their own (every 10, 25, 40 and 7 steps), each with its own terms. */
const loss: LossSeries[] = overTheWire(crowdedInputs(chartInputs(4000)).loss);

describe('smoothLoss', () => {
  it('is TensorBoard’s debiased exponential moving average', () => {
    // By hand, weight 0.5: averages 0.5·1 = 0.5, then 0.25 + 0.5·0 = 0.25; weights 0.5 and 0.75.
    expect(smoothLoss([1, 0], 0.5)).toEqual([1, 0.25 / 0.75]);
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    const weight = 0.8;
    let last = 0;
    const tensorBoard = values.map((value, k) => {
      last = last * weight + (1 - weight) * value;
      return last / (1 - weight ** (k + 1));
    });
    smoothLoss(values, weight).forEach((value, k) => expect(value).toBeCloseTo(tensorBoard[k], 12));
  });

  it('starts at the first value, keeps a constant constant and returns the values at weight 0', () => {
    expect(smoothLoss([0.7, 0.5, 0.6], 0.95)[0]).toBeCloseTo(0.7, 12);
    for (const value of smoothLoss([0.42, 0.42, 0.42, 0.42], 0.9)) expect(value).toBeCloseTo(0.42, 12);
    expect(smoothLoss([0.9, 0.1, 0.5], 0)).toEqual([0.9, 0.1, 0.5]);
  });

  it('keeps the weight within 0 to 0.99', () => {
    expect(smoothLoss([1, 0, 0], 1)).toEqual(smoothLoss([1, 0, 0], MAX_SMOOTHING));
    expect(smoothLoss([1, 0, 0], -3)).toEqual([1, 0, 0]);
    expect(smoothLoss([1, 0, 0], Number.NaN)).toEqual([1, 0, 0]);
  });
});

describe('lossCurveChart', () => {
  it('lists the terms the runs log, the total first', () => {
    expect(lossTermsOf(loss)).toEqual(['total', 'constraint', 'ctavr', 'ctcvr', 'ctr']);
    expect(lossTermsOf([{ model: 'esmc', points: [{ step: 1, loss: 0.5 }] }])).toEqual(['total']);
  });

  it('says that totals of different terms are different sums', () => {
    const text = subtitle(lossCurveChart(loss));
    expect(text).toContain('totals of different terms (esmm: no ctavr; esmc: + constraint)');
    expect(text).toContain('not one line’s height with another’s');
    const sameTerms = loss.filter((s) => s.model === 'chain' || s.model === 'esm2');
    expect(subtitle(lossCurveChart(sameTerms))).toContain('mean total loss');
    expect(subtitle(lossCurveChart(sameTerms))).not.toContain('different terms');
  });

  it('draws the total from points that carry it alone, as older callers give them', () => {
    const option = lossCurveChart([
      {
        model: 'esmc',
        points: [
          { step: 10, loss: 0.9 },
          { step: 20, loss: 0.8 },
        ],
      },
    ]);
    expect(lines(option)[0].data).toEqual([
      [10, 0.9],
      [20, 0.8],
    ]);
    expect(subtitle(option)).toContain('mean total loss');
    // Totals alone of models of different families: what each sums is not known, so not said to compare.
    const totals = loss.map((s) => ({ model: s.model, points: s.points.map((p) => ({ step: p.step, loss: p.loss })) }));
    expect(subtitle(lossCurveChart(totals))).toContain('each model’s total sums its own loss terms');
  });

  it('draws one term, leaving out and naming the models without it', () => {
    const option = lossCurveChart(loss, { term: 'ctavr' });
    expect(lines(option).map((l) => l.name)).toEqual(['chain', 'esm2', 'esmc']);
    const esmc = loss.find((s) => s.model === 'esmc')!;
    expect(lines(option)[2].data[0]).toEqual([esmc.points[0].step, esmc.points[0].losses!.ctavr]);
    expect(subtitle(option)).toContain('no ctavr term: esmm');
    expect((option.title as { text: string }).text).toBe('Training loss: ctavr term');
    expect(yAxis(option).name).toBe('ctavr');
    const none = lossCurveChart(loss, { term: 'orthogonality' });
    expect(subtitle(none)).toMatch(/Not available: no run logged a orthogonality term/);
  });

  it('smooths each line and keeps the values logged faint behind it, shown and hidden with it', () => {
    const option = lossCurveChart(loss, { smoothing: 0.9 });
    const esm2 = lines(option).filter((l) => l.name === 'esm2');
    expect(esm2).toHaveLength(2);
    const [raw, smoothed] = esm2;
    expect(raw.lineStyle?.opacity).toBeLessThan(0.5);
    expect(raw.silent).toBe(true);
    const values = raw.data.map(([, v]) => v);
    smoothLoss(values, 0.9).forEach((v, k) => expect(smoothed.data[k][1]).toBeCloseTo(v, 12));
    expect(smoothed.data.map(([step]) => step)).toEqual(raw.data.map(([step]) => step));
    expect((option.legend as { data: string[] }).data).toEqual(['esmm', 'chain', 'esm2', 'esmc']);
    expect(subtitle(option)).toContain('smoothed (TensorBoard, weight 0.9)');
    expect(lines(lossCurveChart(loss))).toHaveLength(4);
  });

  it('draws a log axis around the data, leaving out what a log axis cannot show', () => {
    const withZero: LossSeries[] = [
      ...loss,
      {
        model: 'esmg',
        points: [
          { step: 5, loss: 0 },
          { step: 10, loss: 0.3 },
        ],
      },
    ];
    const option = lossCurveChart(withZero, { logScale: true });
    const axis = yAxis(option) as { type: string; min: number; max: number };
    expect(axis.type).toBe('log');
    const values = lines(option).flatMap((l) => l.data.map(([, v]) => v));
    expect(axis.min).toBeLessThanOrEqual(Math.min(...values));
    expect(axis.max).toBeGreaterThanOrEqual(Math.max(...values));
    // No more than a 1–2–5 step beyond the data, not whole powers of ten.
    expect(axis.max).toBeLessThan(Math.max(...values) * 2.5);
    expect(lines(option).find((l) => l.name === 'esmg')!.data).toEqual([[10, 0.3]]);
    expect(subtitle(option)).toContain('values of 0 or less left out of the log axis');
    expect(yAxis(lossCurveChart(loss)).type).toBe('value');
  });

  it('tooltips every model at its own nearest step, in four significant digits', () => {
    const option = lossCurveChart(loss);
    const text = tooltipAt(option, 503);
    for (const model of ['esmm', 'chain', 'esm2', 'esmc']) expect(text).toContain(`${model}: `);
    // Each at the step it logged nearest 503: every 10, 25, 40 and 7 steps.
    for (const step of [500, 500, 520, 504]) expect(text).toContain(`at step ${step}`);
    const numbers = text.replace(/<[^>]*>/g, ' ').match(/\d+\.\d+/g)!;
    expect(numbers.length).toBe(4);
    for (const number of numbers) expect(number.replace(/^0\.0*/, '').replace('.', '').length).toBeLessThanOrEqual(4);
    const esmm = loss[0].points.find((p) => p.step === 500)!;
    expect(text).toContain(`esmm: ${Number(esmm.loss!.toPrecision(4))}`);
    const smoothed = tooltipAt(lossCurveChart(loss, { smoothing: 0.6 }), 503);
    expect(smoothed).toMatch(/esmc: \d\.\d{1,4} \(raw \d\.\d{1,4}\)/);
  });

  it('renders to SVG for the report with every option', () => {
    const svg = renderChartSvg(lossCurveChart(loss, { term: 'ctr', smoothing: 0.8, logScale: true }), 640, 320);
    for (const text of ['Training loss: ctr term', 'esmm', 'esmc', 'ctr (log)']) expect(svg).toContain(text);
  });
});
