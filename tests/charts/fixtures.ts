/**
 * Realistic inputs for the chart builders and the report, built from the engine: a simulated paper-like funnel,
 * stage probabilities that rank like the truth but worse (one chained, one decomposing and one constrained
 * model), the PSC analysis of them, and the per-stage curves the API returns.
 */
import type { StageCurves, StageRow } from '../../src-shared/api/contract.js';
import { toWire } from '../../src-shared/api/wire.js';
import type { EpochMetricSeries, LossPoint, LossSeries } from '../../src-shared/charts/index.js';
import type { Funnel, Histogram, SliceFunnel } from '../../src-shared/types/index.js';
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
  /** The profile's funnel per device (the simulator's four values). */
  slices: SliceFunnel[];
  /** Each row's device, an index into DEVICES. */
  deviceIds: Int32Array;
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

/** The labels of the rows `keep` picks, as the profile slices them. */
function labelsWhere(labels: ChartInputs['labels'], keep: (row: number) => boolean): ChartInputs['labels'] {
  const rows = labels.click.map((_, i) => i).filter((i) => keep(i));
  const pick = (column: Float32Array) => Float32Array.from(rows, (i) => column[i]);
  return { click: pick(labels.click), action: pick(labels.action), purchase: pick(labels.purchase) };
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

const DEVICES = ['phone', 'tablet', 'desktop', 'tv'];

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
    slices: [{ field: 'device', ids: deviceIds, vocabulary: [...DEVICES] }],
  });
  const curves = Object.entries(stagesByModel).flatMap(([model, stages]) =>
    stageCurves(RUN_IDS[model], model, stages, labels),
  );
  const slices = DEVICES.map((value, id): SliceFunnel => ({
    column: 'device',
    value,
    funnel: funnelOf(labelsWhere(labels, (i) => deviceIds[i] === id)),
    distinctValues: 1,
  }));
  return { funnel: funnelOf(labels), analysis, curves, slices, deviceIds, stagesByModel, labels, truth };
}

/**
 * The layouts that crowd a chart most, beside the ordinary ones: long slice values and a merged "other", two runs
 * of one model (series named "model (run id)"), a dataset of clicked rows only (CTR 100%), four models whose loss
 * curves are logged at different steps, a row with every stage.
 */
export interface CrowdedInputs {
  /** Every row a click, as in datasets of clicked impressions: the funnel's CTR label reads "7,461 / CTR 100.00%". */
  clickedFunnel: Funnel;
  /** Slice values of 30-odd characters and an "other" slice of 37 values. */
  longSlices: SliceFunnel[];
  /** Five models, two of them second runs named "model (run id)": seven bars, a legend of five. */
  manyModels: PscAnalysis;
  /** Curves of four runs, two of them of one model. */
  sameModelCurves: StageCurves[];
  loss: LossSeries[];
  epochs: EpochMetricSeries[];
  row: StageRow;
  rowLabel: string;
}

export const SECOND_RUN_IDS = {
  esm2: '44444444-dddd-4ddd-8ddd-000000000004',
  esmc: '55555555-eeee-4eee-8eee-000000000005',
};

/**
 * A run's loss curve as training logs it: each term falls like a real one (fast, then slowly, with the noise of
 * mini-batches), logged every `every` steps, the total their sum.
 */
function fallingCurve(random: Random, terms: Record<string, [number, number]>, steps: number, every: number) {
  const points: LossPoint[] = [];
  for (let step = every; step <= steps; step += every) {
    const losses: Record<string, number> = {};
    for (const [name, [start, end]] of Object.entries(terms))
      losses[name] = end + (start - end) * Math.exp(-step / (steps / 6)) + 0.02 * random.normal() * end;
    losses.total = Object.values(losses).reduce((sum, value) => sum + value, 0);
    points.push({ step, loss: losses.total, losses });
  }
  return points;
}

