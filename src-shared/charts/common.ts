/**
 * What every chart builder shares: the frame (theme, title, legend, tooltip), one colour per model wherever it
 * appears, the "not available" rule for numbers, and number formats. Pure functions over plain data, so the
 * renderer (vue-echarts) and the PDF (ECharts server-side SVG) draw the very same option.
 */
import type { CustomSeriesOption, CustomSeriesRenderItem, EChartsOption, SeriesOption } from 'echarts';

export interface ChartOptions {
  theme?: 'light' | 'dark';
  /** Off for the PDF (server-side rendering draws one frame) and for tests. Default on. */
  animation?: boolean;
}

/** A number the engine could compute. NaN becomes null on the wire; both mean "not available", never 0. */
export function isAvailable(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The largest coordinate of many points (a spread into Math.max overflows the stack at ~100k values). */
export function largestOf(points: [number, number][]): number {
  let largest = -Infinity;
  for (const [x, y] of points) largest = Math.max(largest, x, y);
  return largest;
}

/** ECharts' marker for a missing value: a gap in a line, no bar, no point. */
export const MISSING = '-';

export function valueOrMissing(value: unknown): number | typeof MISSING {
  return isAvailable(value) ? value : MISSING;
}

const MODEL_COLORS: Record<string, string> = {
  naive: '#7f8c8d',
  esmm: '#8e5ea2',
  chain: '#d9822b',
  esm2: '#c0392b',
  esmc: '#2f6fb0',
  esms: '#3b9c5a',
  esmg: '#16a5a5',
  truth: '#222222',
  empirical: '#555555',
};
const FALLBACK_COLORS = ['#b5a13a', '#e377c2', '#17becf', '#9c6b4e', '#4e79a7', '#f28e2b'];

/** The same model has the same colour in every chart, on screen and in the PDF; unknown names hash to one. */
export function colorOf(name: string): string {
  const base = name.split(' ')[0];
  if (MODEL_COLORS[base]) return MODEL_COLORS[base];
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length];
}

/**
 * Series names for a list of (runId, model): the model's name, or "model (abcd1234)" (the id's start) where two
 * runs share a model, so every series stays findable by name; the same labels key the API's PSC analysis.
 */
export function runLabels(runs: { runId: string; model: string }[]): Map<string, string> {
  const runsPerModel = new Map<string, Set<string>>();
  for (const { runId, model } of runs) runsPerModel.set(model, (runsPerModel.get(model) ?? new Set()).add(runId));
  return new Map(
    runs.map(({ runId, model }) => [
      runId,
      runsPerModel.get(model)!.size > 1 ? `${model} (${runId.slice(0, 8)})` : model,
    ]),
  );
}

