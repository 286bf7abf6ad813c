import { initBackend, type BackendInfo, type BackendName } from '../backends/index.js';
import { splitRows, takeSplit, type SplitFractions } from '../data/split.js';
import { auc, rmse } from '../metrics/index.js';
import {
  createModel,
  DEFAULT_MODEL_CONFIG,
  isModelName,
  MODEL_NAMES,
  type ModelConfig,
  type ModelName,
} from '../models/index.js';
import { delongTest } from '../psc/compare.js';
import { DEFAULT_SPLIT } from '../run.js';
import { SIMULATOR_PRESETS, simulateDataset, type SimulatorConfig } from '../simulate/simulator.js';
import { validateConfig } from '../simulate/config.js';
import { FunnelSimulation } from '../simulate/world.js';
import { predictRows } from '../train/predict.js';
import { evaluate, resolveTrainSettings, train, type TrainSettings } from '../train/trainer.js';
import { mergeSettings } from '../../../src-shared/settings.js';
import { meanInterval } from '../../../src-shared/stats.js';
import type { ConstraintConfig } from '../../../src-shared/types/training.js';
import { runTasks } from '../workers/pool.js';

/**
 * The paper's claim, reproduced on data whose true probabilities are known: sweep the share of purchases made
 * without an in-shop action, train every model on the same simulated rows, and measure how far each model's
 * pCVR is from the truth. If PSC is real, the chain model's error grows with the share while ESMC's does not.
 */
export interface PscSweepConfig {
  shares: number[];
  /** Model variants (`parseVariant`): a model's name, or e.g. `esmc:lambda=0` for ESMC with other constraint settings. */
  models: string[];
  /** Paired comparisons [from, to] of two variants in `models`, each cell's difference to − from; default ABLATION's that apply. */
  comparisons?: [string, string][];
  seeds: number[];
  preset: keyof typeof SIMULATOR_PRESETS;
  /** Replaces the preset's knobs (e.g. actionPurchaseCorrelation) in every cell. */
  simulator?: Partial<SimulatorConfig>;
  rows: number;
  /** Over the defaults; `auto` training values are resolved against each cell's training part. */
  modelConfig: Partial<ModelConfig>;
  trainConfig: Partial<TrainSettings>;
  split: SplitFractions;
  backend?: BackendName;
}

export const DEFAULT_SWEEP: PscSweepConfig = {
  shares: [0.2, 0.5, 0.8],
  models: [
    'naive',
    'esmm',
    'esmc:lambda=0',
    'esmc',
    'esmc:lambda=0.1',
    'esms',
    'chain',
    'esm2',
    'aitm',
    'escm2-ips',
    'escm2-dr',
    'dcmt',
  ],
  seeds: [1, 2, 3, 4, 5],
  preset: 'paper-like',
  rows: 100_000,
  modelConfig: {},
  // The app's own defaults (auto settings, early stopping on the validation loss): what an analyst gets.
  trainConfig: {},
  split: DEFAULT_SPLIT,
};

/** The grid of `experiment psc-sweep --quick`: small enough for CI, large enough for HEADLINES' directions. */
export const QUICK_SWEEP: Pick<PscSweepConfig, 'shares' | 'models' | 'seeds' | 'rows'> = {
  shares: [0.2, 0.8],
  models: ['esmm', 'esmc:lambda=0', 'esmc', 'esms', 'chain', 'esm2'],
  seeds: [1, 2],
  rows: 30_000,
};

/** A model as the sweep trains it: `label` is the spec it was given (`esmc:lambda=0:gradient=cvr-only`). */
export interface SweepVariant {
  label: string;
  name: ModelName;
  constraint: Partial<ConstraintConfig>;
  /** Loss weights by term (`aitm:weight.calibrator=0`), over the sweep's own. */
  lossWeights?: Record<string, number>;
}

const CONSTRAINT_CHOICES = {
  layers: ['hidden', 'all'],
  distance: ['l2', 'cosine'],
  gradient: ['both', 'cvr-only'],
} as const;

/**
 * Reads `name[:key=value]…`, the keys being ConstraintConfig's (lambda, layers, distance, gradient) or a loss
 * term's weight (`weight.calibrator=0`; a term the model lacks fails its first training).
 */
