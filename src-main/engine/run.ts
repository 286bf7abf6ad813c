import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { activeBackend, initBackend, type BackendInfo, type BackendName } from './backends/index.js';
import type { EncodedDataset } from './data/dataset.js';
import {
  loadCsvDataset,
  type FeatureEncoding,
  type Finding,
  type LoadCsvOptions,
  type LoadedDataset,
} from './data/encode.js';
import { splitRows, takeSplit, type SplitFractions } from './data/split.js';
import type { StageMetrics } from './metrics/index.js';
import { createModel, DEFAULT_MODEL_CONFIG, type EntireSpaceModel, type ModelConfig } from './models/index.js';
import { saveModel } from './train/checkpoint.js';
import {
  DEFAULT_TRAIN_CONFIG,
  evaluate,
  train,
  type TrainConfig,
  type TrainEvent,
  type TrainResult,
} from './train/trainer.js';

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
}

export interface TrainRunOptions {
  dataPath: string;
  models: string[];
  modelConfig?: Partial<ModelConfig>;
  trainConfig?: Partial<TrainConfig>;
  split?: SplitFractions;
  splitSeed?: number;
  load?: LoadCsvOptions;
  backend?: BackendName;
  /** Where to save each trained model; "{model}" is replaced by the model's name. */
  savePath?: string;
  onEvent?: (model: string, event: TrainEvent | { type: 'loaded'; rows: number; findings: Finding[] }) => void;
  /** Called with each trained model (best weights) before it is disposed, e.g. to predict for an analysis. */
  onTrained?: (
    model: EntireSpaceModel,
    parts: Record<keyof SplitFractions, EncodedDataset>,
    loaded: LoadedDataset,
  ) => Promise<void>;
  signal?: AbortSignal;
}

export const DEFAULT_SPLIT: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };

/** Loads a CSV, splits it once, and trains each model on the same rows: the CLI's `train`, headless. */
export async function trainRun(options: TrainRunOptions): Promise<RunRecord[]> {
  const backend = await initBackend(options.backend);
  const [loaded, sha256] = await Promise.all([
    loadCsvDataset(options.dataPath, options.load),
    fileSha256(options.dataPath),
  ]);
  options.onEvent?.('', { type: 'loaded', rows: loaded.dataset.rows, findings: loaded.findings });
  const fractions = options.split ?? DEFAULT_SPLIT;
  const parts = takeSplit(loaded.dataset, splitRows(loaded.dataset.rows, fractions, options.splitSeed ?? 1));
  const records: RunRecord[] = [];
  for (const name of options.models) {
    if (options.signal?.aborted) break;
    const modelConfig: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...options.modelConfig };
    const trainConfig: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...options.trainConfig };
    const model = createModel(name, loaded.dataset.schema, modelConfig);
    try {
      const startedAt = new Date();
      const validation = parts.validation.rows > 0 ? parts.validation : undefined;
      const { status, ...training } = await train(model, { train: parts.train, validation }, trainConfig, {
        signal: options.signal,
        onEvent: (event) => options.onEvent?.(name, event),
      });
      const metrics = {
        validation: validation && (await evaluate(model, validation)),
        test: parts.test.rows > 0 ? await evaluate(model, parts.test) : undefined,
      };
      const record: RunRecord = {
        id: randomUUID(),
        model: name,
        status,
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        backend: activeBackend() ?? backend,
        data: {
          path: options.dataPath,
          sha256,
          rows: loaded.dataset.rows,
          split: { train: parts.train.rows, validation: parts.validation.rows, test: parts.test.rows },
          findings: loaded.findings,
        },
        modelConfig,
        trainConfig,
        parameters: model.params.count(),
        training,
        metrics,
      };
      if (status !== 'cancelled') await options.onTrained?.(model, parts, loaded);
      if (options.savePath && status !== 'cancelled') {
        record.savedTo = options.savePath.replaceAll('{model}', name);
        await saveModel<FeatureEncoding, Omit<RunRecord, 'savedTo'>>(record.savedTo, model, loaded.encoding, record);
      }
      records.push(record);
    } finally {
      model.dispose();
    }
  }
  return records;
}

export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
