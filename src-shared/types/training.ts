/**
 * The plain-JSON shapes of models, training and runs (see src-main/engine): configs, events, results and the run
 * record. Pure types and constants only.
 */
import type { Finding, SplitFractions } from './data.js';
import type { StageMetrics } from './metrics.js';
import type { LearningAssessment } from './learning.js';
import { autoTrainValues, mergeSettings, settingDefaults } from '../settings.js';

/** Every stage of exposure → click → in-shop action → purchase that a model may predict, in funnel order. */
export const STAGES = ['ctr', 'avr', 'cvr', 'ctavr', 'ctcvr', 'buyGivenAction', 'buyGivenNoAction'] as const;
export type Stage = (typeof STAGES)[number];

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear';

export interface TowerConfig {
  /** Hidden widths; the output layer (width 1, a logit) is added after them. */
  hidden: number[];
  activation: Activation;
  dropout: number;
}

/**
 * How the embedding table lives and learns. 'dense': a tfjs variable, gathered in the graph, updated whole by
 * the optimiser (the plain path, kept as the reference). 'sparse': a host array gathered on the host, and only
 * the rows a batch touches are updated (lazy Adam) — a step no longer costs the size of the vocabulary.
 */
export type EmbeddingMode = 'dense' | 'sparse';

/**
 * The parameter constraint of ESMC (reconstruction, see docs/models.md): a penalty on the distance between
 * the in-shop-action tower and the purchase tower, so the dense action signal reaches the sparse purchase
 * tower through shared structure rather than through a probability product.
 */
export interface ConstraintConfig {
  /** λ: weight of the penalty in the total loss; 0 lets the towers train independently. */
  lambda: number;
  /** Which layers are tied: the hidden layers only, or the output layer too. */
  layers: 'hidden' | 'all';
  /** Squared L2 (Frobenius) distance, or 1 − cosine similarity per layer. */
  distance: 'l2' | 'cosine';
  /** Pull both towers towards each other, or only the purchase tower towards the action tower. */
  gradient: 'both' | 'cvr-only';
}

/**
 * How ESCM² and DCMT weight a clicked row by its inverse propensity 1/pCTR (the CTR tower's output, without its
 * gradient): the public implementations differ here (models-reference §12, pitfalls 3–5), so both choices are open.
 */
export interface CounterfactualConfig {
  /** The largest inverse-propensity weight: 1/pCTR is capped here, so a row with pCTR near 0 cannot dominate. */
  maxWeight: number;
  /** 'exposures': Σ w·loss over the batch's rows (the unbiased estimate); 'self': Σ w·loss / Σ w (self-normalised). */
  normalise: 'exposures' | 'self';
}

export interface ModelConfig {
  embeddingDim: number;
  tower: TowerConfig;
  /** Weight of each loss term by name (ctr, ctavr, ctcvr, cvr, constraint…); absent terms weigh 1. */
  lossWeights: Record<string, number>;
  /** Used by esmc / esmg; λ is `constraint.lambda`. */
  constraint: ConstraintConfig;
  /** Used by escm2-ips, escm2-dr and dcmt; absent in configs older than those models (the defaults then). */
  counterfactual?: CounterfactualConfig;
  /** Seeds the initial weights (and dropout). */
  seed: number;
  /**
   * 'sparse' (default for new models) keeps the embedding table on the host and updates only the rows a batch
   * touches; 'dense' is the plain tfjs path, and what configs without this field (older saved models) mean.
   */
  embedding?: EmbeddingMode;
  /**
   * 'base-rate' (default): before the first step each tower's output bias is set to the logit of its stage's rate
   * in the training rows, so a model starts at the constant predictor instead of at 50%; 'zero' keeps the random
   * start (what configs without this field mean).
   */
  outputBias?: 'base-rate' | 'zero';
}

/** Declared in src-shared/settings.ts with the rest of every setting. */
export const DEFAULT_MODEL_CONFIG = settingDefaults('model') as unknown as ModelConfig;
export const DEFAULT_CONSTRAINT: ConstraintConfig = DEFAULT_MODEL_CONFIG.constraint;
export const DEFAULT_COUNTERFACTUAL: CounterfactualConfig = DEFAULT_MODEL_CONFIG.counterfactual!;