export function crowdedInputs(inputs: ChartInputs, seed = 7): CrowdedInputs {
  const random = new Random(seed);
  const { labels } = inputs;
  // The analyst's dataset of clicked impressions: 7,461 rows, every one a click.
  const clicked = 7461;
  const clickedFunnel = funnelOf({
    click: new Float32Array(clicked).fill(1),
    action: Float32Array.from({ length: clicked }, (_, i) => Number(i < 1893)),
    purchase: Float32Array.from({ length: clicked }, (_, i) => Number(i < 240 || (i >= 1893 && i < 1893 + 162))),
  });
  const brands = ['Samsung Galaxy Tab S9 Ultra 5G', 'Apple iPad Pro 12.9-inch (6th gen)', 'Xiaomi', 'Lenovo'];
  const brandOf = (i: number) => (i * 2654435761) % 7;
  const longSlices = [...brands, 'other'].map((value, id): SliceFunnel => ({
    column: 'brand',
    value,
    funnel: funnelOf(labelsWhere(labels, (i) => Math.min(brandOf(i), 4) === id)),
    ...(id === 4 ? { isOther: true, distinctValues: 37 } : { distinctValues: 1 }),
  }));
  const stagesByModel = {
    ...inputs.stagesByModel,
    [`esm2 (${SECOND_RUN_IDS.esm2.slice(0, 8)})`]: fakeModels(inputs.truth, seed + 1).esm2,
    [`esmc (${SECOND_RUN_IDS.esmc.slice(0, 8)})`]: fakeModels(inputs.truth, seed + 2).esmc,
  };
  const manyModels = analysePsc({
    labels,
    stagesByModel,
    truth: inputs.truth,
    slices: [{ field: 'device', ids: inputs.deviceIds, vocabulary: [...DEVICES] }],
  });
  const second = fakeModels(inputs.truth, seed + 3);
  const sameModelCurves = [
    ...inputs.curves,
    ...stageCurves(SECOND_RUN_IDS.esmc, 'esmc', second.esmc, labels),
    ...stageCurves(SECOND_RUN_IDS.esm2, 'esm2', second.esm2, labels),
  ];
  const entireSpace = { ctr: [0.62, 0.41], ctavr: [0.45, 0.2], ctcvr: [0.3, 0.09] } as Record<string, [number, number]>;
  const loss: LossSeries[] = [
    { model: 'esmm', points: fallingCurve(random, { ctr: [0.62, 0.41], ctcvr: [0.3, 0.09] }, 1200, 10) },
    { model: 'chain', points: fallingCurve(random, entireSpace, 1200, 25) },
    { model: 'esm2', points: fallingCurve(random, entireSpace, 1200, 40) },
    { model: 'esmc', points: fallingCurve(random, { ...entireSpace, constraint: [0.05, 0.004] }, 1200, 7) },
  ];
  const epochs: EpochMetricSeries[] = ['esmm', 'chain', 'esm2', 'esmc'].map((model, k) => ({
    model,
    points: Array.from({ length: 12 }, (_, e) => ({
      epoch: e + 1,
      value: 0.6 + 0.01 * k + 0.08 * (1 - Math.exp(-e / 3)),
    })),
  }));
  const r = labels.purchase.findIndex((p, i) => p > 0 && labels.action[i] === 0);
  const stageAt = (stages: StageArrays) =>
    Object.fromEntries(Object.entries(stages).map(([stage, values]) => [stage, values[r]]));
  const row: StageRow = {
    rowId: r,
    labels: { click: 1, action: 0, purchase: 1 },
    truth: {
      ctr: inputs.truth.true_ctr[r],
      avr: inputs.truth.true_avr[r],
      cvr: inputs.truth.true_cvr[r],
      buyGivenAction: inputs.truth.true_buy_given_action[r],
      buyGivenNoAction: inputs.truth.true_buy_given_no_action[r],
    },
    stages: { [SECOND_RUN_IDS.esm2]: stageAt(second.esm2) },
  };
  return {
    clickedFunnel,
    longSlices,
    manyModels,
    sameModelCurves,
    loss,
    epochs,
    row,
    rowLabel: `esm2 (${SECOND_RUN_IDS.esm2.slice(0, 8)})`,
  };
}

/** What crosses the API: NaN as null, typed arrays as arrays (toWire), so builders see what the UI sees. */
export function overTheWire<T>(value: T): T {
  return toWire(value) as T;
}
