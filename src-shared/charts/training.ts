/** Training curves: loss by step and a validation metric by epoch, one line per model. */
import type { EChartsOption, SeriesOption } from 'echarts';
import { METRIC_DESCRIPTIONS } from '../types/metrics.js';
import {
  cartesian,
  colorOf,
  formatCount,
  formatSignificant,
  isAvailable,
  nearestPointsTooltip,
  paletteOf,
  unavailable,
  type ChartOptions,
} from './common.js';

/** One window of training steps: its last step and its mean losses. */
export interface LossPoint {
  /** Global step (across epochs). */
  step: number;
  /** The total loss (the weighted sum of the model's terms); losses.total where only that is given. */
  loss?: number;
  /**
   * Every loss term by name (ctr, ctavr, ctcvr, cvr, constraint…) and the total under 'total', as
   * TrainResult.curve and the `step` events carry them. Without it, only the total can be drawn.
   */
  losses?: Record<string, number>;
}

export interface LossSeries {
  model: string;
  points: LossPoint[];
}

export interface EpochMetricSeries {
  model: string;
  points: { epoch: number; value: number | null }[];
}

/** The term every model has: the weighted sum of its own terms. */
export const TOTAL_LOSS = 'total';

export interface LossChartOptions extends ChartOptions {
  /** 'total' (default) or one loss term by name; lossTermsOf lists those the series have. */
  term?: string;
  /**
   * TensorBoard's smoothing weight, 0 (none, the default) to 0.99: each point is the exponential moving average
   * of those before it, debiased so the first points are not pulled toward 0. The raw line stays, faint, behind.
   */
  smoothing?: number;
  /** A log y axis: late, small improvements stay visible beside the first steps' large losses. */
  logScale?: boolean;
}

/** The most smoothing offered: at 0.99 each point already averages some hundred before it. */
export const MAX_SMOOTHING = 0.99;

/** A point's value of `term`; undefined where the point does not have it. */
function termOf(point: LossPoint, term: string): number | undefined {
  return term === TOTAL_LOSS ? (point.loss ?? point.losses?.[TOTAL_LOSS]) : point.losses?.[term];
}

/** The terms a series logs, the total left out; empty when its points carry the total alone. */
function termsOf(series: LossSeries): string[] {
  const names = new Set<string>();
  for (const point of series.points)
    for (const name of Object.keys(point.losses ?? {})) if (name !== TOTAL_LOSS) names.add(name);
  return [...names].sort();
}

