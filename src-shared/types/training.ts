/**
 * The plain-JSON shapes of models, training and runs (see src-main/engine): configs, events, results and the run
 * record. Pure types and constants only.
 */
import type { Finding, SplitFractions } from './data.js';
import type { StageMetrics } from './metrics.js';

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

export const DEFAULT_CONSTRAINT: ConstraintConfig = {
  lambda: 1e-2,
  layers: 'hidden',
  distance: 'l2',
  gradient: 'both',
};

export interface ModelConfig {
  embeddingDim: number;
  tower: TowerConfig;
  /** Weight of each loss term by name (ctr, ctavr, ctcvr, cvr, constraint…); absent terms weigh 1. */
  lossWeights: Record<string, number>;
  /** Used by esmc / esmg; λ is `constraint.lambda`. */
  constraint: ConstraintConfig;
  /** Seeds the initial weights (and dropout). */
  seed: number;
  /**
   * 'sparse' (default for new models) keeps the embedding table on the host and updates only the rows a batch
   * touches; 'dense' is the plain tfjs path, and what configs without this field (older saved models) mean.
   */
  embedding?: EmbeddingMode;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  embeddingDim: 8,
  tower: { hidden: [64, 32], activation: 'relu', dropout: 0 },
  lossWeights: {},
  constraint: DEFAULT_CONSTRAINT,
  seed: 1,
  embedding: 'sparse',
};

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
  /**
   * False when a loss term averages over a subset of rows (e.g. the clicked ones): a batch's gradient is then
   * not its parts' gradients weighted by rows, and the model trains on one thread. Default true.
   */
  lossIsRowMean?: boolean;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 added to every gradient (PyTorch Adam's `weight_decay`); 0 turns it off. */
  weightDecay: number;
  /** Seeds the shuffling; the model's own seed fixes initial weights and dropout. */
  seed: number;
  /** Stop after this many epochs without a better validation CVR AUC; null trains every epoch. */
  patience: number | null;
  /** Minimum time between step events, so a UI over IPC is not flooded. */
  progressIntervalMs: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 5,
  batchSize: 1024,
  learningRate: 1e-3,
  weightDecay: 0,
  seed: 1,
  patience: 2,
  progressIntervalMs: 250,
};

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
  | { type: 'epoch'; epoch: number; trainLoss: Record<string, number>; validation?: StageMetrics; improved: boolean };

export interface EpochSummary {
  epoch: number;
  trainLoss: Record<string, number>;
  validation?: StageMetrics;
}

export interface TrainResult {
  status: 'completed' | 'early-stopped' | 'cancelled';
  epochsRun: number;
  /** The epoch whose weights the model holds at the end (the best by validation CVR AUC, when validated). */
  bestEpoch: number | null;
  /** Mean loss terms over windows of steps, for the loss curves. */
  curve: { step: number; epoch: number; losses: Record<string, number> }[];
  epochs: EpochSummary[];
  samplesPerSecond: number;
  /** Threads that computed the steps: 2 when a replica shared them (data parallel). Absent in older runs: 1. */
  threads?: number;
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
  modelConfig: ModelConfig;
  trainConfig: TrainConfig;
  parameters: number;
  training: Omit<TrainResult, 'status'>;
  /** Metrics on the held-out splits, with the weights of the best epoch. */
  metrics: { validation?: StageMetrics; test?: StageMetrics };
  savedTo?: string;
  /** Set when the data came from a project: the run and every row's predictions are stored there. */
  storedIn?: { project: string; dataset: string; split: string };
}
