/**
 * ECharts options built from the API's plain-JSON results: pure and deterministic, no DOM and no Node, so the
 * UI (vue-echarts) and the PDF report (ECharts server-side SVG) render the very same charts. Series are named
 * by model (or run), numbers that are not available (NaN / null) are never drawn as 0, and large inputs use
 * ECharts' large / progressive modes.
 */
export {
  colorOf,
  formatCompactCount,
  formatCount,
  formatPercent,
  formatSignificant,
  formatValue,
  isAvailable,
  runLabels,
  type ChartOptions,
} from './common.js';
export { CURVE_STAGES, prChart, reliabilityChart, rocChart, scoreDistributionChart } from './curves.js';
export { funnelChart, sliceFunnelChart } from './funnel.js';
export {
  chainedLabel,
  constrainedLabel,
  decompositionChart,
  deltaHistogramChart,
  estimateScatterChart,
  pairName,
  sliceGapChart,
  truthErrorChart,
} from './psc.js';
export { STAGE_LABELS, describeExternal, rowPathChart, type RowChartOptions } from './rows.js';
export {
  MAX_SMOOTHING,
  TOTAL_LOSS,
  epochMetricChart,
  lossCurveChart,
  lossTermsOf,
  smoothLoss,
  type EpochMetricSeries,
  type LossChartOptions,
  type LossPoint,
  type LossSeries,
} from './training.js';