/** What the loss chart can show for these series: 'total' first, then every term any of them logs. */
export function lossTermsOf(series: LossSeries[]): string[] {
  return [TOTAL_LOSS, ...[...new Set(series.flatMap(termsOf))].sort()];
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` on the past, divided by
 * 1 − weight^n (the weight its n points carry), so that the first points are averages rather than shrunk toward
 * the 0 the average starts from. Weight 0 returns the values; the weight is kept within [0, MAX_SMOOTHING].
 */
export function smoothLoss(values: number[], weight: number): number[] {
  const w = Math.min(MAX_SMOOTHING, Math.max(0, Number.isFinite(weight) ? weight : 0));
  let average = 0;
  let carried = 0;
  return values.map((value) => {
    average = average * w + (1 - w) * value;
    carried = carried * w + (1 - w);
    return average / carried;
  });
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

interface LossLine {
  name: string;
  raw: [number, number][];
  smoothed: [number, number][];
}

/**
 * How the models' sums differ from the terms most of them have: "esmm: no ctavr", "esmc: + constraint". Empty when
 * they all sum the same terms, or when the points carry the totals alone (nothing is known of their terms).
 */
function termDifferences(series: LossSeries[]): string[] {
  const logged = series.map((s) => ({ model: s.model, terms: termsOf(s) })).filter((s) => s.terms.length > 0);
  const counts = new Map<string, number>();
  for (const { terms } of logged) counts.set(terms.join(' '), (counts.get(terms.join(' ')) ?? 0) + 1);
  if (counts.size < 2) return [];
  const common = [...counts].sort((a, b) => b[1] - a[1])[0][0].split(' ');
  return logged
    .filter(({ terms }) => terms.join(' ') !== common.join(' '))
    .map(({ model, terms }) => {
      const missing = common.filter((t) => !terms.includes(t)).map((t) => `no ${t}`);
      const extra = terms.filter((t) => !common.includes(t)).map((t) => `+ ${t}`);
      return `${model}: ${[...missing, ...extra].join(', ')}`;
    });
}

/** The subtitle: what the line is, and what it is not comparable with. */
function lossSubtitle(series: LossSeries[], term: string, left: string[], smoothing: number, dropped: boolean): string {
  const notes: string[] = [];
  const drawn = series.filter((s) => s.points.some((p) => isAvailable(termOf(p, term))));
  if (term === TOTAL_LOSS) {
    const differences = termDifferences(drawn);
    // Totals alone do not say what they sum: models of different families may sum different terms.
    const unknownSums =
      drawn.every((s) => termsOf(s).length === 0) && new Set(drawn.map((s) => s.model.split(' ')[0])).size > 1;
    if (differences.length > 0)
      notes.push(
        `totals of different terms (${differences.join('; ')}): compare how each line falls, not one line’s height with another’s`,
      );
    else if (unknownSums)
      notes.push(
        'each model’s total sums its own loss terms: compare how each line falls, not one line’s height with another’s',
      );
    else notes.push('mean total loss (weighted sum of the loss terms) over windows of steps');
  } else notes.push(`mean ${term} loss term, before its weight, over windows of steps`);
  if (left.length > 0) notes.push(`no ${term} term: ${left.join(', ')}`);
  if (smoothing > 0) notes.push(`smoothed (TensorBoard, weight ${smoothing}); faint: the values logged`);
  if (dropped) notes.push('values of 0 or less left out of the log axis');
  return notes.join('; ');
}

/**
 * Loss by global step, one line per model: the total or one term (`term`), smoothed or not, on a linear or log
 * axis. Totals of models with different terms are different sums; the subtitle says so when they are drawn
 * together. Models without the term asked for are left out and named.
 */
export function lossCurveChart(series: LossSeries[], options: LossChartOptions = {}): EChartsOption {
  const term = options.term ?? TOTAL_LOSS;
  const smoothing = Math.min(MAX_SMOOTHING, Math.max(0, options.smoothing ?? 0));
  const logScale = options.logScale ?? false;
  const title = term === TOTAL_LOSS ? 'Training loss' : `Training loss: ${term} term`;
  let dropped = false;
  const lines: LossLine[] = [];
  const left: string[] = [];
  for (const s of series) {
    const raw: [number, number][] = [];
    for (const point of s.points) {
      const value = termOf(point, term);
      if (!isAvailable(value) || !isAvailable(point.step)) continue;
      if (logScale && value <= 0) dropped = true;
      else raw.push([point.step, value]);
    }
    if (raw.length === 0) {
      if (s.points.length > 0 && term !== TOTAL_LOSS) left.push(s.model);
      continue;
    }
    raw.sort((a, b) => a[0] - b[0]);
    const smoothed = smoothLoss(
      raw.map(([, value]) => value),
      smoothing,
    ).map((value, k): [number, number] => [raw[k][0], value]);
    lines.push({ name: s.model, raw, smoothed });
  }
  if (lines.length === 0)
    return unavailable(title, term === TOTAL_LOSS ? 'no loss was recorded' : `no run logged a ${term} term`, options);
  const drawn = lines.flatMap((l): SeriesOption[] =>
    smoothing > 0
      ? [
          // The same name as its smoothed line: the legend shows and hides the two together.
          {
            ...line(l.name, l.raw, false),
            lineStyle: { color: colorOf(l.name), width: 1, opacity: 0.25 },
            silent: true,
          },
          { ...line(l.name, l.smoothed, false), z: 3 },
        ]
      : [line(l.name, l.raw, false)],
  );
  return cartesian(
    {
      title,
      subtitle: lossSubtitle(series, term, left, smoothing, dropped),
      legend: lines.map((l) => l.name),
      tooltip: nearestPointsTooltip(
        lines.map((l) => ({ name: l.name, points: l.raw })),
        (step) => `step ${formatCount(step)}`,
        (k, index) => {
          const [step, raw] = lines[k].raw[index];
          const value =
            smoothing > 0
              ? `${formatSignificant(lines[k].smoothed[index][1])} (raw ${formatSignificant(raw)})`
              : formatSignificant(raw);
          return `${value} <span style="opacity:0.7">at step ${formatCount(step)}</span>`;
        },
      ),
      xAxis: { type: 'value', name: 'step', nameGap: 28, min: 'dataMin' },
      yAxis: logScale
        ? {
            type: 'log',
            name: term === TOTAL_LOSS ? 'loss (log)' : `${term} (log)`,
            nameGap: 48,
            ...logExtent(lines),
            axisLabel: { formatter: (value: number) => formatSignificant(value, 2) },
            // ECharts puts a log axis' ticks at powers of ten only: the minor lines at 2…9 give the scale between.
            minorTick: { show: true },
            minorSplitLine: { show: true, lineStyle: { color: paletteOf(options).grid, opacity: 0.5 } },
          }
        : { type: 'value', name: term === TOTAL_LOSS ? 'loss' : term, nameGap: 48, scale: true },
      series: drawn,
    },
    options,
  );
}

/**
 * A log axis from the 1–2–5 step below the smallest value to the one above the largest: ECharts' own extent
 * runs to whole powers of ten, which flattens losses between 0.3 and 0.7 into a sliver.
 */
function logExtent(lines: LossLine[]): { min: number; max: number } {
  let smallest = Infinity;
  let largest = 0;
  for (const l of lines)
    for (const [, value] of l.raw) {
      smallest = Math.min(smallest, value);
      largest = Math.max(largest, value);
    }
  const steps = [1, 2, 5, 10];
  const power = (value: number) => 10 ** Math.floor(Math.log10(value));
  const below = power(smallest) * [...steps].reverse().find((s) => s * power(smallest) <= smallest)!;
  const above = power(largest) * steps.find((s) => s * power(largest) >= largest)!;
  return { min: below, max: above > below ? above : below * 10 };
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
