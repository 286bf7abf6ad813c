import { initBackend, type BackendInfo, type BackendName } from '../backends/index.js';
import { splitRows, takeSplit } from '../data/split.js';
import type { EncodedDataset } from '../data/dataset.js';
import { evaluateStages } from '../metrics/index.js';
import { assessPart } from '../metrics/learning.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelName } from '../models/index.js';
import { DEFAULT_SPLIT } from '../run.js';
import { SIMULATOR_PRESETS, simulateDataset } from '../simulate/simulator.js';
import { predictRows } from '../train/predict.js';
import { resolveTrainSettings, train, type TrainSettings } from '../train/trainer.js';
import { runTasks } from '../workers/pool.js';

/**
 * Does `auto` train every model well? On simulated funnels of several sizes, each model is trained once with the
 * default settings and once per point of a small grid over batch size × learning rate (epochs and early stopping
 * as the defaults decide them), and the default's test AUC of each stage is set against the best the grid finds.
 */
export interface TrainingGridConfig {
  sizes: number[];
  presets: (keyof typeof SIMULATOR_PRESETS)[];
  seeds: number[];
  models: ModelName[];
  batchSizes: number[];
  learningRates: number[];
  /** Train only the defaults (to check a changed rule against a grid already run; merge with --from). */
  onlyAuto?: boolean;
  backend?: BackendName;
}

export const DEFAULT_GRID: TrainingGridConfig = {
  sizes: [20_000, 50_000, 200_000],
  presets: ['paper-like', 'taobao-like'],
  seeds: [1, 2],
  models: ['naive', 'esmm', 'chain', 'esm2', 'esmc', 'esms', 'esmg'],
  batchSizes: [256, 1024, 4096],
  learningRates: [1e-3, 3e-3, 1e-2],
};

export const GRID_STAGES = ['ctr', 'avr', 'cvr', 'ctavr', 'ctcvr'] as const;
export type GridStage = (typeof GRID_STAGES)[number];

export interface GridTask {
  rows: number;
  preset: keyof typeof SIMULATOR_PRESETS;
  seed: number;
  model: ModelName;
  /** 'auto', or the grid point's batch size and learning rate. */
  setting: { kind: 'auto' } | { kind: 'grid'; batchSize: number; learningRate: number };
  backend?: BackendName;
}

export interface GridRun {
  rows: number;
  preset: string;
  seed: number;
  model: string;
  setting: string;
  batchSize: number;
  learningRate: number;
  epochs: number;
  epochsRun: number;
  bestEpoch: number | null;
  status: string;
  /** Test AUC of each stage the model has (NaN where undefined). */
  auc: Partial<Record<GridStage, number>>;
  /** Mean pCVR over the clicked test rows, and the observed purchase rate there. */
  meanCvr: number;
  observedCvr: number;
  /** The run's "did it learn?" verdict on the test part. */
  learned: boolean;
  seconds: number;
}

const settingName = (setting: GridTask['setting']) =>
  setting.kind === 'auto' ? 'auto' : `batch ${setting.batchSize}, lr ${setting.learningRate}`;

/** The last simulated dataset a worker made: its tasks come grouped by dataset. */
let cached: { key: string; parts: { train: EncodedDataset; validation: EncodedDataset; test: EncodedDataset } } | null =
  null;

function partsFor(task: GridTask) {
  const key = `${task.rows}/${task.preset}/${task.seed}`;
  if (cached?.key !== key) {
    const { dataset } = simulateDataset({ ...SIMULATOR_PRESETS[task.preset], rows: task.rows, seed: task.seed });
    cached = { key, parts: takeSplit(dataset, splitRows(dataset.rows, DEFAULT_SPLIT, task.seed)) };
  }
  return cached.parts;
}

