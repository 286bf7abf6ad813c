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
  aitm: '#b5a13a',
  'escm2-ips': '#e377c2',
  'escm2-dr': '#9c6b4e',
  dcmt: '#4e79a7',
  truth: '#222222',
  empirical: '#555555',
};
const FALLBACK_COLORS = ['#17becf', '#f28e2b', '#76b7b2', '#edc948', '#ff9da7', '#59a14f'];

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

/**
 * Four decimals (tables line their columns up on them), no exponent for ordinary probabilities; "—" when not
 * available. Tooltips use formatSignificant, where a loss of 0.0012 must not read 0.0012 beside 0.6931.
 */
export function formatValue(value: unknown, digits = 4): string {
  if (!isAvailable(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toFixed(0);
  if (magnitude >= 1e-4 || magnitude === 0) return value.toFixed(digits);
  return value.toExponential(2);
}

/**
 * A number with `digits` significant digits (0.69314 → "0.6931", 0.0012345 → "0.001235", 1234.5 → "1,235"):
 * what a tooltip says about a value of any size; "—" when not available.
 */
export function formatSignificant(value: unknown, digits = 4): string {
  if (!isAvailable(value)) return '—';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) || magnitude >= 10 ** (digits - 1)) return formatCount(value);
  if (magnitude < 1e-4) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

/** 0.2345 → "23.45%"; "—" when not available. */
export function formatPercent(value: unknown, digits = 2): string {
  return isAvailable(value) ? `${(value * 100).toFixed(digits)}%` : '—';
}

/** 123456 → "123,456": counts in titles and labels. */
export function formatCount(value: unknown): string {
  return isAvailable(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

/**
 * The colours of a theme. Every text colour reads at WCAG AA (4.5:1 or more) on the chart's background, the
 * ChartPanel's surface (src-renderer/styles/main.css) and the PDF's white page; lines and grids need not.
 */
export interface Palette {
  /** What the chart stands on: text contrast is measured against it. */
  background: string;
  text: string;
  /** Subtitles and axis labels. */
  subtle: string;
  /** Text that is set back (a slice too small to read) but must still be read. */
  muted: string;
  axis: string;
  grid: string;
  reference: string;
  tooltip: { background: string; border: string; text: string };
}

const PALETTES: Record<'light' | 'dark', Palette> = {
  light: {
    background: '#ffffff',
    text: '#1f2328',
    subtle: '#57606a',
    muted: '#6e7781',
    axis: '#8c959f',
    grid: '#e1e4e8',
    reference: '#6e7781',
    tooltip: { background: '#ffffff', border: '#d0d7de', text: '#1f2328' },
  },
  dark: {
    background: '#161b22',
    text: '#e6edf3',
    subtle: '#9aa5b1',
    muted: '#8b949e',
    axis: '#6e7681',
    grid: '#30363d',
    reference: '#8b949e',
    tooltip: { background: '#1c232c', border: '#30363d', text: '#e6edf3' },
  },
};

export function paletteOf(options: ChartOptions = {}): Palette {
  return PALETTES[options.theme ?? 'light'];
}

/**
 * The narrowest chart the views draw: a ChartPanel in a panel in half of a 1024 px window (a third of a 1440 px
 * window, the Results view's grid, is as narrow). A builder does not know the width it is drawn at, so titles,
 * subtitles, legends and crowded axes are laid out to fit this width; wider charts and the PDF's 640 px have room
 * to spare.
 */
const NARROWEST_CHART_WIDTH = 430;

/**
 * Advance widths of DejaVu Sans (the PDF's font, and wider than Helvetica or Arial, where a screen lacks it), in
 * hundredths of an em, for the characters from ' ' to '~'; regular, then bold.
 */
const ASCII_WIDTHS = {
  regular: [
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 34, 34, 84,
    84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61,
    69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59,
    82, 59, 59, 52, 64, 34, 64, 84,
  ],
  bold: [
    35, 46, 52, 84, 70, 100, 87, 31, 46, 46, 52, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70, 70, 70, 70, 70, 40, 40, 84,
    84, 84, 58, 100, 77, 76, 73, 83, 68, 68, 82, 84, 37, 37, 77, 64, 100, 84, 85, 73, 85, 77, 72, 68, 81, 77, 110, 77,
    72, 73, 46, 37, 46, 84, 50, 50, 67, 72, 59, 72, 68, 44, 72, 71, 34, 34, 67, 34, 104, 71, 69, 72, 72, 49, 60, 48, 71,
    65, 92, 65, 65, 58, 71, 37, 71, 84,
  ],
};
/** Beyond ASCII: the narrow punctuation the builders write; Greek letters and symbols take at most 0.84 em. */
const OTHER_WIDTHS: Record<string, number> = { '·': 38, '’': 38, '–': 50, '…': 100, '—': 100 };

function characterWidth(char: string, bold: boolean): number {
  const code = char.charCodeAt(0);
  if (code >= 32 && code <= 126) return ASCII_WIDTHS[bold ? 'bold' : 'regular'][code - 32] / 100;
  if (OTHER_WIDTHS[char] !== undefined) return OTHER_WIDTHS[char] / 100;
  return code >= 0x2e80 ? 1 : 0.84;
}

/**
 * The width a line of text takes in DejaVu Sans (the widest line of several), a little generous: layouts made with
 * it leave room rather than overlap.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let widest = 0;
  for (const line of text.split('\n')) {
    let em = 0;
    for (const char of line) em += characterWidth(char, bold);
    widest = Math.max(widest, em);
  }
  return widest * fontSize * 1.04;
}

/** Text broken at spaces into lines that fit `width`; its own line breaks are kept, a word too long stays whole. */
function wrapText(text: string, fontSize: number, width: number, bold = false): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/(?<= )/)) {
      if (line !== '' && textWidth(`${line}${word}`.trimEnd(), fontSize, bold) > width) {
        lines.push(line.trimEnd());
        line = word;
      } else line += word;
    }
    lines.push(line.trimEnd());
  }
  return lines;
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
  /**
   * How the default tooltip writes a value: 4 significant digits unless the chart's values are shares
   * (formatPercent) or counts (formatCount).
   */
  tooltipValue?: (value: unknown) => string;
  /** Room between the legend and the plot for labels drawn above it (the funnel's value labels). */
  roomAbovePlot?: number;
  /** Several panels (small multiples): their grids replace the one grid, placed below `top` by the caller. */
  grid?: (top: number) => EChartsOption['grid'];
}

