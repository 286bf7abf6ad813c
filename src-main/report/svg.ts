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
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
