/**
 * Every chart builder drawn by ECharts in Chromium, the way the app draws it: the SVG renderer, at the size the
 * views give its panel in windows 1024, 1440 and 1920 px wide, light and dark, and as the PDF report draws it
 * (server-side SVG at 640 px, measured in the same browser with the report's font). Each `<text>` is measured
 * where it lands (its box through every transform, so rotated labels stay rotated), and the test fails on text
 * that runs into other text or out of the chart, on a y axis name longer than its plot is high (it runs into the
 * legend), on text too faint for its background (WCAG AA) and on dark-theme text with a halo. The tooltips are
 * shown too: every loss curve in the loss chart's, no number past 4 significant digits in any.
 * One browser and one page serve every chart; the builders are bundled from the sources for the page, so
 * formatters and closures run there as they do in the app. CHART_SCREENSHOTS=1 keeps a picture of each.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paletteOf } from '../../src-shared/charts/common.js';
import * as Charts from '../../src-shared/charts/index.js';
import { renderChartSvg } from '../../src-main/report/svg.js';
import { MIN_CONTRAST, contrastRatio, rgb } from './contrast.js';
import { chartInputs, crowdedInputs, overTheWire } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skipReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
/** CHART_SCREENSHOTS=1 keeps a picture of every chart drawn, to look at what the numbers say. */
const SCREENSHOTS = process.env.CHART_SCREENSHOTS ? join(ROOT, 'test-results/charts') : null;

/** Text may touch other text or the edge by this much (anti-aliasing, rounding), never more. */
const TOLERANCE = 1.5;

/**
 * Where a view puts a chart, from src-renderer/styles/main.css and the views: a `.grid-2` cell (columns of at least
 * 420 px, 16 px apart, as many as fit and as there are charts), maybe inside a `.panel` (16 px padding, 1 px
 * border), the chart a ChartPanel (8 px padding, 1 px border) of the given height.
 */
interface Placement {
  /** Charts in the grid: ResultsView's grid holds six, so it has three columns where they fit. */
  gridItems: number;
  /** The ChartPanel sits inside a `.panel` in the grid cell. */
  inPanel: boolean;
  /** The grid itself sits inside a full-width `.panel` (PscView's chained vs constrained pair). */
  gridInPanel?: boolean;
  /** ChartPanel's height prop. */
  height: number;
}

const WINDOWS = [1024, 1440, 1920] as const;
const SCROLLBAR = 15;
const CONTENT_PADDING = 16;
const VIEW_MAX_WIDTH = 1400;
const GRID_MIN = 420;
const GRID_GAP = 16;
const PANEL_INSET = 2 * (16 + 1);
const FIGURE_INSET = 2 * (8 + 1);

function chartSize(windowWidth: number, placement: Placement): { width: number; height: number } {
  let width = Math.min(VIEW_MAX_WIDTH, windowWidth - SCROLLBAR - 2 * CONTENT_PADDING);
  if (placement.gridInPanel) width -= PANEL_INSET;
  const columns = Math.min(placement.gridItems, Math.max(1, Math.floor((width + GRID_GAP) / (GRID_MIN + GRID_GAP))));
  width = (width - GRID_GAP * (columns - 1)) / columns;
  if (placement.inPanel) width -= PANEL_INSET;
  return { width: Math.floor(width - FIGURE_INSET), height: placement.height - FIGURE_INSET };
}

/** The report's charts are 640 px wide, `aspect` × that high (src-main/report/layout.ts). */
const PDF_WIDTH = 640;

type Builder = {
  [K in keyof typeof Charts]: (typeof Charts)[K] extends (...args: never[]) => unknown ? K : never;
}[keyof typeof Charts];

/** An argument the page looks up among the fixtures it holds (they are large: sent once). */
type Arg = { fixture: string } | string | number | boolean | null;

interface ChartCase {
  name: string;
  builder: Builder;
  args: Arg[];
  /** Options beside the theme (a row's series label, the loss chart's term…). */
  options?: Record<string, unknown>;
  placement: Placement;
  /** The report draws it at this aspect (height / width); absent where the report does not draw it. */
  pdfAspect?: number;
}

const fixture = (name: string): Arg => ({ fixture: name });
const grid = (height = 320, gridItems = 2): Placement => ({ gridItems, inPanel: false, height });
const panel = (height = 320): Placement => ({ gridItems: 2, inPanel: true, height });
/** ResultsView: ROC, PR, calibration and a score distribution per run, in one grid. */
const results = grid(320, 6);
/** PscView's slice and decomposition charts are tall in the report where it has many models. */
const tall = (models: number) => Math.min(0.85, 0.55 + 0.03 * models);