export function parseVariant(spec: string): SweepVariant {
  const [name, ...settings] = spec.trim().split(':');
  if (!isModelName(name))
    throw new RangeError(`Unknown model "${name}" in "${spec}"; choose from ${MODEL_NAMES.join(', ')}`);
  const constraint: Partial<ConstraintConfig> = {};
  const lossWeights: Record<string, number> = {};
  for (const setting of settings) {
    const [key, value = ''] = setting.split('=');
    if (key.startsWith('weight.') && key.length > 'weight.'.length) {
      const weight = Number(value);
      if (value === '' || !Number.isFinite(weight) || weight < 0)
        throw new RangeError(`${key} must be a number ≥ 0 in "${spec}"; got "${value}"`);
      lossWeights[key.slice('weight.'.length)] = weight;
    } else if (key === 'lambda') {
      const lambda = Number(value);
      if (value === '' || !Number.isFinite(lambda) || lambda < 0)
        throw new RangeError(`lambda must be a number ≥ 0 in "${spec}"; got "${value}"`);
      constraint.lambda = lambda;
    } else if (key === 'layers' || key === 'distance' || key === 'gradient') {
      const choices: readonly string[] = CONSTRAINT_CHOICES[key];
      if (!choices.includes(value))
        throw new RangeError(`${key} must be ${choices.join(' or ')} in "${spec}"; got "${value}"`);
      Object.assign(constraint, { [key]: value });
    } else
      throw new RangeError(
        `Unknown setting "${key}" in "${spec}"; a variant sets lambda, layers, distance, gradient or weight.TERM`,
      );
  }
  return { label: spec.trim(), name, constraint, ...(Object.keys(lossWeights).length > 0 && { lossWeights }) };
}

/**
 * The steps that attribute ESMC's effect, each [from, to, what the step adds]: from ESMM, the action task
 * (ESMC with λ = 0 is ESMM plus a CTAVR task and a purchase-after-action tower), then the constraint, its
 * strength and ESMS's form; and the chain rule's path from the chained model through ESM² to ESMC.
 */
export const ABLATION: [string, string, string][] = [
  ['naive', 'esmm', 'entire space: CVR learned through pCTCVR on every exposure'],
  ['esmm', 'esmc:lambda=0', 'the action task (ESMC with λ = 0: towers independent)'],
  ['esmc:lambda=0', 'esmc', 'the constraint at its default λ = 0.01'],
  ['esmc:lambda=0', 'esmc:lambda=0.1', 'the constraint at λ = 0.1'],
  ['esmc', 'esmc:layers=all', 'the constraint on the output layer too'],
  ['esmc', 'esmc:distance=cosine', 'the constraint as 1 − cosine similarity instead of squared L2'],
  ['esmc', 'esmc:gradient=cvr-only', 'the constraint pulling only the purchase tower'],
  ['esmc', 'esms', 'the siamese form (ESMS) instead of ESMC'],
  ['esmm', 'esmc', 'ESMC as a whole over ESMM'],
  ['chain', 'esm2', 'ESM²: purchases without an action get their own tower'],
  ['esm2', 'esmc', 'ESMC over ESM²'],
  ['esmm', 'aitm', 'AITM: click, action and purchase as ordered exposure-space tasks with information transfer'],
  ['esmc', 'aitm', 'AITM over ESMC: the action informs the purchase by attention instead of a parameter constraint'],
  ['aitm', 'aitm:weight.calibrator=0', 'AITM without its calibrator (what torch-rechub and MTReclib train)'],
  ['esmm', 'escm2-ips', 'ESCM²-IPS: the clicked rows’ CVR loss weighted by 1/pCTR on top of ESMM'],
  ['escm2-ips', 'escm2-dr', 'ESCM²-DR: the doubly robust risk instead of IPS'],
  ['esmm', 'dcmt', 'DCMT: twin factual / counterfactual CVR towers on top of ESMM'],
];

/** The comparisons of `config` (its own, or ABLATION's whose two variants it trains). */
export function comparisonsOf(config: Pick<PscSweepConfig, 'models' | 'comparisons'>): [string, string][] {
  const trained = new Set(config.models.map((spec) => spec.trim()));
  return (
    config.comparisons ??
    ABLATION.filter(([from, to]) => trained.has(from) && trained.has(to)).map(([from, to]): [string, string] => [
      from,
      to,
    ])
  );
}

