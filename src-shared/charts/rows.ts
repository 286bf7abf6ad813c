/** One row's path through the funnel as one run predicts it, beside the true probabilities when known. */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { StageRow } from '../api/contract.js';
import { STAGES, type ExternalSource, type Stage } from '../types/training.js';
import {
  cartesian,
  colorOf,
  formatSignificant,
  isAvailable,
  paletteOf,
  unavailable,
  valueLabel,
  valueOrMissing,
  type ChartOptions,
} from './common.js';

/** Each stage in words, on one line: the row chart lists them down its side, the Stages view in its headers. */
export const STAGE_LABELS: Record<Stage, string> = {
  ctr: 'P(click)',
  avr: 'P(action | click)',
  cvr: 'P(buy | click)',
  ctavr: 'P(click, action)',
  ctcvr: 'P(click, buy)',
  buyGivenAction: 'P(buy | action, click)',
  buyGivenNoAction: 'P(buy | no action, click)',
};

/** What the lab knows of an external run, in one sentence for the Runs view and the report alike. */
export function describeExternal(external: ExternalSource): string {
  const stages = (list: Stage[]) => list.map((stage) => STAGE_LABELS[stage]).join(', ');
  return [
    `${external.rows.toLocaleString('en-US')} rows imported from ${external.file}, keyed by ${external.keys.join(', ')}; the lab trained no model for it, so it has no settings or curves`,
    `stages in the file: ${stages(external.stages)}`,
    ...(external.derived.length ? [`derived by the chain rule: ${stages(external.derived)}`] : []),
    ...(external.lacks.length ? [`absent, so left out of every view: ${stages(external.lacks)}`] : []),
  ].join('; ');
}

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
  // Bars across, stages down the side: the stages' names are too long to share a narrow chart's width.
  const series: SeriesOption[] = [
    {
      name,
      type: 'bar',
      data: stages.map((s) => valueOrMissing(predicted[s])),
      itemStyle: { color: colorOf(name) },
      barMaxWidth: 18,
      label: valueLabel(({ value }) => (isAvailable(value) ? value.toFixed(3) : ''), options, true, 'right'),
    },
  ];
  if (row.truth)
    series.push({
      name: 'true probability',
      type: 'scatter',
      symbol: 'rect',
      symbolSize: [3, 24],
      data: stages.map((s, k) => [valueOrMissing(row.truth?.[s]), k]),
      itemStyle: { color: paletteOf(options).text },
      // Its item is [probability, stage]: the tooltip names the stage instead of writing its index as a number.
      tooltip: {
        formatter: (params: unknown) => {
          const [probability, stage] = (params as { value: [number, number] }).value;
          return `${STAGE_LABELS[stages[stage]]}: true probability ${formatSignificant(probability)}`;
        },
      },
      z: 10,
    });
  return cartesian(
    {
      title,
      subtitle: row.truth ? 'bars: the model; ticks: the simulator’s true probability' : undefined,
      grid: (top) => ({ top, left: 16, right: 44, bottom: 44, containLabel: true }),
      xAxis: { type: 'value', name: 'probability', nameGap: 26, min: 0, max: 1 },
      yAxis: {
        type: 'category',
        inverse: true,
        data: stages.map((s) => STAGE_LABELS[s]),
        axisTick: { show: false },
        axisLabel: { interval: 0, fontSize: 11 },
      },
      series,
    },
    options,
  );
}
