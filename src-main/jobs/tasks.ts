import type { ResultsInput } from '../api/results.js';
import type { ResultsView } from '../../src-shared/api/contract.js';
import type { BackendInfo, BackendName } from '../engine/backends/index.js';
import type { ModelConfig } from '../engine/models/index.js';
import type { PscAnalysis, PscInput } from '../engine/psc/index.js';
import type { RunRecord, TrainingSource } from '../engine/run.js';
import type { SimulationStats, SimulatorConfig } from '../engine/simulate/simulator.js';
import type { RunPredictions } from '../engine/store/runs.js';
import type { TrainEvent, TrainSettings } from '../engine/train/trainer.js';
import type { EncodedDataset } from '../engine/data/dataset.js';
import type { RemoteRows } from './rows-channel.js';

/** What the main thread asks a worker thread to do; plain data and typed arrays, so it crosses as is. */
export type WorkerTask =
  | {
      kind: 'train';
      model: string;
      source: WorkerTrainingSource;
      modelConfig?: Partial<ModelConfig>;
      trainConfig?: Partial<TrainSettings>;
      backend?: BackendName;
      /** Threads for this model (a replica on the second; see TrainModelOptions.threads). */
      threads?: number;
      /** A StopFlag's memory: set, the model stops after its current step and keeps its best epoch. */
      stop?: SharedArrayBuffer;
    }
  | { kind: 'analyse'; input: PscInput }
  | { kind: 'results'; input: ResultsInput }
  | { kind: 'simulate'; config: SimulatorConfig; out: string }
  | { kind: 'backend'; requested?: BackendName };

export type TaskKind = WorkerTask['kind'];

/**
 * A training source as it crosses to a worker: parts in (shared) memory, read by the main thread from the store,
 * or training rows streamed from the store through a port (see rows-channel.ts).
 */
export type WorkerTrainingSource = Omit<TrainingSource, 'parts'> & {
  parts: { train: EncodedDataset | RemoteRows; validation: EncodedDataset; test: EncodedDataset };
};

export interface TaskResults {
  /**
   * The run as trained (not yet stored) and every row's predictions, train, validation and test; none for a
   * run stopped before its first epoch ended.
   */
  train: { record: RunRecord; predictions?: RunPredictions };
  analyse: PscAnalysis;
  results: ResultsView;
  simulate: SimulationStats;
  backend: BackendInfo;
}

/** What a worker sends back: progress while it works, then exactly one 'done' or 'failed'. */
export type WorkerMessage =
  | { type: 'train-event'; event: TrainEvent }
  | { type: 'rows-written'; rows: number }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: { name: string; message: string } };
