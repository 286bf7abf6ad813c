import type { Worker } from 'node:worker_threads';
import type { EncodedDataset } from '../data/dataset.js';
import type { EntireSpaceModel } from '../models/model.js';
import { activeBackend, type BackendName } from '../backends/index.js';
import { startWorker } from '../workers/start.js';
import type { HostGradients } from './gradients.js';
import type { StageArrays } from './predict.js';

/** What the leader asks of its replica, and what the replica answers. */
export type ReplicaRequest =
  | {
      type: 'start';
      backend: BackendName;
      model: Pick<EntireSpaceModel, 'schema' | 'config'> & { name: string };
      hostArrays: Record<string, Float32Array>;
    }
  | { type: 'gradients'; weights: Float32Array[]; batch: EncodedDataset }
  | { type: 'predict'; weights: Float32Array[]; rows: EncodedDataset; batchSize: number };

export type ReplicaAnswer =
  { ok: true; gradients?: HostGradients; stages?: StageArrays } | { ok: false; error: string };

const WORKER_MODULE = new URL('./replica-worker.js', import.meta.url);

/**
 * A copy of a model on another worker thread, for data parallelism on a second core: it computes the gradients
 * of part of each training batch, and predicts part of the rows. The copy reads the leader's embedding table
 * itself (shared memory); the tower weights travel with every request, since the leader's optimiser changes
 * them every step. One request at a time. Only for backends whose tensors live in host memory (cpu, wasm).
 */
export class ModelReplica {
  private pending?: { resolve: (answer: ReplicaAnswer) => void; reject: (error: Error) => void };
  private failure?: Error;
  /** Gradient and prediction requests answered: what a caller (or a test) reads to see the replica took work. */
  requestsServed = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: ReplicaAnswer) => this.settle((p) => p.resolve(answer)));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the training replica's thread stopped (exit code ${code})`)));
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

  async gradients(model: EntireSpaceModel, batch: EncodedDataset): Promise<HostGradients> {
    const { gradients } = await this.request({ type: 'gradients', weights: readWeights(model), batch });
    this.requestsServed++;
    return gradients!;
  }

  async predict(model: EntireSpaceModel, rows: EncodedDataset, batchSize: number): Promise<StageArrays> {
    const { stages } = await this.request({ type: 'predict', weights: readWeights(model), rows, batchSize });
    this.requestsServed++;
    return stages!;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private async request(request: ReplicaRequest): Promise<Extract<ReplicaAnswer, { ok: true }>> {
    if (this.failure) throw this.failure;
    if (this.pending) throw new Error('the training replica is busy');
    const answer = await new Promise<ReplicaAnswer>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request);
    });
    if (!answer.ok) throw new Error(`the training replica failed: ${answer.error}`);
    return answer;
  }

  private settle(outcome: (pending: NonNullable<ModelReplica['pending']>) => void): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) outcome(pending);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.settle((p) => p.reject(error));
  }
}

/** The tower weights, in `params.variables` order, as the replica assigns them. */
function readWeights(model: EntireSpaceModel): Float32Array[] {
  return [...model.params.variables.values()].map((variable) => variable.dataSync() as Float32Array);
}
