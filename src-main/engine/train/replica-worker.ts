import { parentPort } from 'node:worker_threads';
import * as tf from '../tf.js';
import { initBackend } from '../backends/index.js';
import { createModel } from '../models/index.js';
import type { EntireSpaceModel } from '../models/model.js';
import { hostGradients } from './gradients.js';
import { predictRows } from './predict.js';
import type { ReplicaAnswer, ReplicaRequest } from './replica.js';

/** The replica's side of a data-parallel step (see replica.ts). */
let model: EntireSpaceModel | undefined;

async function handle(request: ReplicaRequest): Promise<ReplicaAnswer> {
  if (request.type === 'start') {
    await initBackend(request.backend);
    model = createModel(request.model.name, request.model.schema, request.model.config);
    model.params.adoptHostArrays(request.hostArrays);
    return { ok: true };
  }
  if (!model) throw new Error('the replica has no model yet');
  const variables = [...model.params.variables.values()];
  if (request.weights.length !== variables.length) throw new Error('the weights do not match the model');
  tf.tidy(() => variables.forEach((variable, i) => variable.assign(tf.tensor(request.weights[i], variable.shape))));
  if (request.type === 'predict')
    return { ok: true, stages: await predictRows(model, request.rows, request.batchSize) };
  return { ok: true, gradients: hostGradients(model, request.batch) };
}

parentPort!.on('message', (request: ReplicaRequest) => {
  handle(request).then(
    (answer) => {
      // Moved, not copied: the arrays are this answer's alone.
      const g = answer.ok ? answer.gradients : undefined;
      const stages = answer.ok && answer.stages ? (Object.values(answer.stages) as Float32Array[]) : [];
      const arrays = g ? [...g.variables, ...(g.embedded ? [g.embedded] : [])] : stages;
      const buffers = arrays.map((array) => array.buffer as ArrayBuffer);
      parentPort!.postMessage(answer, buffers);
    },
    (error: unknown) =>
      parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
