/** Per-stage evaluation curves of several runs: ROC, precision–recall, reliability and score distributions. */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { CurveStage, StageCurves } from '../api/contract.js';
import {
  cartesian,
  colorOf,
  diagonal,
  formatPercent,
  formatSignificant,
  formatValue,
  isAvailable,
  largestOf,
  nearestPointsTooltip,
  runLabels,
  unavailable,
  type ChartOptions,
} from './common.js';

/** What each curve stage scores and on which rows, as the metrics are computed (evaluateStages). */
export const CURVE_STAGES: Record<CurveStage, { score: string; rows: string; positive: string; negative: string }> = {
  ctr: { score: 'pCTR', rows: 'all exposures', positive: 'clicked', negative: 'not clicked' },
  cvr: { score: 'pCVR', rows: 'clicked rows', positive: 'purchased', negative: 'not purchased' },
  ctcvr: { score: 'pCTCVR', rows: 'all exposures', positive: 'clicked and purchased', negative: 'no purchase' },
};

function stageTitle(kind: string, stage: CurveStage): string {
  const { score, rows } = CURVE_STAGES[stage];
  return `${kind}: ${score} (${rows})`;
}

/** Pairs of finite (x, y); a point with either coordinate not available is dropped, not drawn at 0. */
function points(xs: ArrayLike<number | null>, ys: ArrayLike<number | null>): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < Math.min(xs.length, ys.length); k++) {
    const x = xs[k];
    const y = ys[k];
    if (isAvailable(x) && isAvailable(y)) out.push([x, y]);
  }
  return out;
}

function curveLine(name: string, data: [number, number][], step = false): SeriesOption {
  return {
    name,
    type: 'line',
    data,
    showSymbol: false,
    step: step ? 'end' : undefined,
    sampling: 'lttb',
    itemStyle: { color: colorOf(name) },
    lineStyle: { color: colorOf(name), width: 1.75 },
  };
}

interface CurveSpec {
  kind: string;
  xName: string;
  yName: string;
  reference?: string;
  pick(curve: StageCurves): [number, number][];
  emptyReason: string;
}

function curveChart(curves: StageCurves[], stage: CurveStage, spec: CurveSpec, options: ChartOptions): EChartsOption {
  const title = stageTitle(spec.kind, stage);
  const mine = curves.filter((c) => c.stage === stage);
  const labels = runLabels(mine);
  const drawn = mine.map((c) => ({ name: labels.get(c.runId)!, data: spec.pick(c) })).filter((c) => c.data.length > 0);
  const missing = mine.filter((c) => spec.pick(c).length === 0).map((c) => labels.get(c.runId)!);
  if (drawn.length === 0)
    return unavailable(title, mine.length === 0 ? `no run has ${stage} curves` : spec.emptyReason, options);
  const series = drawn.map((c) => curveLine(c.name, c.data));
  if (spec.reference) series.push(diagonal(spec.reference, options));
  return cartesian(
    {
      title,
      subtitle: missing.length > 0 ? `Not available for ${missing.join(', ')}: ${spec.emptyReason}` : undefined,
      legend: drawn.map((c) => c.name),
      // The curves are drawn without symbols, which an item tooltip needs: each curve at the pointer's x instead.
      tooltip: nearestPointsTooltip(
        drawn.map((c) => ({ name: c.name, points: c.data })),
        (x) => `${spec.xName} ${formatSignificant(x)}`,
        (k, index) => {
          const [x, y] = drawn[k].data[index];
          return `${spec.yName} ${formatSignificant(y)} <span style="opacity:0.7">at ${formatSignificant(x)}</span>`;
        },
      ),
      xAxis: { type: 'value', name: spec.xName, nameGap: 28, min: 0, max: 1 },
      yAxis: { type: 'value', name: spec.yName, nameGap: 44, min: 0, max: 1 },
      series,
    },
    options,
  );
}

export function rocChart(curves: StageCurves[], stage: CurveStage, options: ChartOptions = {}): EChartsOption {
  return curveChart(
    curves,
    stage,
    {
      kind: 'ROC',
      xName: 'false positive rate',
      yName: 'true positive rate',
      reference: 'chance',
      pick: (c) => points(c.roc.fpr, c.roc.tpr),
      emptyReason: 'the rows lack one of the two classes',
    },
    options,
  );
}

export function prChart(curves: StageCurves[], stage: CurveStage, options: ChartOptions = {}): EChartsOption {
  return curveChart(
    curves,
    stage,
    {
      kind: 'Precision–recall',
      xName: 'recall',
      yName: 'precision',
      pick: (c) => points(c.pr.recall, c.pr.precision),
      emptyReason: 'the rows have no positive',
    },
    options,
  );
}

