/** The dataset's funnel, whole and per slice of a categorical column. */
import type { EChartsOption, SeriesOption } from 'echarts';
import { wilsonInterval } from '../stats.js';
import type { Funnel, FunnelCounts, SliceFunnel } from '../types/data.js';
import {
  cartesian,
  colorOf,
  errorBars,
  escapeHtml,
  formatCompactCount,
  formatCount,
  formatPercent,
  isAvailable,
  paletteOf,
  rateAxisMax,
  shorten,
  textWidth,
  unavailable,
  valueLabel,
  valueOrMissing,
  type ChartOptions,
} from './common.js';

/** Two short lines at most: five steps share the narrowest chart's plot, some 65 px each. */
const FUNNEL_STEPS = ['Exposures', 'Clicks', 'In-shop\nactions', 'Purchases', 'Purchases,\nno action'] as const;
const STEP_LABEL_SIZE = 11;
const VALUE_LABEL_LINE = 13;
const VALUE_LABEL_DISTANCE = 5;

/**
 * Row counts along exposure → click → in-shop action → purchase, with the purchases made without an action (the
 * ones the chain rule cannot explain) as their own bar. A log axis keeps purchases readable beside exposures;
 * without an action label those two bars are missing, not 0.
 */
export function funnelChart(funnel: Funnel, options: ChartOptions = {}): EChartsOption {
  const { counts, rates } = funnel;
  const values = [counts.exposures, counts.clicks, counts.actions, counts.purchases, counts.purchasesWithoutAction].map(
    valueOrMissing,
  );
  const available = values.filter(isAvailable);
  const logScale = available.length > 0 && available.every((v) => v > 0);
  // Each label as narrow as its bar: the PSC share's name and value take a line each.
  const rateLabels = [
    '',
    `CTR ${formatPercent(rates.ctr)}`,
    `AVR ${formatPercent(rates.avr)}`,
    `CVR ${formatPercent(rates.cvr)}`,
    `PSC share\n${formatPercent(rates.pscShare)}`,
  ];
  const labels = values.map((value, k) =>
    rateLabels[k] ? `${formatCount(value)}\n${rateLabels[k]}` : formatCount(value),
  );
  // A bar as tall as the axis puts its label above the plot: room for the tallest labels of the taller bars.
  const largest = Math.max(0, ...available);
  const labelRoom = Math.max(
    0,
    ...values.map((value, k) =>
      isAvailable(value) && value >= largest / 2
        ? labels[k].split('\n').length * VALUE_LABEL_LINE + VALUE_LABEL_DISTANCE
        : 0,
    ),
  );
  const subtitle = isAvailable(rates.pscShare)
    ? `PSC share P(no action | purchase, click) = ${formatPercent(rates.pscShare)}`
    : counts.actions === null
      ? 'No in-shop action label: actions and the PSC share are not available'
      : 'PSC share not available (no clicked purchases)';
  return cartesian(
    {
      title: `Funnel: ${formatCount(counts.exposures)} exposures`,
      subtitle,
      legend: false,
      roomAbovePlot: labelRoom,
      tooltipValue: formatCount,
      xAxis: {
        type: 'category',
        data: [...FUNNEL_STEPS],
        axisLabel: { interval: 0, fontSize: STEP_LABEL_SIZE },
      },
      yAxis: { type: logScale ? 'log' : 'value', name: 'rows', nameGap: 48, min: logScale ? 1 : 0 },
      series: [
        {
          name: 'rows',
          type: 'bar',
          data: values.map((value, k) => ({
            value,
            itemStyle: { color: k === 4 ? colorOf('esm2') : colorOf('esmc') },
            label: { ...valueLabel(labels[k], options, isAvailable(value)), distance: VALUE_LABEL_DISTANCE },
          })),
          barMaxWidth: 56,
        },
      ],
    },
    options,
  );
}

/** One rate of the slice chart: its count pair and what the counts are called. */
interface SliceRate {
  name: string;
  color: string;
  /** [successes, trials]; null where the data has no such count. */
  counts: (c: FunnelCounts) => [number | null, number | null];
  successes: string;
  trials: string;
  definition: string;
}

