/** Training curves: loss by step and a validation metric by epoch, one line per model. */
import type { EChartsOption, SeriesOption } from 'echarts';
import { METRIC_DESCRIPTIONS } from '../types/metrics.js';
import { cartesian, colorOf, isAvailable, unavailable, type ChartOptions } from './common.js';

export interface LossSeries {
  model: string;
  points: { step: number; loss: number }[];
}

export interface EpochMetricSeries {
  model: string;
  points: { epoch: number; value: number | null }[];
}

/** Lines of many points (a long run logs thousands of windows) are downsampled for drawing, never for the data. */
function line(name: string, data: [number, number][], showSymbol: boolean): SeriesOption {
  return {
    name,
    type: 'line',
    data,
    showSymbol,
    symbolSize: 5,
    sampling: 'lttb',
    progressive: 5000,
    itemStyle: { color: colorOf(name) },
    lineStyle: { color: colorOf(name), width: 1.5 },
  };
}

export function lossCurveChart(series: LossSeries[], options: ChartOptions = {}): EChartsOption {
  const title = 'Training loss';
  const lines = series
    .map((s) => ({ name: s.model, data: s.points.filter((p) => isAvailable(p.loss) && isAvailable(p.step)) }))
    .filter((s) => s.data.length > 0);
  if (lines.length === 0) return unavailable(title, 'no loss was recorded', options);
  return cartesian(
    {
      title,
      subtitle: 'mean total loss (weighted sum of the loss terms) over windows of steps',
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'step', nameGap: 28, min: 'dataMin' },
      yAxis: { type: 'value', name: 'loss', nameGap: 48, scale: true },
      series: lines.map((s) =>
        line(
          s.name,
          s.data.map((p): [number, number] => [p.step, p.loss]),
          false,
        ),
      ),
    },
    options,
  );
}

export function epochMetricChart(
  series: EpochMetricSeries[],
  metric: string,
  options: ChartOptions = {},
): EChartsOption {
  const title = `Validation ${metric} by epoch`;
  const lines = series
    .map((s) => ({ name: s.model, data: s.points.filter((p) => isAvailable(p.value) && isAvailable(p.epoch)) }))
    .filter((s) => s.data.length > 0);
  if (lines.length === 0) return unavailable(title, `no epoch has a ${metric}`, options);
  return cartesian(
    {
      title,
      subtitle: METRIC_DESCRIPTIONS[metric],
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'epoch', nameGap: 28, minInterval: 1 },
      yAxis: { type: 'value', name: metric, nameGap: 52, scale: true },
      series: lines.map((s) =>
        line(
          s.name,
          s.data.map((p): [number, number] => [p.epoch, p.value as number]),
          true,
        ),
      ),
    },
    options,
  );
}