/** What the CLI, the UI and docs/models.md say about a model. */
export interface ModelInfo {
  name: string;
  title: string;
  paper: string;
  formula: string;
  /** Loss terms, each as "label ~ prediction on rows". */
  supervision: string[];
  /** The model cannot train without an in-shop action label. */
  needsAction: boolean;
  /** A term's weight when the config's `lossWeights` does not set it (AITM's calibrator: 0.6); otherwise 1. */
  lossWeights?: Record<string, number>;
  /**
   * False when a loss term averages over a subset of rows (e.g. the clicked ones): a batch's gradient is then
   * not its parts' gradients weighted by rows, and the model trains on one thread. Default true.
   */
  lossIsRowMean?: boolean;
  /** Weights rows by the CTR tower's inverse propensity (see CounterfactualConfig). */
  usesPropensity?: boolean;
  /** Has ESMC's parameter constraint among its loss terms (see ConstraintConfig). */
  usesConstraint?: boolean;
}

/** What early stopping watches on the validation rows. */
export type EarlyStopMonitor = 'loss' | 'cvr_auc';

/** The settings that `auto` derives from the training rows (see autoTrainValues in src-shared/settings.ts). */
export type AutoSetting = 'epochs' | 'batchSize' | 'learningRate' | 'minSteps';

/** A training as it runs: every value resolved (see TrainSettings for what a person may ask for). */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 added to every gradient (PyTorch Adam's `weight_decay`); 0 turns it off. */
  weightDecay: number;
  /** Seeds the shuffling; the model's own seed fixes initial weights and dropout. */
  seed: number;
  /**
   * 'loss' (default): the model's own loss terms on the validation rows, weighted as in training (the
   * constraint, a term of the parameters alone, left out); 'cvr_auc': validation CVR AUC, noisier on few purchases.
   */
  monitor: EarlyStopMonitor;
  /** Stop after this many epochs without a better validation measure; null trains every epoch. */
  patience: number | null;
  /** Early stopping may not stop a model before this many optimiser steps. */
  minSteps: number;
  /** Stop after this many optimiser steps in all; absent trains every epoch. */
  maxSteps?: number;
  /** Minimum time between step events, so a UI over IPC is not flooded. */
  progressIntervalMs: number;
  /** The settings that were `auto`, each with how its value was derived from the data. */
  auto?: Partial<Record<AutoSetting, string>>;
}

/** What a person may ask for: `auto` where the value is best derived from the data. */
export interface TrainSettings extends Omit<TrainConfig, AutoSetting | 'maxSteps' | 'auto'> {
  epochs: number | 'auto';
  batchSize: number | 'auto';
  learningRate: number | 'auto';
  minSteps: number | 'auto';
  maxSteps: number | null;
}

/** Declared in src-shared/settings.ts with the rest of every setting. */
export const DEFAULT_TRAIN_SETTINGS = settingDefaults('train') as unknown as TrainSettings;

/** The settings (defaults for what is not given) with every `auto` derived from the training part's size. */
export function resolveTrainSettings(settings: Partial<TrainSettings> | undefined, trainRows: number): TrainConfig {
  const asked = mergeSettings(DEFAULT_TRAIN_SETTINGS, settings);
  const chosen = (value: number | 'auto') => (value === 'auto' ? undefined : value);
  const derived = autoTrainValues(trainRows, { batchSize: chosen(asked.batchSize), epochs: chosen(asked.epochs) });
  const auto: Partial<Record<AutoSetting, string>> = {};
  const resolve = (name: AutoSetting): number => {
    const value = asked[name];
    if (value !== 'auto') return value;
    auto[name] = derived.reasons[name];
    return derived[name];
  };
  const { maxSteps, ...rest } = asked;
  return {
    ...rest,
    epochs: resolve('epochs'),
    batchSize: resolve('batchSize'),
    learningRate: resolve('learningRate'),
    minSteps: resolve('minSteps'),
    ...(maxSteps === null ? {} : { maxSteps }),
    ...(Object.keys(auto).length ? { auto } : {}),
  };
}

/** A tagged union so it crosses IPC and worker boundaries as plain data. */
export type TrainEvent =
  | {
      type: 'step';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      losses: Record<string, number>;
      samplesPerSecond: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      trainLoss: Record<string, number>;
      validation?: StageMetrics;
      validationLoss?: number;
      /** The measure early stopping watches (TrainConfig.monitor) is the best so far. */
      improved: boolean;
    };