export async function runGridTask(task: GridTask): Promise<GridRun> {
  await initBackend(task.backend);
  const parts = partsFor(task);
  const settings: Partial<TrainSettings> =
    task.setting.kind === 'auto'
      ? { seed: task.seed }
      : { seed: task.seed, batchSize: task.setting.batchSize, learningRate: task.setting.learningRate };
  const config = resolveTrainSettings(settings, parts.train.rows);
  const model = createModel(task.model, parts.train.schema, { ...DEFAULT_MODEL_CONFIG, seed: task.seed });
  const started = performance.now();
  try {
    const result = await train(model, { train: parts.train, validation: parts.validation }, config);
    const predictions = await predictRows(model, parts.test);
    const metrics = evaluateStages(predictions, parts.test.labels);
    const learning = assessPart('test', predictions, parts.test.labels, result.baseRates ?? {});
    const cvr = learning.stages.find((stage) => stage.stage === 'cvr');
    return {
      rows: task.rows,
      preset: task.preset,
      seed: task.seed,
      model: task.model,
      setting: settingName(task.setting),
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      epochs: config.epochs,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch,
      status: result.status,
      auc: Object.fromEntries(GRID_STAGES.map((stage) => [stage, metrics[`${stage}_auc`]])),
      meanCvr: cvr?.meanPrediction ?? NaN,
      observedCvr: cvr?.observedRate ?? NaN,
      learned: learning.stages.every((stage) => stage.status !== 'not-learned'),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}

export function gridTasks(config: TrainingGridConfig): GridTask[] {
  const settings: GridTask['setting'][] = [
    { kind: 'auto' },
    ...(config.onlyAuto ? [] : config.batchSizes).flatMap((batchSize) =>
      config.learningRates.map((learningRate) => ({ kind: 'grid' as const, batchSize, learningRate })),
    ),
  ];
  return config.sizes.flatMap((rows) =>
    config.presets.flatMap((preset) =>
      config.seeds.flatMap((seed) =>
        config.models.flatMap((model) =>
          settings.map((setting) => ({ rows, preset, seed, model, setting, backend: config.backend })),
        ),
      ),
    ),
  );
}

/**
 * One (size, preset, model), averaged over the seeds: the default's AUCs against the grid point whose AUC averaged
 * over the same seeds is best (a maximum over single noisy runs would favour the grid by its noise alone).
 */
export interface GridComparison {
  rows: number;
  preset: string;
  model: string;
  seeds: number;
  /** The default's runs, one per seed. */
  auto: GridRun[];
  /** Per stage, the default's AUC averaged over the seeds. */
  autoAuc: Partial<Record<GridStage, number>>;
  /** Per stage: the grid point with the best AUC averaged over the seeds, and that AUC. */
  best: Partial<Record<GridStage, { auc: number; setting: string }>>;
  /** The best grid point's AUC − the default's, per stage (≤ 0 where the default is as good or better). */
  shortfall: Partial<Record<GridStage, number>>;
  /** Mean pCVR on clicked test rows / the observed rate, averaged over the seeds. */
  cvrRatio: number;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function compareToGrid(runs: GridRun[]): GridComparison[] {
  const groups = new Map<string, GridRun[]>();
  for (const run of runs) {
    const key = `${run.rows}/${run.preset}/${run.model}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].flatMap((group) => {
    const auto = group.filter((run) => run.setting === 'auto');
    if (auto.length === 0) return [];
    const bySetting = new Map<string, GridRun[]>();
    for (const run of group.filter((r) => r.setting !== 'auto'))
      bySetting.set(run.setting, [...(bySetting.get(run.setting) ?? []), run]);
    const autoAuc: GridComparison['autoAuc'] = {};
    const best: GridComparison['best'] = {};
    const shortfall: GridComparison['shortfall'] = {};
    for (const stage of GRID_STAGES) {
      const own = mean(auto.map((run) => run.auc[stage] ?? NaN));
      if (!Number.isFinite(own)) continue;
      autoAuc[stage] = own;
      let top: { auc: number; setting: string } | undefined;
      for (const [setting, points] of bySetting) {
        const value = mean(points.map((run) => run.auc[stage] ?? NaN));
        if (Number.isFinite(value) && (!top || value > top.auc)) top = { auc: value, setting };
      }
      if (!top) continue;
      best[stage] = top;
      shortfall[stage] = top.auc - own;
    }
    return [
      {
        rows: auto[0].rows,
        preset: auto[0].preset,
        model: auto[0].model,
        seeds: auto.length,
        auto,
        autoAuc,
        best,
        shortfall,
        cvrRatio: mean(auto.map((run) => run.meanCvr / run.observedCvr)),
      },
    ];
  });
}

export interface TrainingGridResult {
  config: TrainingGridConfig;
  backend: BackendInfo;
  runs: GridRun[];
  comparisons: GridComparison[];
  durationMs: number;
}

export async function runTrainingGrid(
  config: TrainingGridConfig,
  options: { workers?: number; onRun?: (run: GridRun, done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<TrainingGridResult> {
  const started = Date.now();
  const backend = await initBackend(config.backend);
  const tasks = gridTasks(config);
  let done = 0;
  const report = (run: GridRun) => options.onRun?.(run, ++done, tasks.length);
  const runs = await runTasks(tasks, runGridTask, new URL('./training-grid-worker.js', import.meta.url), {
    workers: options.workers,
    onResult: report,
    signal: options.signal,
  });
  return { config, backend, runs, comparisons: compareToGrid(runs), durationMs: Date.now() - started };
}