/** One (share, seed) cell: one simulated dataset, every model trained on the same split. */
export interface SweepTask {
  pscShare: number;
  seed: number;
  config: PscSweepConfig;
}

export interface SweepRow {
  pscShare: number;
  achievedPscShare: number;
  seed: number;
  model: string;
  status: string;
  bestEpoch: number | null;
  /** CVR AUC on clicked test rows. */
  cvr_auc: number;
  /** CTCVR AUC on all test rows. */
  ctcvr_auc: number;
  /** RMSE of pCVR against the true P(b|c,x) over every test exposure (the space pCVR is served on). */
  cvr_rmse: number;
  /** The same on clicked test rows only. */
  cvr_rmse_clicked: number;
  /** Mean pCVR − mean true CVR over every test exposure: a chain that forces purchases through the action underestimates. */
  cvr_bias: number;
  /** The ceilings: AUC of the true probabilities on the same rows. */
  oracle_cvr_auc: number;
  oracle_ctcvr_auc: number;
}

/** One cell's paired comparison of two variants on the same test rows, as `to` − `from`. */
export interface SweepPair {
  pscShare: number;
  seed: number;
  from: string;
  to: string;
  /** CVR AUC on clicked test rows, `to` − `from`, and DeLong's two-sided p-value for it. */
  cvr_auc_difference: number;
  cvr_auc_p: number;
  /** RMSE of pCVR against the true CVR over every test exposure, `to` − `from`: negative when `to` is closer. */
  cvr_rmse_difference: number;
}

/** A comparison over the seeds of one share (or every cell, `pscShare` 'all'). */
export interface PairSummaryRow {
  pscShare: number | 'all';
  from: string;
  to: string;
  cells: number;
  /** Mean paired difference with its 95% t-interval over the cells. */
  cvr_auc: { mean: number; ci95: [number, number] };
  cvr_rmse: { mean: number; ci95: [number, number] };
  /** Cells where `to` is better: a higher AUC, a lower RMSE. */
  aucWins: number;
  rmseWins: number;
  /** Cells where DeLong's test finds the AUC difference at the 5% level, for `to` and against it. */
  significantBetter: number;
  significantWorse: number;
}

export interface PscSweepResult {
  config: PscSweepConfig;
  backend: BackendInfo;
  rows: SweepRow[];
  summary: SweepSummaryRow[];
  pairs: SweepPair[];
  pairSummary: PairSummaryRow[];
  durationMs: number;
}

export const SWEEP_METRICS = ['cvr_auc', 'ctcvr_auc', 'cvr_rmse', 'cvr_rmse_clicked', 'cvr_bias'] as const;

export interface SweepSummaryRow {
  pscShare: number;
  model: string;
  seeds: number;
  mean: Record<(typeof SWEEP_METRICS)[number], number>;
  std: Record<(typeof SWEEP_METRICS)[number], number>;
}

function simulationOf({ pscShare, seed, config }: SweepTask): SimulatorConfig {
  return { ...SIMULATOR_PRESETS[config.preset], ...config.simulator, rows: config.rows, seed, pscShare };
}

