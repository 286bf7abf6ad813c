import type { Worker } from 'node:worker_threads';
import type * as tf from '../tf.js';
import { sliceRows, type EncodedDataset } from '../data/dataset.js';
import type { FieldRange, SparseLookup } from '../layers/embedding.js';
import type { EntireSpaceModel } from '../models/model.js';
import { activeBackend, type BackendName } from '../backends/index.js';
import { startWorker } from '../workers/start.js';
import type { AdamSettings, MomentArrays } from './adam.js';
import type { HostGradients } from './gradients.js';
import type { PredictionTarget, StageArrays } from './predict.js';

/** The leader's part of a batch's embedding gradient, which the replica adds to its own part. */
export interface EmbeddingPart {
  lookup: SparseLookup;
  embedded: Float32Array;
  rows: number;
}

/** What the leader asks of its replica, and what the replica answers (in the order asked). */
export type ReplicaRequest =
  | {
      type: 'start';
      backend: BackendName;
      model: Pick<EntireSpaceModel, 'schema' | 'config'> & { name: string };
      hostArrays: Record<string, Float32Array>;
    }
  | {
      type: 'begin-training';
      adam: AdamSettings;
      weights: Float32Array[];
      tableMoments: MomentArrays;
      tableFields: FieldRange;
    }
  /** Without weights: those given to begin-training, which the leader's optimiser keeps current. */
  | { type: 'gradients'; weights?: Float32Array[]; batch: EncodedDataset }
  | { type: 'update-embedding'; leaderPart: EmbeddingPart }
  | { type: 'predict'; weights: Float32Array[]; rows: EncodedDataset; batchSize: number; into?: PredictionTarget };

export type ReplicaAnswer =
  { ok: true; gradients?: HostGradients; stages?: StageArrays } | { ok: false; error: string };

const WORKER_MODULE = new URL('./replica-worker.js', import.meta.url);

/**
 * A copy of a model on another worker thread, for data parallelism on a second core: it computes the gradients
 * of part of each training batch, updates its share of the embedding table for the whole batch (while the
 * leader updates the towers and the rest of the table), and predicts part of the rows. The table and its
 * optimiser's moments are shared memory; so are the tower weights during a training run (the leader's optimiser
 * writes them between steps), which otherwise travel with each request. Requests are answered in the order they
 * were made. Only for backends whose tensors live in host memory (cpu, wasm).
 */
