/** The Probability Space Confusion charts: chained vs constrained estimates, Δ, per-slice gaps, decomposition, truth. */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { EstimatePair, PscAnalysis, Proportion, SliceGap } from '../types/psc.js';
import {
  LARGE_SCATTER,
  cartesian,
  categoryLabels,
  colorOf,
  diagonal,
  errorBars,
  escapeHtml,
  formatCompactCount,
  formatCount,
  formatPercent,
  formatSignificant,
  formatValue,
  isAvailable,
  largestOf,
  paletteOf,
  shorten,
  unavailable,
  valueOrMissing,
  type ChartOptions,
} from './common.js';

/** What an axis-triggered tooltip's formatter gets for each series. */
interface AxisTooltipItem {
  dataIndex: number;
  seriesName: string;
  marker: string;
  value: unknown;
}

/** A difference of probabilities in percentage points, signed: "+0.63 points". */
function formatPoints(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${(Math.abs(value) * 100).toFixed(2)} points`;
}

/** Axis names that say which estimate each axis is and which model made it. */
export function chainedLabel(model: string): string {
  return `${model}: pCVR of the full chain (chained)`;
}
export function constrainedLabel(model: string): string {
  return `${model}: pCVR (constrained)`;
}

export function pairName(pair: Pick<EstimatePair, 'chained' | 'constrained'>): string {
  return `${pair.constrained} vs ${pair.chained}`;
}

/**
 * One point per sampled clicked row: the chained model's full chain against the constrained model's pCVR. Points
 * above the diagonal are rows where the constrained model puts more purchase mass than the chain.
 */
/**
 * An axis from 0 whose top is a whole number of round steps (1, 2, 2.5 or 5 × a power of ten; the smallest that
 * needs at most six): the last label is a tick like the others instead of 0.13 crowding 0.12.
 */
export function roundAxisTop(value: number): { max: number; interval: number } {
  const power = 10 ** Math.floor(Math.log10(value / 6));
  const interval = ([1, 2, 2.5, 5, 10].find((step) => Math.ceil(value / (step * power) - 1e-9) <= 6) ?? 10) * power;
  // Rounded to the step's own decimals, so 3 × 0.1 is 0.3 and not 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(interval)));
  return { max: Number((Math.ceil(value / interval - 1e-9) * interval).toFixed(decimals)), interval };
}

export function estimateScatterChart(pair: EstimatePair, options: ChartOptions = {}): EChartsOption {
  const { scatter } = pair.clicked;
  const data: [number, number][] = [];
  for (let k = 0; k < Math.min(scatter.chained.length, scatter.constrained.length); k++) {
    if (isAvailable(scatter.chained[k]) && isAvailable(scatter.constrained[k]))
      data.push([scatter.chained[k], scatter.constrained[k]]);
  }
  const title = `Chained vs constrained pCVR: ${pairName(pair)}`;
  if (data.length === 0) return unavailable(title, 'no clicked row was sampled', options);
  const { max: extent, interval } = roundAxisTop(Math.min(1, largestOf(data) * 1.05) || 1);
  return cartesian(
    {
      title,
      subtitle: `${data.length} sampled clicked rows; mean Δ = ${formatPoints(pair.clicked.mean)}, Δ > 0 on ${formatPercent(pair.clicked.positiveShare, 1)}`,
      xAxis: { type: 'value', name: chainedLabel(pair.chained), nameGap: 28, min: 0, max: extent, interval },
      yAxis: { type: 'value', name: constrainedLabel(pair.constrained), nameGap: 48, min: 0, max: extent, interval },
      series: [
        {
          name: pairName(pair),
          type: 'scatter',
          data,
          // Squares: what large mode draws anyway, and far cheaper than circles to convert for the PDF.
          symbol: 'rect',
          symbolSize: data.length > 2000 ? 2 : 3.5,
          itemStyle: { color: colorOf(pair.constrained), opacity: 0.55 },
          ...LARGE_SCATTER,
        },
        diagonal('chained = constrained', options, [0, extent]),
      ],
    },
    options,
  );
}

/** The distribution of Δ = constrained − chained on the clicked rows; bins right of 0 are where PSC mass shows. */
export function deltaHistogramChart(pair: EstimatePair, options: ChartOptions = {}): EChartsOption {
  const { histogram, mean, median, positiveShare, rows } = pair.clicked;
  const name = `Δ ${pair.constrained} − ${pair.chained}`;
  const title = `Δ = ${constrainedLabel(pair.constrained)} − ${chainedLabel(pair.chained)}`;
  if (histogram.counts.length === 0 || !(rows > 0)) return unavailable(title, 'no clicked rows', options);
  const centres = histogram.counts.map((_, k) => (histogram.edges[k] + histogram.edges[k + 1]) / 2);
  return cartesian(
    {
      title: `Δ on clicked rows: ${pair.constrained} − ${pair.chained}`,
      subtitle: `mean ${formatPoints(mean)}, median ${formatPoints(median)}, Δ > 0 on ${formatPercent(positiveShare, 1)} of ${rows} rows`,
      legend: false,
      tooltip: { trigger: 'axis' },
      tooltipValue: formatCount,
      xAxis: {
        type: 'category',
        name: 'Δ = constrained pCVR − chained model’s full chain',
        nameGap: 30,
        data: centres.map((c) => formatValue(c, 3)),
      },
      yAxis: { type: 'value', name: 'clicked rows', nameGap: 48 },
      series: [
        {
          name,
          type: 'bar',
          barCategoryGap: '5%',
          data: histogram.counts.map((count, k) => ({
            value: valueOrMissing(count),
            itemStyle: { color: centres[k] > 0 ? colorOf(pair.constrained) : colorOf(pair.chained) },
          })),
        },
      ],
    },
    options,
  );
}

function interval(p: Proportion): [number, number] | null {
  return p.available && isAvailable(p.ci95[0]) && isAvailable(p.ci95[1]) ? p.ci95 : null;
}

/** "phone (1,234 clicks)", "other (37 values, 412 clicks)". */
function gapSliceLabel(slice: SliceGap): string {
  const clicks = `${formatCompactCount(slice.clicks)} clicks`;
  if (!slice.isOther) return `${shorten(slice.value)} (${clicks})`;
  const values = slice.distinctValues;
  return `other (${formatCount(values)} value${values === 1 ? '' : 's'}, ${clicks})`;
}

/** Everything known about one slice's bar, for its tooltip. */
function gapTooltip(slice: SliceGap, models: string[]): string {
  const name = slice.isOther ? `other (${formatCount(slice.distinctValues)} values)` : slice.value;
  const lines = [`<b>${escapeHtml(name)}</b>, ${formatCount(slice.clicks)} clicks`];
  const gap = slice.empiricalGap;
  if (gap.available) {
    lines.push(
      `gap ${formatPercent(gap.estimate)}, 95% interval [${formatPercent(gap.ci95[0])}, ${formatPercent(gap.ci95[1])}]`,
      `${formatCount(gap.successes)} of ${formatCount(gap.trials)} clicks bought without an in-shop action`,
    );
    const share = slice.pscShare;
    if (share.available)
      lines.push(
        `PSC share ${formatPercent(share.estimate, 1)}: ${formatCount(share.successes)} of ${formatCount(share.trials)} purchases`,
      );
    if (isAvailable(slice.distance))
      lines.push(`${formatValue(slice.distance, 2)} standard errors from the overall gap`);
  } else lines.push(`gap not available: ${escapeHtml(gap.reason)}`);
  for (const model of models) {
    const implied = slice.models[model];
    if (implied && implied.kind !== 'none' && isAvailable(implied.value))
      lines.push(`${escapeHtml(model)}: implied gap ${formatPercent(implied.value)}`);
  }
  if (slice.note) lines.push(`<i>${escapeHtml(slice.note)}</i>`);
  return lines.join('<br/>');
}

/**
 * Per slice value: the empirical gap P(b, ¬a | c) with its 95% interval and its counts (purchases without an action
 * of clicks, beside the bar), the overall gap as a dashed line, and each model's implied gap on the same rows.
 * Slices come in the engine's order: farthest from the overall gap in standard errors first, "other" last. A slice
 * whose purchases are all of one kind (note) is drawn muted, its reason in the tooltip. Models that say nothing
 * about the action (implied gap 'none') are left out.
 */
export function sliceGapChart(sliceField: PscAnalysis['slices'][number], options: ChartOptions = {}): EChartsOption {
  const { field, slices } = sliceField;
  const title = `PSC gap P(buy, no action | click) by ${field}`;
  if (slices.length === 0) return unavailable(title, `no slice of ${field} has enough clicks`, options);
  const palette = paletteOf(options);
  const categories = slices.map(gapSliceLabel);
  const intervals = slices
    .map((s, k) => {
      const ci = interval(s.empiricalGap);
      return ci ? ([k, ci[0], ci[1]] as [number, number, number]) : null;
    })
    .filter((item): item is [number, number, number] => item !== null);
  const modelNames = [...new Set(slices.flatMap((s) => Object.keys(s.models)))].filter((model) =>
    slices.some((s) => s.models[model] && s.models[model].kind !== 'none'),
  );
  const tooltips = slices.map((s) => gapTooltip(s, modelNames));
  const tooltipOf = (params: { dataIndex: number }) => tooltips[params.dataIndex];
  const modelSeries: SeriesOption[] = modelNames.map((model) => ({
    name: model,
    type: 'scatter',
    symbol: 'circle',
    symbolSize: 9,
    itemStyle: { color: colorOf(model) },
    data: slices.map((s, k) => [valueOrMissing(s.models[model]?.value), k]),
    tooltip: { formatter: tooltipOf },
    z: 12,
  }));
  const counts = slices.map((s) =>
    s.empiricalGap.available
      ? `${formatCompactCount(s.empiricalGap.successes)}/${formatCompactCount(s.empiricalGap.trials)}`
      : `${formatCompactCount(s.clicks)} clicks`,
  );
  // The overall gap: the slices hold every clicked row ("other" included).
  const gaps = slices.map((s) => s.empiricalGap).filter((gap) => gap.available);
  const allTrials = gaps.reduce((sum, gap) => sum + gap.trials, 0);
  const overall = allTrials > 0 ? gaps.reduce((sum, gap) => sum + gap.successes, 0) / allTrials : null;
  const noAction = slices.every((s) => !s.empiricalGap.available);
  const muted = (s: SliceGap) => s.note !== undefined && s.note !== null;
  const sorted = slices.some((s) => isAvailable(s.distance));
  const subtitle = noAction
    ? [`Empirical gap not available: ${(slices[0].empiricalGap as { reason: string }).reason}`]
    : [
        'bars: empirical gap, 95% interval; right: no-action buys/clicks',
        sorted
          ? `ordered by |gap − overall| / its SE, largest first${slices.some((s) => s.isOther) ? ', other last' : ''}`
          : 'slices by clicks',
        ...(slices.some(muted) ? ['muted, in italics: no purchase, or too few (under 5) to read'] : []),
      ];
  const categoryAxis = (side: 'left' | 'right', data: string[]) => ({
    type: 'category' as const,
    position: side,
    inverse: true,
    data: data.map((value, k) => ({
      value,
      textStyle: {
        // Set back by its style, not by a colour too faint to read.
        color: muted(slices[k]) ? palette.muted : palette.subtle,
        fontStyle: muted(slices[k]) ? ('italic' as const) : ('normal' as const),
        fontSize: side === 'right' || slices.length > 8 ? 10 : 11,
      },
    })),
    axisTick: { show: false },
    axisLine: { show: side === 'left' },
    splitLine: { show: false },
    axisLabel: { interval: 0 },
  });
  return cartesian(
    {
      title,
      subtitle: subtitle.join('\n'),
      // The bars, intervals and the overall line are told in the subtitle; the legend names the models.
      legend: modelNames.length > 0 ? modelNames : false,
      // No y-axis name to make room for; room for the slice names beyond ECharts' server-side text estimate.
      grid: (top) => ({ top, left: 36, right: 24, bottom: 36, containLabel: true }),
      tooltip: { trigger: 'item' },
      xAxis: {
        type: 'value',
        name: 'P(buy, no action | click)',
        nameGap: 26,
        min: 0,
        axisLabel: { formatter: (v: number) => formatPercent(v, v > 0 && v < 0.01 ? 1 : 0), hideOverlap: true },
      },
      yAxis: [categoryAxis('left', categories), categoryAxis('right', counts)],
      series: [
        {
          name: 'empirical gap',
          type: 'bar',
          data: slices.map((s) => ({
            value: valueOrMissing(s.empiricalGap.available ? s.empiricalGap.estimate : null),
            itemStyle: muted(s)
              ? { color: palette.grid, borderColor: palette.axis, borderWidth: 1, borderType: 'dashed', opacity: 0.6 }
              : { color: palette.grid, borderColor: palette.reference, borderWidth: 1 },
          })),
          itemStyle: { color: palette.grid, borderColor: palette.reference, borderWidth: 1 },
          barMaxWidth: 22,
          tooltip: { formatter: tooltipOf },
          markLine:
            overall === null
              ? undefined
              : {
                  silent: true,
                  symbol: 'none',
                  lineStyle: { type: 'dashed', color: palette.reference, width: 1 },
                  label: {
                    formatter: `overall ${formatPercent(overall)}`,
                    position: 'start',
                    fontSize: 10,
                    color: palette.subtle,
                  },
                  data: [{ xAxis: overall }],
                },
        },
        ...(intervals.length > 0
          ? [
              {
                ...errorBars('empirical 95% interval', intervals, palette.text, 'horizontal'),
                tooltip: { formatter: (params: { dataIndex: number }) => tooltips[intervals[params.dataIndex][0]] },
              },
            ]
          : []),
        ...modelSeries,
      ],
    },
    options,
  );
}

/**
 * Each model's pCVR split into the action path P(a|c)·P(b|a,c) and the no-action path (1 − P(a|c))·P(b|¬a,c),
 * means over clicked rows, beside the truth (simulated data) and the empirical split of the labels. Every
 * model's implied gap is marked, with the [lower, upper] bound of models that have no purchase split.
 */
export function decompositionChart(analysis: PscAnalysis, options: ChartOptions = {}): EChartsOption {
  const title = 'pCVR = action path + no-action path';
  const bars: { name: string; actionPath: number | null; noActionPath: number | null }[] = [];
  for (const [model, psc] of Object.entries(analysis.models))
    if (psc.decomposition)
      bars.push({
        name: model,
        actionPath: psc.decomposition.actionPath,
        noActionPath: psc.decomposition.noActionPath,
      });
  const truth = analysis.truth?.psc.decomposition;
  if (truth) bars.push({ name: 'truth', actionPath: truth.actionPath, noActionPath: truth.noActionPath });
  const gap = analysis.empirical.gap;
  const cvr = analysis.clicks > 0 ? analysis.purchases / analysis.clicks : null;
  if (gap.available && cvr !== null)
    bars.push({ name: 'empirical', actionPath: cvr - gap.estimate, noActionPath: gap.estimate });
  if (bars.length === 0)
    return unavailable(title, 'no model has an action stage, and the data has no in-shop action label', options);
  const categories = bars.map((b) => b.name);
  const index = (name: string) => categories.indexOf(name);
  const impliedPoints = Object.entries(analysis.models)
    .filter(([, psc]) => psc.impliedGap.kind !== 'none' && isAvailable(psc.impliedGap.value))
    .map(([model, psc]) => [index(model), psc.impliedGap.value] as [number, number]);
  const palette = paletteOf(options);
  const notes = [
    gap.available
      ? `empirical gap ${formatPercent(gap.estimate)} [${formatPercent(gap.ci95[0])}, ${formatPercent(gap.ci95[1])}]`
      : `empirical gap not available: ${gap.reason}`,
  ].filter(Boolean);
  return cartesian(
    {
      title,
      subtitle: [`means over clicked rows; ${notes.join('; ')}`, ACTION_PATHS].join('\n'),
      tooltip: { trigger: 'item' },
      tooltipValue: (value) => formatPercent(value),
      xAxis: { type: 'category', data: categories, axisLabel: categoryLabels(categories) },
      yAxis: { type: 'value', name: 'pCVR', nameGap: 52 },
      series: [
        pathBars(
          'action path',
          bars.map((b) => b.actionPath),
          colorOf('esmc'),
        ),
        pathBars(
          'no-action path',
          bars.map((b) => b.noActionPath),
          colorOf('esm2'),
        ),
        {
          name: 'implied gap',
          type: 'scatter',
          symbol: 'diamond',
          symbolSize: 11,
          data: impliedPoints,
          itemStyle: { color: palette.text },
          // Its item is [bar, gap]: the tooltip names the bar instead of writing its index as a number.
          tooltip: {
            formatter: (params: unknown) => {
              const [bar, gap] = (params as { value: [number, number] }).value;
              return `${escapeHtml(categories[bar])}: implied gap ${formatPercent(gap)}`;
            },
          },
          z: 11,
        },
      ],
    },
    options,
  );
}

const ACTION_PATHS = 'action P(a|c)·P(b|a,c) + no action (1 − P(a|c))·P(b|¬a,c)';

/** One of the two stacked parts of pCVR, a bar per model. */
function pathBars(name: string, values: (number | null)[], color: string): SeriesOption {
  return { name, type: 'bar', stack: 'cvr', data: values.map(valueOrMissing), itemStyle: { color }, barMaxWidth: 56 };
}

/** The stages compared with the truth, each in the space its metric lives in (said in the subtitle). */
const TRUTH_STAGES: { key: string; label: string; space: 'exposure' | 'clicked' }[] = [
  { key: 'ctr', label: 'pCTR', space: 'exposure' },
  { key: 'avr', label: 'pAVR', space: 'clicked' },
  { key: 'cvr', label: 'pCVR', space: 'clicked' },
  { key: 'buyGivenAction', label: 'P(b|a,c)', space: 'clicked' },
  { key: 'buyGivenNoAction', label: 'P(b|¬a,c)', space: 'clicked' },
  { key: 'ctcvr', label: 'pCTCVR', space: 'exposure' },
  { key: 'pscGap', label: 'PSC gap', space: 'exposure' },
];

const SPACE_WORDS = { exposure: 'all rows', clicked: 'clicked rows' } as const;

/** RMSE of every stage against the simulator's true probability, per model; only simulated data has a truth. */
export function truthErrorChart(analysis: PscAnalysis, options: ChartOptions = {}): EChartsOption {
  const title = 'Error against the true probabilities (RMSE)';
  if (!analysis.truth)
    return unavailable(title, 'the data has no true probabilities (only simulated data does)', options);
  const errors = analysis.truth.errors;
  const stages = TRUTH_STAGES.filter((s) => Object.values(errors).some((e) => isAvailable(e[s.key]?.[s.space].rmse)));
  if (stages.length === 0) return unavailable(title, 'no model predicts a stage the truth has', options);
  const labels = stages.map((s) => s.label);
  const spaces = (space: 'exposure' | 'clicked') =>
    stages
      .filter((s) => s.space === space)
      .map((s) => s.label)
      .join(', ');
  const onAll = spaces('exposure');
  const onClicked = spaces('clicked');
  const subtitle = [
    onAll && onClicked
      ? `${onAll}: ${SPACE_WORDS.exposure}; the others: ${SPACE_WORDS.clicked}`
      : `every stage on ${onAll ? SPACE_WORDS.exposure : SPACE_WORDS.clicked}`,
    'lower is better; no bar: the model has no such stage',
  ].join('\n');
  return cartesian(
    {
      title,
      subtitle,
      tooltip: {
        trigger: 'axis',
        formatter: (params: unknown) => {
          const items = (Array.isArray(params) ? params : [params]) as AxisTooltipItem[];
          const stage = stages[items[0]?.dataIndex ?? 0];
          return [
            `<b>${escapeHtml(stage.label)}</b> on ${SPACE_WORDS[stage.space]}`,
            ...items.map(
              (item) => `${item.marker}${escapeHtml(item.seriesName)}: RMSE ${formatSignificant(item.value)}`,
            ),
          ].join('<br/>');
        },
      },
      xAxis: { type: 'category', data: labels, axisLabel: categoryLabels(labels) },
      yAxis: { type: 'value', name: 'RMSE', nameGap: 52 },
      series: Object.entries(errors).map(([model, e]): SeriesOption => ({
        name: model,
        type: 'bar',
        data: stages.map((s) => valueOrMissing(e[s.key]?.[s.space].rmse)),
        itemStyle: { color: colorOf(model) },
      })),
    },
    options,
  );
}
