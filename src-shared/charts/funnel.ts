/** The dataset's funnel, whole and per slice of a categorical column. */
import type { EChartsOption } from 'echarts';
import type { Funnel, SliceFunnel } from '../types/data.js';
import {
  cartesian,
  colorOf,
  formatCount,
  formatPercent,
  isAvailable,
  unavailable,
  valueLabel,
  valueOrMissing,
  type ChartOptions,
} from './common.js';

const FUNNEL_STEPS = ['Exposures', 'Clicks', 'In-shop actions', 'Purchases', 'Purchases\nwithout action'] as const;

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
  const rateLabels = [
    '',
    `CTR ${formatPercent(rates.ctr)}`,
    `AVR ${formatPercent(rates.avr)}`,
    `CVR ${formatPercent(rates.cvr)}`,
    `PSC share ${formatPercent(rates.pscShare)}`,
  ];
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
      xAxis: { type: 'category', data: [...FUNNEL_STEPS], axisLabel: { interval: 0 } },
      yAxis: { type: logScale ? 'log' : 'value', name: 'rows', nameGap: 48, min: logScale ? 1 : 0 },
      series: [
        {
          name: 'rows',
          type: 'bar',
          data: values.map((value, k) => ({
            value,
            itemStyle: { color: k === 4 ? colorOf('esm2') : colorOf('esmc') },
            label: valueLabel(
              rateLabels[k] ? `${formatCount(value)}\n${rateLabels[k]}` : formatCount(value),
              isAvailable(value),
            ),
          })),
          barMaxWidth: 56,
        },
      ],
    },
    options,
  );
}

/**
 * CTR, CVR and the PSC share per value of one categorical column (the profile keeps its most frequent values),
 * so a slice where purchases skip the action stands out.
 */
export function sliceFunnelChart(slices: SliceFunnel[], column: string, options: ChartOptions = {}): EChartsOption {
  const mine = slices.filter((s) => s.column === column);
  const title = `Funnel rates by ${column}`;
  if (mine.length === 0) return unavailable(title, `the profile has no slices of "${column}"`, options);
  const rate = (name: string, key: 'ctr' | 'cvr' | 'pscShare', color: string) => ({
    name,
    type: 'bar' as const,
    data: mine.map((s) => valueOrMissing(s.funnel.rates[key])),
    itemStyle: { color },
  });
  const noAction = mine.every((s) => s.funnel.rates.pscShare === null);
  return cartesian(
    {
      title,
      subtitle: noAction ? 'PSC share not available without an in-shop action label' : undefined,
      tooltip: { trigger: 'axis' },
      xAxis: {
        type: 'category',
        name: column,
        nameGap: 30,
        data: mine.map((s) => `${s.value} (${formatCount(s.funnel.counts.exposures)})`),
        axisLabel: { interval: 0, rotate: mine.length > 6 ? 30 : 0 },
      },
      yAxis: { type: 'value', name: 'rate', nameGap: 44, axisLabel: { formatter: (v: number) => formatPercent(v, 0) } },
      series: [
        rate('CTR', 'ctr', '#8c959f'),
        rate('CVR', 'cvr', colorOf('esmc')),
        rate('PSC share', 'pscShare', colorOf('esm2')),
      ],
    },
    options,
  );
}