/**
 * Set on every text style, not only the chart's: ECharts draws with the chart-wide family but measures axis labels
 * (to fit them in the grid) with its default one, narrower than DejaVu Sans, and long labels then reach past the
 * chart's edge.
 */
const FONT_FAMILY = 'DejaVu Sans, Helvetica, Arial, sans-serif';
/** Title and subtitle: sizes, and line heights with room between lines (ECharts' default is the font size). */
const TITLE = { size: 14, lineHeight: 18 };
const SUBTITLE = { size: 11, lineHeight: 15 };
const HEADER_TOP = 6;
const TITLE_GAP = 4;
/** Text keeps this far from the chart's sides. */
const SIDE_MARGIN = 12;
const LEGEND = { size: 12, lineHeight: 16, itemWidth: 22, itemHeight: 12, gap: 14, side: 24 };
/** Multi-line axis labels: ECharts spaces lines by the font size, which puts descenders on the next line's caps. */
const AXIS_LABEL = { size: 12, lineHeight: 15 };

/**
 * The plot's width in the narrowest chart: the default grid's margins and a y axis' labels taken from it. Category
 * labels are laid out for slots of this width shared out.
 */
const NARROWEST_PLOT_WIDTH = NARROWEST_CHART_WIDTH - 64 - 28 - 40;

/**
 * The labels of a category x axis: every one shown, level where each fits its slot in the narrowest plot, tilted
 * where they do not (tilted, neighbours are a slot apart across their lines rather than along them).
 */
export function categoryLabels(labels: string[], fontSize = AXIS_LABEL.size) {
  const slot = NARROWEST_PLOT_WIDTH / Math.max(1, labels.length);
  const widest = Math.max(0, ...labels.map((label) => textWidth(label, fontSize)));
  return { interval: 0, fontSize, rotate: widest > slot - 6 ? 30 : 0 };
}

interface Header {
  title: string;
  subtitle: string | undefined;
  /** Where the title block ends, in px from the chart's top. */
  bottom: number;
}

/** Title and subtitle wrapped to the narrowest chart, and how far down they reach. */
function header(title: string, subtitle?: string): Header {
  const width = NARROWEST_CHART_WIDTH - 2 * SIDE_MARGIN;
  const titleLines = wrapText(title, TITLE.size, width, true);
  const subtitleLines = subtitle ? wrapText(subtitle, SUBTITLE.size, width) : [];
  const bottom =
    HEADER_TOP +
    titleLines.length * TITLE.lineHeight +
    (subtitleLines.length > 0 ? TITLE_GAP + subtitleLines.length * SUBTITLE.lineHeight : 0);
  return {
    title: titleLines.join('\n'),
    subtitle: subtitleLines.length ? subtitleLines.join('\n') : undefined,
    bottom,
  };
}

function titleOption(head: Header, palette: Palette, position: { top: number | string } = { top: HEADER_TOP }) {
  return {
    text: head.title,
    subtext: head.subtitle,
    left: 'center',
    ...position,
    padding: 0,
    itemGap: TITLE_GAP,
    textStyle: {
      color: palette.text,
      fontFamily: FONT_FAMILY,
      fontSize: TITLE.size,
      lineHeight: TITLE.lineHeight,
      fontWeight: 'bold' as const,
    },
    subtextStyle: {
      color: palette.subtle,
      fontFamily: FONT_FAMILY,
      fontSize: SUBTITLE.size,
      lineHeight: SUBTITLE.lineHeight,
    },
  };
}