export class ModelReplica {
  private readonly pending: { resolve: (answer: ReplicaAnswer) => void; reject: (error: Error) => void }[] = [];
  private failure?: Error;
  /** Gradient and prediction requests answered: what a caller (or a test) reads to see the replica took work. */
  requestsServed = 0;
  private weightsShared = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: ReplicaAnswer) => this.pending.shift()?.resolve(answer));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the model replica's thread stopped (exit code ${code})`)));
  }

  static async start(model: EntireSpaceModel, backend: BackendName = activeBackend().name): Promise<ModelReplica> {
    const replica = new ModelReplica(startWorker(WORKER_MODULE));
    try {
      await replica.request({
        type: 'start',
        backend,
        model: { name: model.info.name, schema: model.schema, config: model.config },
        hostArrays: model.params.sharedHostArrays(),
      });
    } catch (error) {
      await replica.close();
      throw error;
    }
    return replica;
  }

  /**
   * A new training run. Until `endTraining`, the tower weights are read from `weights.arrays`, shared memory
   * which the leader's optimiser updates in place (`HostAdam`'s written arrays), instead of travelling with
   * every step. The replica's lazy Adam updates the embedding table's rows of `table.fields`, with moments in
   * `table.moments` (shared: the leader updates the other fields' rows).
   */
  async beginTraining(
    adam: AdamSettings,
    weights: SharedWeights,
    table: { moments: MomentArrays; fields: FieldRange },
  ): Promise<void> {
    await this.request({
      type: 'begin-training',
      adam,
      weights: weights.arrays,
      tableMoments: table.moments,
      tableFields: table.fields,
    });
    this.weightsShared = true;
  }

  /** The run is over: the weights travel with each request again (they may change without the optimiser). */
  endTraining(): void {
    this.weightsShared = false;
  }

  /**
   * The gradients of `batch`, its embedding part included (of which the replica keeps a copy for
   * `updateEmbedding`).
   */
  async gradients(model: EntireSpaceModel, batch: EncodedDataset): Promise<HostGradients> {
    const { rows, transfer } = portable(batch);
    const weights = this.weightsShared ? undefined : readWeights(model);
    const { gradients } = await this.request({ type: 'gradients', weights, batch: rows }, transfer);
    this.requestsServed++;
    return gradients!;
  }

  /**
   * One lazy Adam step of the replica's fields of the embedding table for the whole batch: the leader's part
   * plus the replica's own from its last `gradients`, each weighted by its rows. Resolves once they are written.
   */
  async updateEmbedding(leaderPart: EmbeddingPart): Promise<void> {
    await this.request({ type: 'update-embedding', leaderPart });
  }

  /** Predicts `rows` into a shared-memory target (its arrays made already): nothing comes back but the news. */
  async predictInto(
    model: EntireSpaceModel,
    rows: EncodedDataset,
    batchSize: number,
    into: PredictionTarget,
  ): Promise<void> {
    const part = portable(rows);
    await this.request(
      { type: 'predict', weights: readWeights(model), rows: part.rows, batchSize, into },
      part.transfer,
    );
    this.requestsServed++;
  }

  async predict(model: EntireSpaceModel, rows: EncodedDataset, batchSize: number): Promise<StageArrays> {
    const part = portable(rows);
    const request = { type: 'predict', weights: readWeights(model), rows: part.rows, batchSize } as const;
    const { stages } = await this.request(request, part.transfer);
    this.requestsServed++;
    return stages!;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.fail(new Error('the model replica was closed'));
    await this.worker.terminate();
  }

  private async request(
    request: ReplicaRequest,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<ReplicaAnswer, { ok: true }>> {
    if (this.failure) throw this.failure;
    const answer = await new Promise<ReplicaAnswer>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(request, transfer);
    });
    if (!answer.ok) throw new Error(`the model replica failed: ${answer.error}`);
    return answer;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.splice(0)) pending.reject(error);
  }
}

/**
 * Rows as they cross to the replica: shared memory as it is (both threads read it, nothing is copied); anything
 * else copied into arrays of its own and moved (posting a view of a larger array would copy the whole array,
 * e.g. the whole training part for each half it predicts).
 */
function portable(rows: EncodedDataset): { rows: EncodedDataset; transfer: ArrayBuffer[] } {
  if (rows.categorical.buffer instanceof SharedArrayBuffer) return { rows, transfer: [] };
  const copy = sliceRows(rows, 0, rows.rows, true);
  const arrays = [
    copy.categorical,
    copy.dense,
    ...copy.multiHot,
    ...Object.values(copy.labels),
    copy.userIds,
    copy.rowIds,
    ...Object.values(copy.truth ?? {}),
  ];
  return { rows: copy, transfer: arrays.flatMap((array) => (array ? [array.buffer as ArrayBuffer] : [])) };
}

/** A model's tower weights copied into shared memory, by variable and in `params.variables` order. */
export interface SharedWeights {
  byVariable: Map<tf.Variable, Float32Array>;
  arrays: Float32Array[];
}

export function shareWeights(model: EntireSpaceModel): SharedWeights {
  const variables = [...model.params.variables.values()];
  const arrays = readWeights(model).map((values) => {
    const shared = new Float32Array(new SharedArrayBuffer(values.byteLength));
    shared.set(values);
    return shared;
  });
  return { byVariable: new Map(variables.map((variable, i) => [variable, arrays[i]])), arrays };
}

/** The tower weights, in `params.variables` order, as the replica assigns them. */
function readWeights(model: EntireSpaceModel): Float32Array[] {
  return [...model.params.variables.values()].map((variable) => variable.dataSync() as Float32Array);
}