const CASES: ChartCase[] = [
  { name: 'funnel', builder: 'funnelChart', args: [fixture('funnel')], placement: grid(340), pdfAspect: 0.56 },
  {
    name: 'funnel, clicked rows only',
    builder: 'funnelChart',
    args: [fixture('clickedFunnel')],
    placement: grid(340),
    pdfAspect: 0.56,
  },
  {
    name: 'funnel rates by device',
    builder: 'sliceFunnelChart',
    args: [fixture('slices'), 'device'],
    placement: panel(300),
    pdfAspect: 0.5,
  },
  {
    name: 'funnel rates by brand (long values, other)',
    builder: 'sliceFunnelChart',
    args: [fixture('longSlices'), 'brand'],
    placement: panel(330),
    pdfAspect: 0.5,
  },
  { name: 'training loss', builder: 'lossCurveChart', args: [fixture('loss')], placement: grid(), pdfAspect: 0.5 },
  {
    name: 'training loss, one term, smoothed, log axis',
    builder: 'lossCurveChart',
    args: [fixture('loss')],
    options: { term: 'ctavr', smoothing: 0.9, logScale: true },
    placement: grid(),
  },
  {
    name: 'validation metric by epoch',
    builder: 'epochMetricChart',
    args: [fixture('epochs'), 'cvr_auc'],
    placement: panel(290),
    pdfAspect: 0.5,
  },
  { name: 'ROC', builder: 'rocChart', args: [fixture('curves'), 'cvr'], placement: results, pdfAspect: 0.62 },
  {
    name: 'ROC, two runs of a model',
    builder: 'rocChart',
    args: [fixture('sameModelCurves'), 'ctcvr'],
    placement: results,
    pdfAspect: 0.62,
  },
  {
    name: 'precision–recall',
    builder: 'prChart',
    args: [fixture('curves'), 'cvr'],
    placement: results,
    pdfAspect: 0.62,
  },
  {
    name: 'calibration',
    builder: 'reliabilityChart',
    args: [fixture('sameModelCurves'), 'cvr'],
    placement: results,
    pdfAspect: 0.6,
  },
  {
    name: 'score distribution',
    builder: 'scoreDistributionChart',
    args: [fixture('esmcCvrCurve')],
    placement: results,
  },
  {
    name: 'chained vs constrained scatter',
    builder: 'estimateScatterChart',
    args: [fixture('pair')],
    placement: { gridItems: 2, inPanel: false, gridInPanel: true, height: 380 },
    pdfAspect: 0.75,
  },
  {
    name: 'chained vs constrained scatter, second runs',
    builder: 'estimateScatterChart',
    args: [fixture('secondRunsPair')],
    placement: { gridItems: 2, inPanel: false, gridInPanel: true, height: 380 },
    pdfAspect: 0.75,
  },
  {
    name: 'Δ histogram, second runs',
    builder: 'deltaHistogramChart',
    args: [fixture('secondRunsPair')],
    placement: { gridItems: 2, inPanel: false, gridInPanel: true, height: 380 },
    pdfAspect: 0.5,
  },
  {
    name: 'Δ histogram',
    builder: 'deltaHistogramChart',
    args: [fixture('pair')],
    placement: { gridItems: 2, inPanel: false, gridInPanel: true, height: 380 },
    pdfAspect: 0.5,
  },
  {
    name: 'PSC gap by device',
    builder: 'sliceGapChart',
    args: [fixture('deviceGaps')],
    placement: panel(),
    pdfAspect: tall(3),
  },
  {
    name: 'PSC gap by device, five models',
    builder: 'sliceGapChart',
    args: [fixture('manyDeviceGaps')],
    placement: panel(),
    pdfAspect: tall(5),
  },
  {
    name: 'decomposition',
    builder: 'decompositionChart',
    args: [fixture('analysis')],
    placement: panel(),
    pdfAspect: tall(3),
  },
  {
    name: 'decomposition, five models',
    builder: 'decompositionChart',
    args: [fixture('manyModels')],
    placement: panel(),
    pdfAspect: tall(5),
  },
  {
    name: 'error against the truth',
    builder: 'truthErrorChart',
    args: [fixture('analysis')],
    placement: panel(),
    pdfAspect: 0.55,
  },
  {
    name: 'error against the truth, five models',
    builder: 'truthErrorChart',
    args: [fixture('manyModels')],
    placement: panel(),
    pdfAspect: 0.55,
  },
  {
    name: 'row path',
    builder: 'rowPathChart',
    args: [fixture('row'), fixture('rowRunId')],
    options: { label: 'rowLabel' },
    placement: panel(),
  },
  {
    name: 'not available (the reason wrapped in the middle)',
    builder: 'rowPathChart',
    args: [fixture('row'), '00000000-ffff-4fff-8fff-00000000000f'],
    placement: panel(),
  },
];

