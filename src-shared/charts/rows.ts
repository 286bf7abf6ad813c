/** One row's path through the funnel as one run predicts it, beside the true probabilities when known. */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { StageRow } from '../api/contract.js';
import { STAGES, type Stage } from '../types/training.js';
import {
  cartesian,
  colorOf,
  isAvailable,
  paletteOf,
  unavailable,
  valueLabel,
  valueOrMissing,
  type ChartOptions,
} from './common.js';

export const STAGE_LABELS: Record<Stage, string> = {
  ctr: 'P(click)',
  avr: 'P(action\n| click)',
  cvr: 'P(buy\n| click)',
  ctavr: 'P(click,\naction)',
  ctcvr: 'P(click,\nbuy)',
  buyGivenAction: 'P(buy | action,\nclick)',
  buyGivenNoAction: 'P(buy | no\naction, click)',
};

export interface RowChartOptions extends ChartOptions {
  /** The series' name; default the run id (the row only knows runs by id). */
  label?: string;
}

function outcome(row: StageRow): string {
  const { click, action, purchase } = row.labels;
  const actionText = action === null ? 'no action label' : action ? 'in-shop action' : 'no action';
  return `${click ? 'clicked' : 'not clicked'}, ${actionText}, ${purchase ? 'purchased' : 'no purchase'}`;
}

export function rowPathChart(row: StageRow, runId: string, options: RowChartOptions = {}): EChartsOption {
  const title = `Row ${row.rowId}: ${outcome(row)}`;
  const predicted = row.stages[runId];
  if (!predicted) return unavailable(title, `run ${runId} has no prediction for this row`, options);
  const stages = STAGES.filter((s) => isAvailable(predicted[s]) || isAvailable(row.truth?.[s]));
  const name = options.label ?? runId;
  const series: SeriesOption[] = [
    {
      name,
      type: 'bar',
      data: stages.map((s) => valueOrMissing(predicted[s])),
      itemStyle: { color: colorOf(name) },
      barMaxWidth: 40,
      label: valueLabel(({ value }) => (isAvailable(value) ? value.toFixed(3) : '')),
    },
  ];
  if (row.truth)
    series.push({
      name: 'true probability',
      type: 'scatter',
      symbol: 'rect',
      symbolSize: [28, 3],
      data: stages.map((s) => valueOrMissing(row.truth?.[s])),
      itemStyle: { color: paletteOf(options).text },
      z: 10,
    });
  return cartesian(
    {
      title,
      subtitle: row.truth ? 'bars: the model; dashes: the simulator’s true probability' : undefined,
      xAxis: { type: 'category', data: stages.map((s) => STAGE_LABELS[s]), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', name: 'probability', nameGap: 44, min: 0, max: 1 },
      series,
    },
    options,
  );
}
