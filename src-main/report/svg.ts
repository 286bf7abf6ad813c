import { existsSync, readFileSync } from 'node:fs';
import * as echarts from 'echarts';
import type { EChartsOption } from 'echarts';
import PDFDocument from 'pdfkit';

/**
 * An option from src-shared/charts rendered by ECharts itself, server-side, as SVG: the PDF draws the same chart
 * the screen shows, as vectors, without a browser. Animation is forced off, since server-side rendering draws
 * a single frame.
 */
export function renderChartSvg(option: EChartsOption, width: number, height: number): string {
  measureWithReportFont();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false });
    return withoutTextHalos(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/**
 * ECharts outlines labels with a white halo drawn under the text by `paint-order="stroke"`; svg-to-pdfkit does
 * not know paint-order and strokes over the glyphs, which erases them. The PDF draws those labels plainly. (The
 * builders turn halos off; this keeps a label they miss readable.)
 */
export function withoutTextHalos(svg: string): string {
  return svg.replace(/<text\b[^>]*paint-order="stroke"[^>]*>/g, (tag) =>
    tag.replace(/ (stroke|stroke-width|stroke-miterlimit|paint-order)="[^"]*"/g, ''),
  );
}

let measuring = false;

/**
 * Without a canvas, ECharts measures text with built-in widths of a Helvetica-like font, while the PDF draws it in
 * DejaVu Sans, some 15% wider: labels it fits into the grid (containLabel) or the legend would reach past them.
 * Measured with the PDF's own font instead, the report's layout is the one the screen computes from real glyphs.
 * Without the font files the built-in widths stay (loadFonts, which needs them, then says what is missing).
 */
function measureWithReportFont(): void {
  if (measuring) return;
  measuring = true;
  const regular = findFont('DejaVuSans.ttf');
  const bold = findFont('DejaVuSans-Bold.ttf');
  if (!regular || !bold) return;
  const doc = new PDFDocument({ autoFirstPage: false });
  doc.registerFont('Regular', regular);
  doc.registerFont('Bold', bold);
  echarts.setPlatformAPI({
    measureText(text: string, font?: string) {
      const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12);
      doc.font(/\bbold(er)?\b|\b[6-9]00\b/.test(font ?? '') ? 'Bold' : 'Regular').fontSize(size);
      // Scripts DejaVu Sans lacks (ECharts measures a line's height on '国') count a full em, as ECharts does.
      let width = 0;
      for (const run of text.match(/[\u2e80-\uffff]+|[^\u2e80-\uffff]+/g) ?? [])
        width += run.charCodeAt(0) >= 0x2e80 ? run.length * size : doc.widthOfString(run);
      return { width };
    },
  });
}

/** Where loadFonts (layout.ts) finds them: the installation's assets/fonts/, else Debian's fonts-dejavu-core. */
function findFont(file: string): Buffer | undefined {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const candidate = new URL(`assets/fonts/${file}`, dir);
    if (existsSync(candidate)) return readFileSync(candidate);
  }
  const debian = `/usr/share/fonts/truetype/dejavu/${file}`;
  return existsSync(debian) ? readFileSync(debian) : undefined;
}