/** What one drawn chart holds: its text, and its plots' rectangles where the page drew it (not the report). */
interface Drawn {
  boxes: TextBox[];
  plots: { x: number; y: number; width: number; height: number }[];
}

/** One `<text>` as drawn: its string, the four corners of its box in the chart's pixels, its paint. */
interface TextBox {
  text: string;
  corners: [number, number][];
  fill: string;
  stroke: string | null;
}

interface Probe {
  width: number;
  height: number;
  /** A builder run in the page… */
  builder?: string;
  args?: Arg[];
  options?: Record<string, unknown>;
  /** …or the report's server-side SVG. */
  svg?: string;
}

interface PageChart {
  setOption(option: unknown): void;
  dispatchAction(action: object): void;
  dispose(): void;
  getModel(): {
    getComponent(type: string, index: number): { coordinateSystem: { getRect(): Drawn['plots'][number] } } | undefined;
  };
}

/** What the page needs of the DOM; this file compiles without the DOM's types. */
interface PageElement {
  textContent: string | null;
  innerText?: string;
  innerHTML: string;
  style: Record<string, string>;
  getBBox(): { x: number; y: number; width: number; height: number };
  getCTM(): { a: number; b: number; c: number; d: number; e: number; f: number } | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
interface PageGlobals {
  document: { getElementById(id: string): PageElement };
  getComputedStyle(element: PageElement): Record<string, string>;
  echarts: { init(host: PageElement, theme: null, options: object): PageChart };
  Charts: Record<string, (...args: unknown[]) => unknown>;
  fixtures: Record<string, unknown>;
  current?: PageChart;
}

/** Runs in the page: draws one chart into #chart and returns its text boxes and plots. */
function drawAndMeasure(probe: Probe): Drawn {
  const page = globalThis as unknown as PageGlobals;
  const host = page.document.getElementById('chart');
  page.current?.dispose();
  page.current = undefined;
  host.innerHTML = '';
  host.style.width = `${probe.width}px`;
  host.style.height = `${probe.height}px`;
  if (probe.svg !== undefined) host.innerHTML = probe.svg;
  else {
    const resolve = (arg: Arg) => (arg !== null && typeof arg === 'object' ? page.fixtures[arg.fixture] : arg);
    const options = Object.fromEntries(
      Object.entries(probe.options ?? {}).map(([key, value]) => [
        key,
        key === 'label' ? page.fixtures[value as string] : value,
      ]),
    );
    const chart = page.echarts.init(host, null, { renderer: 'svg', width: probe.width, height: probe.height });
    chart.setOption(page.Charts[probe.builder!](...probe.args!.map(resolve), options));
    page.current = chart;
  }
  const texts = Array.from(host.querySelectorAll('svg text'));
  const boxes: TextBox[] = [];
  for (const text of texts) {
    const content = (text.textContent ?? '').trim();
    const style = page.getComputedStyle(text);
    if (content === '' || style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') continue;
    const box = text.getBBox();
    const m = text.getCTM();
    if (!m || box.width === 0) continue;
    const at = (x: number, y: number): [number, number] => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
    boxes.push({
      text: content,
      corners: [
        at(box.x, box.y),
        at(box.x + box.width, box.y),
        at(box.x + box.width, box.y + box.height),
        at(box.x, box.y + box.height),
      ],
      fill: style.fill,
      stroke: style.stroke === 'none' || Number.parseFloat(style.strokeWidth) === 0 ? null : style.stroke,
    });
  }
  const plots: Drawn['plots'] = [];
  for (let k = 0; page.current?.getModel().getComponent('grid', k); k++) {
    const { x, y, width, height } = page.current.getModel().getComponent('grid', k)!.coordinateSystem.getRect();
    plots.push({ x, y, width, height });
  }
  return { boxes, plots };
}

/** Where a tooltip is asked for: a point of the plot (axis tooltips, given as shares of it) or an item. */
type TipAt = { plotX: number; plotY: number } | { seriesIndex: number; dataIndex: number };

/** Runs in the page, on the chart drawAndMeasure drew last: shows its tooltip and returns the tooltip's text. */
async function tooltipText(at: TipAt): Promise<string> {
  const page = globalThis as unknown as PageGlobals & {
    document: { querySelectorAll(selector: string): ArrayLike<PageElement & { innerText: string }> };
  };
  const chart = page.current!;
  if ('plotX' in at) {
    const plot = chart.getModel().getComponent('grid', 0)!.coordinateSystem.getRect();
    chart.dispatchAction({ type: 'showTip', x: plot.x + at.plotX * plot.width, y: plot.y + at.plotY * plot.height });
  } else chart.dispatchAction({ type: 'showTip', ...at });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const tips = Array.from(page.document.querySelectorAll('#chart div')).filter((div) =>
    (div.style.cssText ?? '').includes('z-index: 9999999'),
  );
  return tips.map((tip) => tip.innerText).join('\n');
}

/**
 * How far two boxes (convex quadrilaterals) run into each other: the smallest overlap of their projections over
 * the axes of both (separating axis theorem); 0 or less when they are apart.
 */
export function penetration(a: [number, number][], b: [number, number][]): number {
  let least = Infinity;
  for (const quad of [a, b])
    for (let k = 0; k < 2; k++) {
      const [x0, y0] = quad[k];
      const [x1, y1] = quad[k + 1];
      const length = Math.hypot(x1 - x0, y1 - y0) || 1;
      const axis = [-(y1 - y0) / length, (x1 - x0) / length];
      const project = (q: [number, number][]) => q.map(([x, y]) => x * axis[0] + y * axis[1]);
      const pa = project(a);
      const pb = project(b);
      const overlap = Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb));
      least = Math.min(least, overlap);
    }
  return least;
}

