import { initBackend, type BackendInfo, type BackendName } from '../backends/index.js';
import { splitRows, takeSplit, type SplitFractions } from '../data/split.js';
import { auc, rmse } from '../metrics/index.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig, type ModelName } from '../models/index.js';
import { DEFAULT_SPLIT } from '../run.js';
import { SIMULATOR_PRESETS, simulateDataset, type SimulatorConfig } from '../simulate/simulator.js';
import { predictRows } from '../train/predict.js';
import { evaluate, resolveTrainSettings, train, type TrainSettings } from '../train/trainer.js';
import { mergeSettings } from '../../../src-shared/settings.js';
import { runTasks } from '../workers/pool.js';

/**
 * The paper's claim, reproduced on data whose true probabilities are known: sweep the share of purchases made
 * without an in-shop action, train every model on the same simulated rows, and measure how far each model's
 * pCVR is from the truth. If PSC is real, the chain model's error grows with the share while ESMC's does not.
 */
export interface PscSweepConfig {
  shares: number[];
  models: ModelName[];
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
  shares: [0, 0.2, 0.4, 0.6, 0.8],
  models: ['naive', 'esmm', 'chain', 'esm2', 'esmc', 'esms', 'esmg'],
  seeds: [1, 2, 3],
  preset: 'paper-like',
  rows: 40_000,
  modelConfig: {},
  // The settings docs/psc-experiment.md was measured with (before `auto` and loss-based early stopping).
  trainConfig: { epochs: 6, batchSize: 512, learningRate: 3e-3, monitor: 'cvr_auc', patience: 2, minSteps: 0 },
  split: DEFAULT_SPLIT,
};

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

export interface PscSweepResult {
  config: PscSweepConfig;
  backend: BackendInfo;
  rows: SweepRow[];
  summary: SweepSummaryRow[];
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

export async function runSweepTask({ pscShare, seed, config }: SweepTask): Promise<SweepRow[]> {
  await initBackend(config.backend);
  const simulation: SimulatorConfig = {
    ...SIMULATOR_PRESETS[config.preset],
    ...config.simulator,
    rows: config.rows,
    seed,
    pscShare,
  };
  const { dataset, stats } = simulateDataset(simulation);
  const { train: trainRows, validation, test } = takeSplit(dataset, splitRows(dataset.rows, config.split, seed));
  const truth = test.truth!;
  const clicked = test.labels.click;
  const purchasedAfterClick = test.labels.purchase.map((b, i) => b * clicked[i]);
  const rows: SweepRow[] = [];
  for (const name of config.models) {
    const model = createModel(name, dataset.schema, {
      ...mergeSettings(DEFAULT_MODEL_CONFIG, config.modelConfig),
      seed,
    });
    try {
      const trainConfig = resolveTrainSettings({ ...config.trainConfig, seed }, trainRows.rows);
      const result = await train(model, { train: trainRows, validation }, trainConfig);
      const metrics = await evaluate(model, test);
      const predictions = await predictRows(model, test);
      rows.push({
        pscShare,
        achievedPscShare: stats.pscShare,
        seed,
        model: name,
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
  return rows;
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
  let done = 0;
  const report = (cell: SweepRow[]) => options.onCell?.(cell, ++done, tasks.length);
  const cells = await runTasks(tasks, runSweepTask, new URL('./psc-sweep-worker.js', import.meta.url), {
    workers: options.workers,
    onResult: report,
    signal: options.signal,
  });
  const rows = cells.flat();
  return { config, backend, rows, summary: summarise(rows), durationMs: Date.now() - started };
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
