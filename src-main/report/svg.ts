import * as echarts from 'echarts';
import type { EChartsOption } from 'echarts';

/**
 * An option from src-shared/charts rendered by ECharts itself, server-side, as SVG: the PDF draws the same chart
 * the screen shows, as vectors, without a browser. Animation is forced off, since server-side rendering draws
 * a single frame.
 */
export function renderChartSvg(option: EChartsOption, width: number, height: number): string {
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
 * not know paint-order and strokes over the glyphs, which erases them. The PDF draws those labels plainly.
 */
export function withoutTextHalos(svg: string): string {
  return svg.replace(/<text\b[^>]*paint-order="stroke"[^>]*>/g, (tag) =>
    tag.replace(/ (stroke|stroke-width|stroke-miterlimit|paint-order)="[^"]*"/g, ''),
  );
}