export async function runSweepTask(task: SweepTask): Promise<{ rows: SweepRow[]; pairs: SweepPair[] }> {
  const { pscShare, seed, config } = task;
  await initBackend(config.backend);
  const simulation = simulationOf(task);
  const { dataset, stats } = simulateDataset(simulation);
  const { train: trainRows, validation, test } = takeSplit(dataset, splitRows(dataset.rows, config.split, seed));
  const truth = test.truth!;
  const clicked = test.labels.click;
  const purchasedAfterClick = test.labels.purchase.map((b, i) => b * clicked[i]);
  const rows: SweepRow[] = [];
  const pcvr = new Map<string, Float32Array>();
  for (const spec of config.models) {
    const variant = parseVariant(spec);
    const modelConfig = mergeSettings(DEFAULT_MODEL_CONFIG, config.modelConfig);
    const model = createModel(variant.name, dataset.schema, {
      ...modelConfig,
      constraint: { ...modelConfig.constraint, ...variant.constraint },
      lossWeights: { ...modelConfig.lossWeights, ...variant.lossWeights },
      seed,
    });
    try {
      const trainConfig = resolveTrainSettings({ ...config.trainConfig, seed }, trainRows.rows);
      const result = await train(model, { train: trainRows, validation }, trainConfig);
      const metrics = await evaluate(model, test);
      const predictions = await predictRows(model, test);
      pcvr.set(variant.label, predictions.cvr);
      rows.push({
        pscShare,
        achievedPscShare: stats.pscShare,
        seed,
        model: variant.label,
        status: result.status,
        bestEpoch: result.bestEpoch,
        cvr_auc: metrics.cvr_auc,
        ctcvr_auc: metrics.ctcvr_auc,
        cvr_rmse: rmse(predictions.cvr, truth.true_cvr),
        cvr_rmse_clicked: rmse(predictions.cvr, truth.true_cvr, clicked),
        cvr_bias: mean(predictions.cvr) - mean(truth.true_cvr),
        oracle_cvr_auc: auc(test.labels.purchase, truth.true_cvr, clicked),
        oracle_ctcvr_auc: auc(purchasedAfterClick, truth.true_ctcvr),
      });
    } finally {
      model.dispose();
    }
  }
  const pairs = comparisonsOf(config).map(([from, to]): SweepPair => {
    const delong = delongTest(test.labels.purchase, pcvr.get(to)!, pcvr.get(from)!, clicked);
    return {
      pscShare,
      seed,
      from,
      to,
      cvr_auc_difference: delong.difference,
      cvr_auc_p: delong.pValue,
      cvr_rmse_difference: rmse(pcvr.get(to)!, truth.true_cvr) - rmse(pcvr.get(from)!, truth.true_cvr),
    };
  });
  return { rows, pairs };
}