/** Rows a wrapping legend takes in the narrowest chart, so the plot starts below its last row at any width. */
function legendRows(names: string[]): number {
  const available = NARROWEST_CHART_WIDTH - 2 * LEGEND.side;
  let rows = names.length > 0 ? 1 : 0;
  let used = 0;
  for (const name of names) {
    const width = LEGEND.itemWidth + 5 + textWidth(name, LEGEND.size) + LEGEND.gap;
    if (used > 0 && used + width - LEGEND.gap > available) {
      rows++;
      used = 0;
    }
    used += width;
  }
  return rows;
}

/** A tooltip in the theme's colours, kept inside the chart so that it never hides under the panel's edge. */
function tooltipOption(palette: Palette, tooltip: EChartsOption['tooltip'], value: (value: unknown) => string) {
  const format = (v: unknown): string => (Array.isArray(v) ? v.map(format).join(', ') : value(v));
  return {
    trigger: 'item' as const,
    confine: true,
    backgroundColor: palette.tooltip.background,
    borderColor: palette.tooltip.border,
    textStyle: { color: palette.tooltip.text, fontFamily: FONT_FAMILY, fontSize: 12 },
    valueFormatter: format,
    ...(tooltip as object),
  };
}

/** The option every cartesian builder returns: title on top, legend under it, axes named, theme applied. */
export function cartesian(frame: Frame, options: ChartOptions = {}): EChartsOption {
  const palette = paletteOf(options);
  const legendNames =
    frame.legend === false
      ? undefined
      : (frame.legend ?? [...new Set(frame.series.map((s) => String(s.name ?? '')).filter((n) => n !== ''))]);
  const head = header(frame.title, frame.subtitle);
  const legendTop = head.bottom + 8;
  const rows = legendRows(legendNames ?? []);
  const legendBottom = rows > 0 ? legendTop + rows * LEGEND.lineHeight + (rows - 1) * LEGEND.gap : head.bottom;
  // The plot's top axis label (half a line above it) and the room asked for stay clear of the legend.
  const top = Math.ceil(legendBottom + 14 + (frame.roomAbovePlot ?? 0));
  return {
    animation: options.animation ?? true,
    backgroundColor: 'transparent',
    textStyle: { color: palette.text, fontFamily: FONT_FAMILY },
    title: titleOption(head, palette),
    legend: legendNames
      ? {
          data: legendNames,
          top: legendTop,
          // Wrapping, not scrolling: a printed legend cannot scroll to the series it hides.
          type: 'plain',
          padding: 0,
          itemGap: LEGEND.gap,
          itemWidth: LEGEND.itemWidth,
          itemHeight: LEGEND.itemHeight,
          left: LEGEND.side,
          right: LEGEND.side,
          textStyle: {
            color: palette.text,
            fontFamily: FONT_FAMILY,
            fontSize: LEGEND.size,
            lineHeight: LEGEND.lineHeight,
          },
          inactiveColor: palette.muted,
        }
      : undefined,
    tooltip: tooltipOption(palette, frame.tooltip, frame.tooltipValue ?? ((v) => formatSignificant(v))),
    // Room at the bottom for the x axis' name and at the left for the y axis' (a line more where it wraps); the
    // labels are inside the grid (containLabel).
    grid: frame.grid
      ? frame.grid(top)
      : {
          top,
          left: 64 + (uprightNameLines(axisName(frame.yAxis)) - 1) * AXIS_NAME.lineHeight,
          right: 28,
          bottom: axisName(frame.xAxis) ? 44 : 16,
          containLabel: true,
        },
    xAxis: themedAxes(frame.xAxis, palette),
    yAxis: themedAxes(frame.yAxis, palette, true),
    series: frame.series,
  };
}

/** An empty chart that says why there is nothing to draw, so a view or the PDF never shows a blank box. */
export function unavailable(title: string, reason: string, options: ChartOptions = {}): EChartsOption {
  const palette = paletteOf(options);
  return {
    animation: options.animation ?? true,
    backgroundColor: 'transparent',
    textStyle: { color: palette.text, fontFamily: FONT_FAMILY },
    title: titleOption(header(title, `Not available: ${reason}`), palette, { top: 'middle' }),
    series: [],
  };
}

type AxisOption = Record<string, unknown>;

function axisName(axes: unknown): unknown {
  return ((Array.isArray(axes) ? axes[0] : axes) as AxisOption | undefined)?.name;
}

