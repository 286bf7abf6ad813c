/**
 * Realistic inputs for the chart builders and the report, built from the engine: a simulated paper-like funnel,
 * stage probabilities that rank like the truth but worse (one chained, one decomposing and one constrained
 * model), the PSC analysis of them, and the per-stage curves the API returns.
 */
import type { StageCurves } from '../../src-shared/api/contract.js';
import { toWire } from '../../src-shared/api/wire.js';
import type { Funnel, Histogram } from '../../src-shared/types/index.js';
import { prCurve, reliability, rocCurve } from '../../src-main/engine/metrics/index.js';
import { analysePsc, type PscAnalysis, type SimulationTruth } from '../../src-main/engine/psc/index.js';
import { Random } from '../../src-main/engine/random.js';
import { SIMULATOR_PRESETS } from '../../src-main/engine/simulate/config.js';
import { simulateDataset } from '../../src-main/engine/simulate/simulator.js';
import type { StageArrays } from '../../src-main/engine/train/predict.js';
import { noisy } from '../helpers/noise.js';

export interface ChartInputs {
  funnel: Funnel;
  analysis: PscAnalysis;
  curves: StageCurves[];
  stagesByModel: Record<string, StageArrays>;
  labels: { click: Float32Array; action: Float32Array; purchase: Float32Array };
  truth: SimulationTruth;
}

/** The true probability's logit plus Gaussian noise: ranks like the truth, worse. */
function fakeModels(truth: SimulationTruth, seed: number): Record<string, StageArrays> {
  const random = new Random(seed);
  const ctr = noisy(truth.true_ctr, 0.3, random);
  const avr = noisy(truth.true_avr, 0.4, random);
  const afterAction = noisy(truth.true_buy_given_action, 0.4, random);
  const withoutAction = noisy(truth.true_buy_given_no_action, 0.4, random);
  const product = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (x, i) => x * b[i]);
  const chainCvr = product(avr, afterAction);
  const esm2Cvr = Float32Array.from(avr, (a, i) => a * afterAction[i] + (1 - a) * withoutAction[i]);
  const esmcCvr = noisy(truth.true_cvr, 0.35, random);
  return {
    chain: {
      ctr,
      avr,
      cvr: chainCvr,
      ctavr: product(ctr, avr),
      ctcvr: product(ctr, chainCvr),
      buyGivenAction: afterAction,
      buyGivenNoAction: new Float32Array(ctr.length),
    },
    esm2: {
      ctr,
      avr,
      cvr: esm2Cvr,
      ctavr: product(ctr, avr),
      ctcvr: product(ctr, esm2Cvr),
      buyGivenAction: afterAction,
      buyGivenNoAction: withoutAction,
    },
    esmc: { ctr, avr, cvr: esmcCvr, ctavr: product(ctr, avr), ctcvr: product(ctr, esmcCvr) },
  };
}

export function histogram(values: ArrayLike<number>, mask: (i: number) => boolean, bins = 20): Histogram {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++)
    if (mask(i)) counts[Math.min(bins - 1, Math.max(0, Math.floor(values[i] * bins)))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, k) => k / bins), counts };
}

export function stageCurves(
  runId: string,
  model: string,
  stages: StageArrays,
  labels: ChartInputs['labels'],
): StageCurves[] {
  const clickedPurchase = Float32Array.from(labels.click, (c, i) => c * labels.purchase[i]);
  const spaces = {
    ctr: { y: labels.click, p: stages.ctr, mask: undefined },
    cvr: { y: labels.purchase, p: stages.cvr, mask: labels.click },
    ctcvr: { y: clickedPurchase, p: stages.ctcvr, mask: undefined },
  };
  return (Object.keys(spaces) as (keyof typeof spaces)[]).map((stage) => {
    const { y, p, mask } = spaces[stage];
    const inSpace = (i: number) => !mask || mask[i] > 0.5;
    return {
      runId,
      model,
      stage,
      roc: rocCurve(y, p, mask),
      pr: prCurve(y, p, mask),
      reliability: reliability(y, p, mask),
      scores: {
        positive: histogram(p, (i) => inSpace(i) && y[i] > 0.5),
        negative: histogram(p, (i) => inSpace(i) && y[i] <= 0.5),
      },
    };
  });
}

export function funnelOf(labels: ChartInputs['labels'], withAction = true): Funnel {
  let clicks = 0;
  let actions = 0;
  let purchases = 0;
  let purchasesWithAction = 0;
  for (let i = 0; i < labels.click.length; i++) {
    if (!labels.click[i]) continue;
    clicks++;
    actions += labels.action[i];
    purchases += labels.purchase[i];
    purchasesWithAction += labels.action[i] * labels.purchase[i];
  }
  const exposures = labels.click.length;
  const ratio = (a: number | null, b: number) => (a === null || b === 0 ? null : a / b);
  const withoutAction = purchases - purchasesWithAction;
  return {
    counts: {
      exposures,
      clicks,
      actions: withAction ? actions : null,
      purchases,
      purchasesWithAction: withAction ? purchasesWithAction : null,
      purchasesWithoutAction: withAction ? withoutAction : null,
      funnelViolations: 0,
    },
    rates: {
      ctr: ratio(clicks, exposures),
      avr: withAction ? ratio(actions, clicks) : null,
      cvr: ratio(purchases, clicks),
      ctavr: withAction ? ratio(actions, exposures) : null,
      ctcvr: ratio(purchases, exposures),
      buyGivenAction: withAction ? ratio(purchasesWithAction, actions) : null,
      buyGivenNoAction: withAction ? ratio(withoutAction, clicks - actions) : null,
      pscShare: withAction ? ratio(withoutAction, purchases) : null,
    },
  };
}

/** Run ids as the store makes them (UUIDs), fixed so tests can name them. */
export const RUN_IDS: Record<string, string> = {
  chain: '11111111-aaaa-4aaa-8aaa-000000000001',
  esm2: '22222222-bbbb-4bbb-8bbb-000000000002',
  esmc: '33333333-cccc-4ccc-8ccc-000000000003',
};

export function chartInputs(rows = 20_000, seed = 5): ChartInputs {
  const { dataset } = simulateDataset({ ...SIMULATOR_PRESETS['paper-like'], rows, seed });
  const truth = dataset.truth as SimulationTruth;
  const labels = dataset.labels as ChartInputs['labels'];
  const stagesByModel = fakeModels(truth, seed);
  const fields = dataset.schema.categorical.length;
  const device = dataset.schema.categorical.findIndex((c) => c.name === 'device');
  const deviceIds = Int32Array.from({ length: rows }, (_, r) => dataset.categorical[r * fields + device]);
  const analysis = analysePsc({
    labels,
    stagesByModel,
    truth,
    slices: [{ field: 'device', ids: deviceIds, vocabulary: ['phone', 'tablet', 'desktop', 'tv'] }],
  });
  const curves = Object.entries(stagesByModel).flatMap(([model, stages]) =>
    stageCurves(RUN_IDS[model], model, stages, labels),
  );
  return { funnel: funnelOf(labels), analysis, curves, stagesByModel, labels, truth };
}

/** What crosses the API: NaN as null, typed arrays as arrays (toWire), so builders see what the UI sees. */
export function overTheWire<T>(value: T): T {
  return toWire(value) as T;
}