/** Runs the grid, one (share, seed) cell per task, on `workers` threads (1 = in this thread). */
export async function runPscSweep(
  config: PscSweepConfig,
  options: {
    workers?: number;
    onCell?: (rows: SweepRow[], done: number, total: number) => void;
    signal?: AbortSignal;
  } = {},
): Promise<PscSweepResult> {
  const started = Date.now();
  const backend = await initBackend(config.backend);
  const tasks: SweepTask[] = config.shares.flatMap((pscShare) =>
    config.seeds.map((seed) => ({ pscShare, seed, config })),
  );
  for (const [from, to] of comparisonsOf(config))
    for (const label of [from, to])
      if (!config.models.some((spec) => spec.trim() === label))
        throw new RangeError(`The comparison ${from} → ${to} names "${label}", which the sweep does not train`);
  // A share the world cannot reach is refused before any training, not when its cell comes up.
  for (const task of tasks) {
    validateConfig(simulationOf(task));
    new FunnelSimulation(simulationOf(task));
  }
  let done = 0;
  const report = (cell: { rows: SweepRow[] }) => options.onCell?.(cell.rows, ++done, tasks.length);
  const cells = await runTasks(tasks, runSweepTask, new URL('./psc-sweep-worker.js', import.meta.url), {
    workers: options.workers,
    onResult: report,
    signal: options.signal,
  });
  const rows = cells.flatMap((cell) => cell.rows);
  const pairs = cells.flatMap((cell) => cell.pairs);
  return {
    config,
    backend,
    rows,
    summary: summarise(rows),
    pairs,
    pairSummary: summarisePairs(pairs),
    durationMs: Date.now() - started,
  };
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

export function summarise(rows: SweepRow[]): SweepSummaryRow[] {
  const groups = new Map<string, SweepRow[]>();
  for (const row of rows) {
    const key = `${row.pscShare}\u0000${row.model}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const mean = {} as SweepSummaryRow['mean'];
    const std = {} as SweepSummaryRow['std'];
    for (const metric of SWEEP_METRICS) {
      const values = group.map((row) => row[metric]);
      const m = values.reduce((a, b) => a + b, 0) / values.length;
      mean[metric] = m;
      std[metric] =
        values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1)) : NaN;
    }
    return { pscShare: group[0].pscShare, model: group[0].model, seeds: group.length, mean, std };
  });
}

/** Each comparison per share and over every cell: mean paired differences with t-intervals, wins, DeLong's verdicts. */
export function summarisePairs(pairs: SweepPair[]): PairSummaryRow[] {
  const summary = (pscShare: number | 'all', cells: SweepPair[]): PairSummaryRow => ({
    pscShare,
    from: cells[0].from,
    to: cells[0].to,
    cells: cells.length,
    cvr_auc: meanInterval(cells.map((pair) => pair.cvr_auc_difference)),
    cvr_rmse: meanInterval(cells.map((pair) => pair.cvr_rmse_difference)),
    aucWins: cells.filter((pair) => pair.cvr_auc_difference > 0).length,
    rmseWins: cells.filter((pair) => pair.cvr_rmse_difference < 0).length,
    significantBetter: cells.filter((pair) => pair.cvr_auc_p < 0.05 && pair.cvr_auc_difference > 0).length,
    significantWorse: cells.filter((pair) => pair.cvr_auc_p < 0.05 && pair.cvr_auc_difference < 0).length,
  });
  // In the order the comparisons were made, each one's shares ascending and then every cell.
  const stepOf = (pair: SweepPair) => `${pair.from}\u0000${pair.to}`;
  return [...new Set(pairs.map(stepOf))].flatMap((step) => {
    const cells = pairs.filter((pair) => stepOf(pair) === step);
    const shares = [...new Set(cells.map((pair) => pair.pscShare))].sort((a, b) => a - b);
    return [
      ...shares.map((share) =>
        summary(
          share,
          cells.filter((pair) => pair.pscShare === share),
        ),
      ),
      summary('all', cells),
    ];
  });
}

/**
 * A finding of docs/psc-experiment.md, as a direction `--quick` checks: the mean paired difference `to` − `from`
 * of `metric` over the cells of `share` ('all' cells, or the highest share's) must go `direction`.
 */
export interface Headline {
  claim: string;
  from: string;
  to: string;
  metric: 'cvr_auc' | 'cvr_rmse';
  share: 'all' | 'highest';
  direction: 'up' | 'down';
}

export const HEADLINES: Headline[] = [
  {
    claim: 'where most purchases bypass the action, the chained model is furthest from the true CVR (ESM² is closer)',
    from: 'chain',
    to: 'esm2',
    metric: 'cvr_rmse',
    share: 'highest',
    direction: 'down',
  },
  {
    claim: 'with the default training, ESMC (λ = 0.01) ranks purchases worse than ESMM',
    from: 'esmm',
    to: 'esmc',
    metric: 'cvr_auc',
    share: 'all',
    direction: 'down',
  },
  {
    claim: 'the constraint itself lowers CVR AUC (ESMC with λ = 0 → λ = 0.01)',
    from: 'esmc:lambda=0',
    to: 'esmc',
    metric: 'cvr_auc',
    share: 'all',
    direction: 'down',
  },
  {
    claim: 'ESMS ranks purchases better than ESMC',
    from: 'esmc',
    to: 'esms',
    metric: 'cvr_auc',
    share: 'all',
    direction: 'up',
  },
];

export interface HeadlineCheck {
  claim: string;
  holds: boolean;
  /** The difference measured, in words. */
  evidence: string;
}

/** Each headline whose two variants `result` trained, against the result's paired differences. */
export function checkHeadlines(result: Pick<PscSweepResult, 'pairs' | 'config'>): HeadlineCheck[] {
  const highest = Math.max(...result.config.shares);
  return HEADLINES.flatMap((headline) => {
    const cells = result.pairs.filter(
      (pair) =>
        pair.from === headline.from &&
        pair.to === headline.to &&
        (headline.share === 'all' || pair.pscShare === highest),
    );
    if (cells.length === 0) return [];
    const differences = cells.map((pair) =>
      headline.metric === 'cvr_auc' ? pair.cvr_auc_difference : pair.cvr_rmse_difference,
    );
    const { mean } = meanInterval(differences);
    const holds = headline.direction === 'up' ? mean > 0 : mean < 0;
    const where =
      headline.share === 'all'
        ? `${cells.length} cells`
        : `${cells.length} cells at ${(highest * 100).toFixed(0)}% PSC`;
    return [
      {
        claim: headline.claim,
        holds,
        evidence: `${headline.to} − ${headline.from}: mean Δ ${headline.metric === 'cvr_auc' ? 'CVR AUC' : 'CVR RMSE'} ${mean >= 0 ? '+' : ''}${mean.toFixed(4)} over ${where}`,
      },
    ];
  });
}