const SLICE_RATES: SliceRate[] = [
  {
    name: 'CTR',
    color: '#8c959f',
    counts: (c) => [c.clicks, c.exposures],
    successes: 'clicks',
    trials: 'rows',
    definition: 'clicks / rows',
  },
  {
    name: 'CVR',
    color: colorOf('esmc'),
    counts: (c) => [c.purchases, c.clicks],
    successes: 'purchases',
    trials: 'clicks',
    definition: 'purchases / clicks',
  },
  {
    name: 'PSC share',
    color: colorOf('esm2'),
    counts: (c) => [c.purchasesWithoutAction, c.purchases],
    successes: 'without an in-shop action',
    trials: 'purchases',
    definition: 'purchases without an in-shop action / purchases',
  },
];

/** What the chart's panels are: each rate on its own scale; a rate the data cannot have is left out, with why. */
function sliceRates(slices: SliceFunnel[]): { rates: SliceRate[]; notes: string[] } {
  const notes: string[] = [];
  const rates = SLICE_RATES.filter((rate) => {
    if (rate.name === 'CTR' && slices.every((s) => s.funnel.counts.clicks === s.funnel.counts.exposures)) {
      notes.push('CTR left out: every row is a click');
      return false;
    }
    if (rate.name === 'PSC share' && slices.every((s) => s.funnel.counts.purchasesWithoutAction === null)) {
      notes.push('PSC share left out: no in-shop action label');
      return false;
    }
    if (rate.name === 'PSC share' && slices.every((s) => !(s.funnel.counts.purchases > 0))) {
      notes.push('PSC share left out: no clicked purchase');
      return false;
    }
    return true;
  });
  return { rates, notes };
}

/** Two lines, so the names take little of a narrow chart: "iPhone" / "40.0k rows", "other (37 values)" / "4.1k rows". */
function sliceLabel(slice: SliceFunnel): string {
  const size = `${formatCompactCount(slice.funnel.counts.exposures)} rows`;
  if (!slice.isOther) return `${shorten(slice.value, 14)}\n${size}`;
  const values = slice.distinctValues;
  return isAvailable(values)
    ? `other (${formatCount(values)} value${values === 1 ? '' : 's'})\n${size}`
    : `other\n${size}`;
}

/**
 * CTR, CVR and the PSC share per value of one categorical column, each in its own panel on its own scale (a 2%
 * CVR stays readable beside a 100% CTR), each bar with its Wilson 95% interval and its counts beside it
 * (successes/trials; exact in the tooltip). The kept values come by rows, "other" (every value the profile did
 * not keep, with its number of values) last. A rate the data cannot have is left out with a note, never drawn
 * as 0 or 100%. Profiles stored before "other" existed chart the same, without it.
 */
