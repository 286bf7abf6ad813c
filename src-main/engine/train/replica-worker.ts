import { parentPort } from 'node:worker_threads';
import * as tf from '../tf.js';
import { initBackend } from '../backends/index.js';
import { createModel } from '../models/index.js';
import type { EntireSpaceModel } from '../models/model.js';
import { SparseAdam } from './adam.js';
import { hostGradients, type HostGradients } from './gradients.js';
import { predictRows } from './predict.js';
import type { ReplicaAnswer, ReplicaRequest } from './replica.js';
import type { FieldRange } from '../layers/embedding.js';

/** The replica's side (see replica.ts). */
let model: EntireSpaceModel | undefined;
let embeddingAdam: SparseAdam | undefined;
/** This replica's part of the last batch, kept for the embedding update that follows. */
let ownPart: HostGradients | undefined;
/** The training run's tower weights, in shared memory that the leader's optimiser updates between steps. */
let trainingWeights: Float32Array[] | undefined;
/** The fields of the embedding table whose rows this replica updates (the leader updates the others). */
let tableFields: FieldRange | undefined;

async function handle(request: ReplicaRequest): Promise<ReplicaAnswer> {
  if (request.type === 'start') {
    await initBackend(request.backend);
    model = createModel(request.model.name, request.model.schema, request.model.config);
    model.params.adoptHostArrays(request.hostArrays);
    return { ok: true };
  }
  if (!model) throw new Error('the replica has no model yet');
  const embedding = model.sparseEmbedding;
  switch (request.type) {
    case 'begin-training':
      embeddingAdam =
        embedding && new SparseAdam(embedding.hostValues, embedding.dim, request.adam, request.tableMoments);
      ownPart = undefined;
      trainingWeights = request.weights;
      tableFields = request.tableFields;
      return { ok: true };
    case 'update-embedding': {
      if (!embedding || !embeddingAdam) throw new Error('no embedding to update: begin-training first');
      // The replica's own part, unless the leader computed this (short) batch alone.
      const parts = [
        request.leaderPart,
        ...(ownPart ? [{ ...ownPart, embedded: ownPart.embedded!, lookup: ownPart.lookup! }] : []),
      ];
      const rows = parts.reduce((sum, part) => sum + part.rows, 0);
      const weighted = parts.map((part) => ({ ...part, weight: part.rows / rows }));
      embeddingAdam.step(embedding.rowGradients(weighted, tableFields));
      ownPart = undefined;
      return { ok: true };
    }
    case 'gradients':
    case 'predict': {
      const variables = [...model.params.variables.values()];
      const weights = request.weights ?? trainingWeights;
      if (!weights) throw new Error('no weights to compute with: begin-training first');
      if (weights.length !== variables.length) throw new Error('the weights do not match the model');
      // Shared weights are copied: the cpu backend keeps the array a tensor is made from, and the leader
      // writes these in place at its next step (the wasm backend copies them onto its heap anyway).
      const copied = tf.getBackend() !== 'wasm';
      const own = (values: Float32Array) =>
        copied && values.buffer instanceof SharedArrayBuffer ? values.slice() : values;
      tf.tidy(() => variables.forEach((variable, i) => variable.assign(tf.tensor(own(weights[i]), variable.shape))));
      if (request.type === 'predict') {
        const stages = await predictRows(model, request.rows, request.batchSize, undefined, request.into);
        // Written into the leader's shared arrays: nothing to send back.
        return request.into ? { ok: true } : { ok: true, stages };
      }
      ownPart = hostGradients(model, request.batch);
      // The embedding part stays here for the update that follows, and a copy goes to the leader (moved), which
      // updates the other fields' rows.
      const { categoricalRows, bagRows, bagScale } = ownPart.lookup!;
      const lookup = {
        categoricalRows: categoricalRows.slice(),
        bagRows: bagRows.map((rows) => rows.slice()),
        bagScale: bagScale.map((scale) => scale.slice()),
      };
      return { ok: true, gradients: { ...ownPart, embedded: ownPart.embedded!.slice(), lookup } };
    }
  }
}

/** One request at a time, in order: the leader matches answers to requests by their order. */
let queue = Promise.resolve();

parentPort!.on('message', (request: ReplicaRequest) => {
  queue = queue.then(() =>
    handle(request).then(
      (answer) => {
        // Moved, not copied: the arrays are this answer's alone.
        const gradients = answer.ok ? answer.gradients : undefined;
        const lookup = gradients?.lookup;
        const arrays = answer.ok
          ? [
              ...(gradients?.variables ?? []).filter((array) => array !== undefined),
              ...(gradients?.embedded ? [gradients.embedded] : []),
              ...(lookup ? [lookup.categoricalRows, ...lookup.bagRows, ...lookup.bagScale] : []),
              ...(Object.values(answer.stages ?? {}) as Float32Array[]),
            ]
          : [];
        parentPort!.postMessage(
          answer,
          arrays.map((array) => array.buffer as ArrayBuffer),
        );
      },
      (error: unknown) =>
        parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    ),
  );
});