export interface EpochSummary {
  epoch: number;
  trainLoss: Record<string, number>;
  validation?: StageMetrics;
  /** The model's own loss terms on the validation rows, weighted, without the constraint (see lossOn). */
  validationLoss?: number;
}

export interface TrainResult {
  status: 'completed' | 'early-stopped' | 'cancelled';
  epochsRun: number;
  /** The epoch whose weights the model holds at the end (the best by the monitored measure, when validated). */
  bestEpoch: number | null;
  /** Why it stopped before its last epoch, in words ("validation loss did not improve for 3 epochs after epoch 7"). */
  stopReason?: string;
  /** Each stage's rate in the training rows: where output biases start, and the constant predictor's values. */
  baseRates?: Partial<Record<Stage, number>>;
  /** Mean loss terms over windows of steps, for the loss curves. */
  curve: { step: number; epoch: number; losses: Record<string, number> }[];
  epochs: EpochSummary[];
  samplesPerSecond: number;
  /** Threads that computed the steps: 2 when a replica shared them (data parallel). Absent in older runs: 1. */
  threads?: number;
}

/**
 * A run with results to compare: trained to its end, or cancelled after an epoch finished (it keeps that
 * epoch's best weights, its metrics and every row's predictions). A failed run, or one cancelled before its
 * first epoch ended, has only its curves.
 */
export function hasResults(run: { status: string; metrics: { validation?: unknown; test?: unknown } }): boolean {
  if (run.status === 'failed') return false;
  return run.status !== 'cancelled' || run.metrics.validation !== undefined || run.metrics.test !== undefined;
}

/** What a run was actually computed on; recorded with every run. */
export interface BackendInfo {
  /** The choice as the user names it: node-gpu, webgpu, node, wasm or cpu. */
  name: BackendName;
  /** tfjs's own backend name (both native packages register as "tensorflow"). */
  tfjsBackend: string;
  /** Human-readable device, e.g. "CUDA GPU", "CPU (wasm SIMD)". */
  device: string;
  /** Why each preferred backend before this one was passed over. */
  skipped: { name: BackendName; reason: string }[];
}

/**
 * In the order they are tried: CUDA through libtensorflow, any GPU through WebGPU (Dawn: Vulkan, Metal, D3D12),
 * libtensorflow on the CPU, WebAssembly, plain JavaScript.
 */
export const BACKEND_NAMES = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/**
 * Where an external run's rows came from: a file of predictions made outside the lab (a production model, a
 * cluster run of esmc_torch), imported by `esmc-lab import-predictions`. The lab trained nothing, so such a run has
 * no model or training settings, and it is scored from the stages the file has.
 */
export interface ExternalSource {
  file: string;
  sha256: string;
  /** Rows in the file (every one stored). */
  rows: number;
  /** The columns that keyed each line to a row: row_id, or categorical columns of the dataset. */
  keys: string[];
  /** The stages the file has. */
  stages: Stage[];
  /** Served stages the file lacks that the chain gives (pCTCVR = pCTR·pCVR, pCVR = pCTCVR / pCTR). */
  derived: Stage[];
  /** The stages it has no values for, so views and the PSC analysis leave them out. */
  lacks: Stage[];
}

/** Everything needed to reproduce one training run, and everything it produced; plain JSON. */
export interface RunRecord {
  id: string;
  model: string;
  status: TrainResult['status'];
  startedAt: string;
  durationMs: number;
  backend: BackendInfo;
  data: {
    path: string;
    sha256: string;
    rows: number;
    split: Record<keyof SplitFractions, number>;
    findings: Finding[];
  };
  /** Absent only for an external run (the lab trained no model). */
  modelConfig?: ModelConfig;
  trainConfig?: TrainConfig;
  /** Set for predictions imported from outside the lab instead of trained here. */
  external?: ExternalSource;
  parameters: number;
  training: Omit<TrainResult, 'status'>;
  /** Metrics on the held-out splits, with the weights of the best epoch. */
  metrics: { validation?: StageMetrics; test?: StageMetrics };
  /** Did it learn? Each stage against the constant predictor on the held-out parts; absent in older runs. */
  learning?: LearningAssessment;
  savedTo?: string;
  /** Set when the data came from a project: the run and every row's predictions are stored there. */
  storedIn?: { project: string; dataset: string; split: string };
}