export function sliceFunnelChart(slices: SliceFunnel[], column: string, options: ChartOptions = {}): EChartsOption {
  const mine = slices
    .filter((s) => s.column === column)
    .map((slice, k) => ({ slice, k }))
    .sort((a, b) => Number(!!a.slice.isOther) - Number(!!b.slice.isOther) || a.k - b.k)
    .map(({ slice }) => slice);
  const title = `Funnel rates by ${column}`;
  if (mine.length === 0) return unavailable(title, `the profile has no slices of "${column}"`, options);
  const { rates, notes } = sliceRates(mine);
  const palette = paletteOf(options);
  const categories = mine.map(sliceLabel);
  const panels = rates.map((rate) => {
    const pairs = mine.map((s) => rate.counts(s.funnel.counts));
    const values = pairs.map(([k, n]) => (isAvailable(k) && isAvailable(n) && n > 0 ? k / n : null));
    const intervals = pairs.map(([k, n]) => (isAvailable(k) && isAvailable(n) && n > 0 ? wilsonInterval(k, n) : null));
    const countLabels = pairs.map(([k, n]) =>
      isAvailable(n) && n > 0 ? `${formatCompactCount(k)}/${formatCompactCount(n)}` : `0 ${rate.trials}`,
    );
    const tooltips = mine.map((s, i) => {
      const [k, n] = pairs[i];
      const name = s.isOther ? `other (${formatCount(s.distinctValues)} values)` : s.value;
      const head = `<b>${escapeHtml(name)}</b>, ${formatCount(s.funnel.counts.exposures)} rows<br/>${rate.name} = ${rate.definition}:`;
      if (values[i] === null) return `${head} not available (${formatCount(n ?? 0)} ${rate.trials})`;
      const [low, high] = intervals[i]!;
      return (
        `${head} ${formatPercent(values[i], 2)}, 95% interval [${formatPercent(low, 2)}, ${formatPercent(high, 2)}]` +
        `<br/>${formatCount(k)} ${rate.successes} of ${formatCount(n)} ${rate.trials}`
      );
    });
    const largest = Math.max(0, ...intervals.map((ci) => (ci ? ci[1] : 0)), ...values.map((v) => v ?? 0));
    return { rate, values, intervals, countLabels, tooltips, axis: rateAxisMax(largest) };
  });
  const n = panels.length;
  if (n === 0) return unavailable(title, notes.join('; '), options);
  // Panel k's box: the slice names (first panel), its plot and its column of counts, as shares of the width.
  // containLabel fits the labels in at any width, taking what they need from the plot; shared out for a chart of
  // `nominal` px, the plots come out about equally wide from the narrowest chart (~430 px) to the PDF's 640.
  const nominal = 480;
  const labelShare = Math.min(0.4, (Math.max(...categories.map((c) => textWidth(c, 11))) + 10) / nominal);
  const countShare = panels.map((p) =>
    Math.min(0.2, (Math.max(...p.countLabels.map((c) => textWidth(c, 10))) + 8) / nominal),
  );
  const gap = 0.03;
  const used = labelShare + countShare.reduce((a, b) => a + b, 0) + gap * (n - 1);
  const plot = (0.98 - used) / n;
  const boxes: { left: number; width: number }[] = [];
  let left = 0.01;
  panels.forEach((_, k) => {
    const width = (k === 0 ? labelShare : 0) + plot + countShare[k];
    boxes.push({ left, width });
    left += width + gap;
  });
  const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
  const categoryAxis = (k: number, side: 'left' | 'right', data: string[]) => ({
    type: 'category' as const,
    gridIndex: k,
    position: side,
    inverse: true,
    data,
    axisTick: { show: false },
    axisLine: { show: side === 'left' },
    splitLine: { show: false },
    axisLabel: {
      interval: 0,
      show: side === 'right' || k === 0,
      fontSize: side === 'right' ? 10 : 11,
      lineHeight: 13,
      color: palette.subtle,
    },
  });
  const subtitle = [
    'each rate on its own scale, with its 95% interval;',
    `beside each bar: successes/trials${mine.some((s) => s.isOther) ? '; other last' : ''}`,
    ...notes,
  ].join('\n');
  return cartesian(
    {
      title,
      subtitle,
      legend: false,
      tooltip: { trigger: 'item' },
      grid: (top) =>
        boxes.map((box) => ({
          top,
          bottom: 40,
          left: percent(box.left),
          width: percent(box.width),
          containLabel: true,
        })),
      xAxis: panels.map((p, k) => ({
        type: 'value' as const,
        gridIndex: k,
        name: p.rate.name,
        nameGap: 22,
        nameTextStyle: { color: palette.text, fontSize: 12, fontWeight: 'bold' as const },
        min: 0,
        max: p.axis.max,
        interval: p.axis.max / 2,
        axisLabel: { formatter: (v: number) => formatPercent(v, p.axis.digits), fontSize: 10, hideOverlap: true },
      })),
      yAxis: panels.flatMap((p, k) => [categoryAxis(k, 'left', categories), categoryAxis(k, 'right', p.countLabels)]),
      series: panels.flatMap((p, k): SeriesOption[] => {
        const tooltip = { formatter: (params: { dataIndex: number }) => p.tooltips[params.dataIndex] };
        const intervals = p.intervals
          .map((ci, i) => (ci ? ([i, ci[0], ci[1]] as [number, number, number]) : null))
          .filter((item): item is [number, number, number] => item !== null);
        return [
          {
            name: p.rate.name,
            type: 'bar',
            xAxisIndex: k,
            yAxisIndex: 2 * k,
            data: p.values.map(valueOrMissing),
            itemStyle: { color: p.rate.color, opacity: 0.85 },
            barMaxWidth: 22,
            tooltip,
          },
          {
            ...errorBars(`${p.rate.name} 95% interval`, intervals, palette.text, 'horizontal'),
            xAxisIndex: k,
            yAxisIndex: 2 * k,
            tooltip: { formatter: (params: { dataIndex: number }) => p.tooltips[intervals[params.dataIndex][0]] },
          },
        ];
      }),
    },
    options,
  );
}