/** Every row the bins hold is a positive, or every one a negative. */
const oneClass = (bins: StageCurves['reliability']['bins']) => {
  const filled = bins.filter((b) => b.count > 0);
  return filled.every((b) => b.observedRate === 0) || filled.every((b) => b.observedRate === 1);
};

/**
 * Mean predicted probability against the observed rate per bin; empty bins (NaN, null on the wire) are
 * skipped. Each model's ECE is in the subtitle (— on rows of one class), and the axes end just past the largest
 * value so that low rates (CVR is a few percent) are not squeezed into a corner.
 */
export function reliabilityChart(curves: StageCurves[], stage: CurveStage, options: ChartOptions = {}): EChartsOption {
  const mine = curves.filter((c) => c.stage === stage);
  const labels = runLabels(mine);
  const title = stageTitle('Calibration', stage);
  const drawn = mine
    .map((c) => ({
      name: labels.get(c.runId)!,
      // On rows of one class the ECE is the mean distance from 0 (or 1): the metrics tables leave it out too.
      ece: oneClass(c.reliability.bins) ? undefined : c.reliability.ece,
      data: points(
        c.reliability.bins.map((b) => (b.count > 0 ? b.meanPredicted : null)),
        c.reliability.bins.map((b) => (b.count > 0 ? b.observedRate : null)),
      ),
    }))
    .filter((c) => c.data.length > 0);
  if (drawn.length === 0)
    return unavailable(title, mine.length === 0 ? `no run has ${stage} curves` : 'every bin is empty', options);
  const largest = Math.max(...drawn.map((c) => largestOf(c.data)));
  const extent = Math.min(1, Math.ceil(largest * 1.1 * 20) / 20 || 1);
  return cartesian(
    {
      title,
      subtitle:
        `ECE (10 bins): ${drawn.map((c) => `${c.name} ${formatValue(c.ece)}`).join(', ')}` +
        (drawn.some((c) => c.ece === undefined) ? '; —: the rows hold one class, nothing to calibrate against' : ''),
      legend: drawn.map((c) => c.name),
      xAxis: { type: 'value', name: `mean predicted ${CURVE_STAGES[stage].score}`, nameGap: 28, min: 0, max: extent },
      yAxis: { type: 'value', name: 'observed rate', nameGap: 48, min: 0, max: extent },
      series: [
        ...drawn.map((c): SeriesOption => ({ ...curveLine(c.name, c.data), showSymbol: true, symbolSize: 6 })),
        diagonal('perfectly calibrated', options, [0, extent]),
      ],
    },
    options,
  );
}

/**
 * The scores of positive and negative rows on the same bins, each as a share of its class (negatives outnumber
 * positives by far, so raw counts would hide the positives).
 */
export function scoreDistributionChart(curve: StageCurves, options: ChartOptions = {}): EChartsOption {
  const { score, rows, positive, negative } = CURVE_STAGES[curve.stage];
  const title = `${curve.model}: ${score} by outcome (${rows})`;
  const edges = curve.scores.positive.edges;
  if (edges.length < 2) return unavailable(title, 'no scores were binned', options);
  const shares = (counts: (number | null)[]) => {
    const total = counts.reduce<number>((sum, c) => sum + (isAvailable(c) ? c : 0), 0);
    return counts.map((c) => (total > 0 && isAvailable(c) ? c / total : '-'));
  };
  const centres = edges.slice(0, -1).map((edge, k) => (edge + edges[k + 1]) / 2);
  const bars = (name: string, counts: (number | null)[], color: string): SeriesOption => ({
    name,
    type: 'bar',
    data: shares(counts),
    barGap: '-100%',
    barCategoryGap: '0%',
    itemStyle: { color, opacity: 0.6 },
  });
  const total = (counts: (number | null)[]) => counts.reduce<number>((s, c) => s + (isAvailable(c) ? c : 0), 0);
  return cartesian(
    {
      title,
      subtitle: `${positive}: ${total(curve.scores.positive.counts)} rows, ${negative}: ${total(curve.scores.negative.counts)} rows`,
      tooltip: { trigger: 'axis' },
      tooltipValue: (value) => formatPercent(value),
      xAxis: {
        type: 'category',
        name: `${score} (bin centre)`,
        nameGap: 28,
        data: centres.map((c) => formatValue(c, 3)),
      },
      yAxis: {
        type: 'value',
        name: 'share of the class',
        nameGap: 48,
        axisLabel: { formatter: (v: number) => formatPercent(v, 0) },
      },
      series: [
        bars(positive, curve.scores.positive.counts, colorOf('esmc')),
        bars(negative, curve.scores.negative.counts, '#8c959f'),
      ],
    },
    options,
  );
}