const AXIS_NAME = { size: 12, lineHeight: 15 };
/**
 * The longest y axis name on one line: about the plot's height in the narrowest, shortest panel (a name longer than
 * the plot runs into the legend).
 */
const UPRIGHT_NAME_WIDTH = 150;

/** A y axis' name in lines that fit beside the plot: a model's name ("esmc (55555555): …") on a line of its own. */
function uprightName(name: string): string {
  if (textWidth(name, AXIS_NAME.size) <= UPRIGHT_NAME_WIDTH) return name;
  const colon = name.indexOf(': ');
  if (colon > 0) return `${name.slice(0, colon + 1)}\n${name.slice(colon + 2)}`;
  return wrapText(name, AXIS_NAME.size, UPRIGHT_NAME_WIDTH).join('\n');
}

function uprightNameLines(name: unknown): number {
  return typeof name === 'string' ? uprightName(name).split('\n').length : 1;
}

/**
 * The theme's look under an axis' own settings, merged part by part so that setting one keeps the others; an
 * upright (y) axis' long name wrapped, and moved out by the lines it gained.
 */
function themedAxes<A>(axes: A, palette: Palette, upright = false): A {
  const theme = (axis: AxisOption): AxisOption => {
    const part = (name: string, base: object) => ({ ...base, ...(axis[name] as object | undefined) });
    const wrapped = upright && typeof axis.name === 'string' ? uprightName(axis.name) : undefined;
    const extraLines = wrapped ? wrapped.split('\n').length - 1 : 0;
    return {
      nameLocation: 'middle',
      ...axis,
      ...(wrapped
        ? { name: wrapped, nameGap: Number(axis.nameGap ?? 15) + (extraLines * AXIS_NAME.lineHeight) / 2 }
        : {}),
      nameTextStyle: part('nameTextStyle', {
        color: palette.text,
        fontFamily: FONT_FAMILY,
        fontSize: AXIS_NAME.size,
        lineHeight: AXIS_NAME.lineHeight,
      }),
      axisLine: part('axisLine', { lineStyle: { color: palette.axis } }),
      axisLabel: part('axisLabel', {
        color: palette.subtle,
        fontFamily: FONT_FAMILY,
        fontSize: AXIS_LABEL.size,
        lineHeight: AXIS_LABEL.lineHeight,
      }),
      splitLine: part('splitLine', { lineStyle: { color: palette.grid } }),
    };
  };
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

/** The dot before a series' name in a tooltip, as ECharts draws it. */
function tooltipMarker(color: string): string {
  return `<span style="display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px;background:${color}"></span>`;
}

/** The index of the point whose x is nearest `x`. */
function nearestIndex(points: [number, number][], x: number): number {
  let best = 0;
  for (let k = 1; k < points.length; k++) if (Math.abs(points[k][0] - x) < Math.abs(points[best][0] - x)) best = k;
  return best;
}

/**
 * An axis tooltip over lines whose points sit at x values of their own (models logging at different steps, ROC
 * curves at different thresholds): each line at its own point nearest the pointer. ECharts' own lists only the
 * lines that have a point nearest of all, often one or two of them.
 */
export function nearestPointsTooltip(
  lines: { name: string; points: [number, number][] }[],
  heading: (x: number) => string,
  row: (line: number, index: number) => string,
): EChartsOption['tooltip'] {
  return {
    trigger: 'axis',
    formatter: (params: unknown) => {
      const first = (Array.isArray(params) ? params[0] : params) as { axisValue?: unknown } | undefined;
      const x = Number(first?.axisValue ?? lines[0]?.points[0]?.[0] ?? 0);
      const rows = lines.map(
        (line, k) =>
          `${tooltipMarker(colorOf(line.name))}${escapeHtml(line.name)}: ${row(k, nearestIndex(line.points, x))}`,
      );
      return [heading(x), ...rows].join('<br/>');
    },
  };
}

/** Text from the data (slice values) inside an HTML tooltip. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A text cut to `length` characters with an ellipsis: one long slice value cannot squeeze a plot, nor a bag of 300 ids fill a finding. */
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

/**
 * A small value label beside a bar (above it, or right of a horizontal one), in the theme's text colour: ECharts'
 * default is dark grey with a white outline, a halo on a dark background.
 */
export function valueLabel(
  formatter: string | ((params: { value: unknown }) => string),
  options: ChartOptions,
  show = true,
  position: 'top' | 'right' = 'top',
) {
  return {
    show,
    position,
    formatter,
    fontFamily: FONT_FAMILY,
    fontSize: 10,
    lineHeight: 13,
    color: paletteOf(options).text,
    textBorderWidth: 0,
  };
}

/** Series with many points stay fluid: drawn in one batch (`large`) and in chunks (`progressive`). */
export const LARGE_SCATTER = {
  large: true,
  largeThreshold: 2000,
  progressive: 5000,
  progressiveThreshold: 10000,
} as const;