/** How far a box reaches past the chart's edges; 0 when inside. */
function outside(corners: [number, number][], width: number, height: number): number {
  let most = 0;
  for (const [x, y] of corners) most = Math.max(most, -x, -y, x - width, y - height);
  return most;
}

interface Problem {
  chart: string;
  size: string;
  what: string;
}

/**
 * Every way the text of one drawn chart fails: overlaps, clipping, an upright axis name longer than its plot is
 * high (it runs into the legend or past the axis), halos in the dark, and colours too faint on their background.
 */
function problemsOf(drawn: Drawn, width: number, height: number, theme: 'light' | 'dark' | 'pdf'): string[] {
  const { boxes, plots } = drawn;
  const problems: string[] = [];
  const quote = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}…` : text);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const depth = penetration(boxes[i].corners, boxes[j].corners);
      if (depth > TOLERANCE)
        problems.push(`${quote(boxes[i].text)} overlaps ${quote(boxes[j].text)} by ${depth.toFixed(1)} px`);
    }
    const out = outside(boxes[i].corners, width, height);
    if (out > TOLERANCE) problems.push(`${quote(boxes[i].text)} is clipped: ${out.toFixed(1)} px outside the chart`);
  }
  for (const box of boxes) {
    const xs = box.corners.map(([x]) => x);
    const ys = box.corners.map(([, y]) => y);
    const upright = Math.max(...ys) - Math.min(...ys) > 2 * (Math.max(...xs) - Math.min(...xs));
    const beside = plots.some(
      (p) => Math.min(...ys) >= p.y - TOLERANCE && Math.max(...ys) <= p.y + p.height + TOLERANCE,
    );
    if (upright && plots.length > 0 && !beside) problems.push(`${quote(box.text)} is longer than its plot is high`);
  }
  if (theme === 'dark')
    for (const box of boxes) if (box.stroke) problems.push(`${quote(box.text)} has a halo (stroke ${box.stroke})`);
  // The panel's surface behind the transparent chart; the PDF's page is white, as the light surface.
  const background = rgb(paletteOf({ theme: theme === 'dark' ? 'dark' : 'light' }).background)!;
  for (const box of boxes) {
    const fill = rgb(box.fill);
    const ratio = fill ? contrastRatio(fill, background) : 0;
    if (ratio < MIN_CONTRAST)
      problems.push(`${quote(box.text)} in ${box.fill} has contrast ${ratio.toFixed(2)} < ${MIN_CONTRAST}`);
  }
  return problems;
}

describe('penetration', () => {
  const square = (x: number, y: number, size = 10): [number, number][] => [
    [x, y],
    [x + size, y],
    [x + size, y + size],
    [x, y + size],
  ];
  it('measures how far boxes overlap, rotated ones by their sides, not their bounding boxes', () => {
    expect(penetration(square(0, 0), square(8, 3))).toBeCloseTo(2);
    expect(penetration(square(0, 0), square(12, 0))).toBeLessThan(0);
    // A diamond whose bounding box covers the square's corner, but whose sides stay clear of it.
    const diamond: [number, number][] = [
      [16, 5],
      [21, 10],
      [16, 15],
      [11, 10],
    ];
    expect(penetration(square(0, 0), diamond)).toBeLessThan(0);
  });
});

describe.skipIf(skipReason !== null)('chart text in Chromium, at the sizes the views and the report draw', () => {
  let browser: Browser;
  let page: Page;
  /** The fixtures as the page holds them (over the wire), for the report's charts drawn here. */
  let fixtures: Record<string, unknown> = {};

  beforeAll(async () => {
    const inputs = chartInputs();
    const crowded = crowdedInputs(inputs);
    const analysis = overTheWire(inputs.analysis);
    const manyModels = overTheWire(crowded.manyModels);
    fixtures = overTheWire({
      funnel: inputs.funnel,
      clickedFunnel: crowded.clickedFunnel,
      slices: inputs.slices,
      longSlices: crowded.longSlices,
      loss: crowded.loss,
      epochs: crowded.epochs,
      curves: inputs.curves,
      sameModelCurves: crowded.sameModelCurves,
      esmcCvrCurve: inputs.curves.find((c) => c.model === 'esmc' && c.stage === 'cvr'),
      pair: analysis.estimates[0],
      secondRunsPair: manyModels.estimates.find((p) => p.chained.includes('(') && p.constrained.includes('(')),
      deviceGaps: analysis.slices[0],
      manyDeviceGaps: manyModels.slices[0],
      analysis,
      manyModels,
      row: crowded.row,
      rowRunId: Object.keys(crowded.row.stages)[0],
      rowLabel: crowded.rowLabel,
    });
    const { build } = await import('vite');
    const bundle = await build({
      configFile: false,
      logLevel: 'warn',
      root: ROOT,
      build: {
        write: false,
        minify: false,
        lib: { entry: 'src-shared/charts/index.ts', formats: ['iife'], name: 'Charts' },
      },
    });
    const output = (Array.isArray(bundle) ? bundle[0] : bundle) as { output: { code?: string }[] };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    page = await browser.newPage();
    // No network: the page is blank and everything it runs comes from node_modules and the sources.
    await page.route('**/*', (route) => route.abort());
    await page.setContent('<!doctype html><html><body style="margin:0"><div id="chart"></div></body></html>');
    await page.addScriptTag({ path: `${ROOT}/node_modules/echarts/dist/echarts.min.js` });
    await page.addScriptTag({ content: output.output[0].code! });
    await page.evaluate((data) => {
      (globalThis as unknown as PageGlobals).fixtures = data;
    }, fixtures);
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function keepScreenshot(name: string, width: number, height: number): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dark = name.endsWith('dark');
    await page.evaluate(
      (background) => {
        (globalThis as unknown as PageGlobals).document.getElementById('chart').style.background = background;
      },
      dark ? '#161b22' : '#ffffff',
    );
    await page.screenshot({
      path: join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`),
      clip: { x: 0, y: 0, width, height },
    });
  }

  /** The report's chart: the builder run here and rendered server-side, as src-main/report does. */
  function reportSvg(chart: ChartCase, width: number, height: number): string {
    const build = Charts[chart.builder] as (...args: unknown[]) => Parameters<typeof renderChartSvg>[0];
    const args = chart.args.map((arg) => (arg !== null && typeof arg === 'object' ? fixtures[arg.fixture] : arg));
    const options: Record<string, unknown> = { ...chart.options, animation: false, theme: 'light' };
    if (chart.options?.label) options.label = fixtures[chart.options.label as string];
    return renderChartSvg(build(...args, options), width, height);
  }

  it('draws every chart builder the charts module exports', () => {
    const builders = Object.keys(Charts).filter((name) => name.endsWith('Chart'));
    expect(builders.filter((name) => !CASES.some((chart) => chart.builder === name))).toEqual([]);
  });

  it.each(CASES.map((chart) => [chart.name, chart] as const))(
    '%s: no text overlaps, is clipped or unreadable',
    async (_, chart) => {
      const problems: Problem[] = [];
      for (const windowWidth of WINDOWS)
        for (const theme of ['light', 'dark'] as const) {
          const { width, height } = chartSize(windowWidth, chart.placement);
          const drawn = await page.evaluate(drawAndMeasure, {
            width,
            height,
            builder: chart.builder,
            args: chart.args,
            options: { ...chart.options, theme, animation: false },
          });
          await keepScreenshot(`${chart.name} ${windowWidth} ${theme}`, width, height);
          for (const what of problemsOf(drawn, width, height, theme))
            problems.push({ chart: chart.name, size: `${windowWidth} px window (${width}×${height}), ${theme}`, what });
        }
      if (chart.pdfAspect !== undefined) {
        const height = Math.round(PDF_WIDTH * chart.pdfAspect);
        const svg = reportSvg(chart, PDF_WIDTH, height);
        const drawn = await page.evaluate(drawAndMeasure, { width: PDF_WIDTH, height, svg });
        await keepScreenshot(`${chart.name} pdf`, PDF_WIDTH, height);
        for (const what of problemsOf(drawn, PDF_WIDTH, height, 'pdf'))
          problems.push({ chart: chart.name, size: `PDF (${PDF_WIDTH}×${height})`, what });
      }
      const lines = problems.map((p) => `${p.chart} @ ${p.size}: ${p.what}`);
      expect(lines.length, `${lines.length} problems:\n${lines.join('\n')}`).toBe(0);
    },
  );

  /** Numbers in a tooltip with more than four significant digits (whole numbers are counts, written whole). */
  const overPrecise = (text: string) =>
    (text.match(/\d[\d,]*\.\d+/g) ?? []).filter(
      (n) =>
        n
          .replace(/,/g, '')
          .replace(/^[0.]+/, '')
          .replace('.', '').length > 4,
    );

  it('tooltips the loss of every model where they log at different steps, in 4 significant digits', async () => {
    for (const smoothing of [0, 0.6]) {
      await page.evaluate(drawAndMeasure, {
        width: 670,
        height: 302,
        builder: 'lossCurveChart',
        args: [fixture('loss')],
        options: { animation: false, smoothing },
      });
      for (const plotX of [0.13, 0.5, 0.87]) {
        const text = await page.evaluate(tooltipText, { plotX, plotY: 0.5 });
        for (const model of ['esmm', 'chain', 'esm2', 'esmc']) expect(text, text).toContain(`${model}: `);
        expect(overPrecise(text), text).toEqual([]);
      }
    }
  });

  it.each([
    ['decomposition', 'decompositionChart', [fixture('analysis')], { seriesIndex: 1, dataIndex: 1 }, /\d+\.\d\d%/],
    [
      'decomposition’s implied gap',
      'decompositionChart',
      [fixture('analysis')],
      { seriesIndex: 2, dataIndex: 1 },
      /^esm2: implied gap \d+\.\d\d%$/,
    ],
    ['error against the truth', 'truthErrorChart', [fixture('analysis')], { plotX: 0.3, plotY: 0.5 }, /RMSE 0\.\d+/],
    ['score distribution', 'scoreDistributionChart', [fixture('esmcCvrCurve')], { plotX: 0.2, plotY: 0.5 }, /%/],
    [
      'ROC',
      'rocChart',
      [fixture('sameModelCurves'), 'cvr'],
      { plotX: 0.3, plotY: 0.5 },
      /chain: true positive rate 0\.\d+[^]*esmc \(55555555\): true positive rate 0\.\d+/,
    ],
    ['calibration', 'reliabilityChart', [fixture('curves'), 'cvr'], { seriesIndex: 0, dataIndex: 2 }, /0\.\d+/],
    ['row path', 'rowPathChart', [fixture('row'), fixture('rowRunId')], { seriesIndex: 0, dataIndex: 1 }, /0\.\d+/],
    [
      'row path’s truth',
      'rowPathChart',
      [fixture('row'), fixture('rowRunId')],
      { seriesIndex: 1, dataIndex: 0 },
      /^P\(click\): true probability 0\.\d+$/,
    ],
  ] as const)('tooltips the %s chart’s numbers in 4 significant digits', async (_, builder, args, at, expected) => {
    await page.evaluate(drawAndMeasure, {
      width: 640,
      height: 360,
      builder,
      args: [...args],
      options: { animation: false },
    });
    const text = await page.evaluate(tooltipText, at);
    expect(text).toMatch(expected);
    expect(overPrecise(text), text).toEqual([]);
  });
});