/** Up to 4 significant digits, no exponent for ordinary probabilities; "—" when not available. */
export function formatValue(value: unknown, digits = 4): string {
  if (!isAvailable(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toFixed(0);
  if (magnitude >= 1e-4 || magnitude === 0) return value.toFixed(digits);
  return value.toExponential(2);
}

/** 0.2345 → "23.45%"; "—" when not available. */
export function formatPercent(value: unknown, digits = 2): string {
  return isAvailable(value) ? `${(value * 100).toFixed(digits)}%` : '—';
}

/** 123456 → "123,456": counts in titles and labels. */
export function formatCount(value: unknown): string {
  return isAvailable(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

interface Palette {
  text: string;
  subtle: string;
  axis: string;
  grid: string;
  reference: string;
}

const PALETTES: Record<'light' | 'dark', Palette> = {
  light: { text: '#1f2328', subtle: '#57606a', axis: '#8c959f', grid: '#e1e4e8', reference: '#6e7781' },
  dark: { text: '#e6edf3', subtle: '#9aa5b1', axis: '#6e7681', grid: '#30363d', reference: '#8b949e' },
};

export function paletteOf(options: ChartOptions = {}): Palette {
  return PALETTES[options.theme ?? 'light'];
}

export interface Frame {
  title: string;
  subtitle?: string;
  /** Series the legend lists; default every series name. */
  legend?: string[] | false;
  series: SeriesOption[];
  xAxis: EChartsOption['xAxis'];
  yAxis: EChartsOption['yAxis'];
  tooltip?: EChartsOption['tooltip'];
  /** Room for a longer subtitle or a legend with many entries. */
  top?: number;
  /** Several panels (small multiples): their grids replace the one grid, placed below `top` by the caller. */
  grid?: (top: number) => EChartsOption['grid'];
}

const LEGEND_ROW_HEIGHT = 24;
const LEGEND_ITEM_GAP = 20;

/**
 * Rows a wrapping legend takes in a chart 640 px wide (the PDF's; a wider screen needs no more), so the grid
 * starts below it: an item is its 25 px symbol, up to ~7.5 px a character of 12 px text, and the gap.
 */
function legendRows(names: string[]): number {
  const available = 640 - 80;
  let rows = names.length > 0 ? 1 : 0;
  let used = 0;
  for (const name of names) {
    const width = 30 + name.length * 7.5 + LEGEND_ITEM_GAP;
    if (used > 0 && used + width > available) {
      rows++;
      used = 0;
    }
    used += width;
  }
  return rows;
}

/** The option every cartesian builder returns: title on top, legend under it, axes named, theme applied. */
export function cartesian(frame: Frame, options: ChartOptions = {}): EChartsOption {
  const palette = paletteOf(options);
  const legendNames =
    frame.legend === false
      ? undefined
      : (frame.legend ?? frame.series.map((s) => String(s.name ?? '')).filter((n) => n !== ''));
  const legendTop = frame.subtitle ? 38 + 16 * frame.subtitle.split('\n').length : 32;
  const top = frame.top ?? legendTop + 12 + LEGEND_ROW_HEIGHT * legendRows(legendNames ?? []);
  return {
    animation: options.animation ?? true,
    backgroundColor: 'transparent',
    textStyle: { color: palette.text, fontFamily: 'DejaVu Sans, Helvetica, Arial, sans-serif' },
    title: {
      text: frame.title,
      subtext: frame.subtitle,
      left: 'center',
      textStyle: { color: palette.text, fontSize: 14, fontWeight: 'bold' },
      subtextStyle: { color: palette.subtle, fontSize: 11 },
    },
    legend: legendNames
      ? {
          data: legendNames,
          top: legendTop,
          // Wrapping, not scrolling: a printed legend cannot scroll to the series it hides.
          type: 'plain',
          itemGap: LEGEND_ITEM_GAP,
          left: 40,
          right: 40,
          textStyle: { color: palette.text },
        }
      : undefined,
    tooltip: frame.tooltip ?? { trigger: 'item' },
    grid: frame.grid ? frame.grid(top) : { top, left: 64, right: 28, bottom: 52, containLabel: true },
    xAxis: themedAxes(frame.xAxis, palette),
    yAxis: themedAxes(frame.yAxis, palette),
    series: frame.series,
  };
}

/** An empty chart that says why there is nothing to draw, so a view or the PDF never shows a blank box. */
export function unavailable(title: string, reason: string, options: ChartOptions = {}): EChartsOption {
  const palette = paletteOf(options);
  return {
    animation: options.animation ?? true,
    backgroundColor: 'transparent',
    textStyle: { color: palette.text, fontFamily: 'DejaVu Sans, Helvetica, Arial, sans-serif' },
    title: {
      text: title,
      subtext: `Not available: ${reason}`,
      left: 'center',
      top: 'middle',
      textStyle: { color: palette.text, fontSize: 14, fontWeight: 'bold' },
      subtextStyle: { color: palette.subtle, fontSize: 12 },
    },
    series: [],
  };
}

type AxisOption = Record<string, unknown>;

function themedAxes<A>(axes: A, palette: Palette): A {
  const theme = (axis: AxisOption): AxisOption => ({
    nameLocation: 'middle',
    nameTextStyle: { color: palette.text, fontSize: 12 },
    axisLine: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.subtle },
    splitLine: { lineStyle: { color: palette.grid } },
    ...axis,
  });
  if (Array.isArray(axes)) return axes.map((axis) => theme(axis as AxisOption)) as A;
  return theme((axes ?? {}) as AxisOption) as A;
}

/** The y = x line of a [0, 1] × [0, 1] chart: ROC chance, perfect calibration, chained = constrained. */
export function diagonal(name: string, options: ChartOptions, extent: [number, number] = [0, 1]): SeriesOption {
  return {
    name,
    type: 'line',
    data: [
      [extent[0], extent[0]],
      [extent[1], extent[1]],
    ],
    symbol: 'none',
    silent: true,
    lineStyle: { type: 'dashed', width: 1, color: paletteOf(options).reference },
    itemStyle: { color: paletteOf(options).reference },
    tooltip: { show: false },
  };
}

/**
 * Error bars (a 95% interval) as a custom series over [x, low, high] items, x a category index or a value;
 * horizontal bars take [y, low, high] items instead. Items whose interval is not available are left out by the
 * caller.
 */
export function errorBars(
  name: string,
  items: [number, number, number][],
  color: string,
  orientation: 'vertical' | 'horizontal' = 'vertical',
): CustomSeriesOption {
  const horizontal = orientation === 'horizontal';
  const renderItem: CustomSeriesRenderItem = (_params, api) => {
    const at = api.value(0) as number;
    const point = (value: number) => api.coord(horizontal ? [value, at] : [at, value]);
    const low = point(api.value(1) as number);
    const high = point(api.value(2) as number);
    const size = api.size ? (api.size(horizontal ? [0, 1] : [1, 0]) as number[]) : [20, 20];
    const half = Math.max(3, Math.min(8, size[horizontal ? 1 : 0] * 0.15));
    const style = { stroke: color, lineWidth: 1.5 };
    const whisker = (end: number[]) =>
      horizontal
        ? { type: 'line' as const, shape: { x1: end[0], y1: end[1] - half, x2: end[0], y2: end[1] + half }, style }
        : { type: 'line' as const, shape: { x1: end[0] - half, y1: end[1], x2: end[0] + half, y2: end[1] }, style };
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
        whisker(low),
        whisker(high),
      ],
    };
  };
  return {
    name,
    type: 'custom',
    renderItem,
    data: items,
    encode: horizontal ? { y: 0, x: [1, 2] } : { x: 0, y: [1, 2] },
    itemStyle: { color },
    z: 10,
  };
}

/** Counts that must fit beside a bar: 9,999 · 49.0k · 490k · 1.2M (tooltips have them exactly). */
export function formatCompactCount(value: unknown): string {
  if (!isAvailable(value)) return '—';
  const n = Math.round(value);
  const size = Math.abs(n);
  if (size < 10_000) return formatCount(n);
  if (size < 999_500) return `${(n / 1000).toFixed(size < 99_950 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Text from the data (slice values) inside an HTML tooltip. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A label cut to `length` characters with an ellipsis, so one long slice value cannot squeeze the plot. */
export function shorten(text: string, length = 18): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/**
 * The upper end of a rate axis that starts at 0: the smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 ×
 * 10^k) at or above `largest`, at most 1, with the digits its half and itself need as percentages.
 */
export function rateAxisMax(largest: number): { max: number; digits: number } {
  if (!(largest > 0)) return { max: 1, digits: 0 };
  const power = 10 ** Math.floor(Math.log10(largest));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= largest * (1 - 1e-9))!;
  const max = Math.min(1, step * power);
  const decimals = (percent: number) =>
    [0, 1, 2, 3].find((d) => Math.abs(Math.round(percent * 10 ** d) - percent * 10 ** d) < 1e-6) ?? 3;
  return { max, digits: Math.max(decimals(max * 100), decimals(max * 50)) };
}

/** A small value label above a bar. */
export function valueLabel(formatter: string | ((params: { value: unknown }) => string), show = true) {
  return { show, position: 'top' as const, formatter, fontSize: 10, lineHeight: 13 };
}

/** Series with many points stay fluid: drawn in one batch (`large`) and in chunks (`progressive`). */
export const LARGE_SCATTER = {
  large: true,
  largeThreshold: 2000,
  progressive: 5000,
  progressiveThreshold: 10000,
} as const;
