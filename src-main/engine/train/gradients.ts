import * as tf from '../tf.js';
import type { EncodedDataset } from '../data/dataset.js';
import type { SparseLookup } from '../layers/embedding.js';
import type { EntireSpaceModel, LabelTensors } from '../models/model.js';

/** One batch's loss and gradients, as tensors (call inside tf.tidy and keep what outlives it). */
export interface TensorGradients {
  /** "total", then each loss term. */
  lossNames: string[];
  /** The losses in `lossNames` order. */
  losses: tf.Tensor1D;
  /** By variable, in `model.params.variables` order; undefined where the loss does not reach a variable. */
  variables: (tf.Tensor | undefined)[];
  /** A sparse embedding: the gradient of the looked-up rows, and which table rows they were. */
  embedded?: tf.Tensor;
  lookup?: SparseLookup;
}

export function tensorGradients(model: EntireSpaceModel, batch: EncodedDataset): TensorGradients {
  const inputs = model.inputs(batch);
  const labels = labelTensors(batch);
  const variables = [...model.params.variables.values()];
  const xs: tf.Tensor[] = inputs.embedded ? [...variables, inputs.embedded] : variables;
  let lossNames: string[] = [];
  let terms: tf.Scalar[] = [];
  const { value, grads } = tf.engine().gradients(
    () => {
      const loss = model.loss(inputs, labels, true);
      lossNames = ['total', ...Object.keys(loss.terms)];
      terms = Object.values(loss.terms).map((term) => tf.keep(term));
      return loss.total;
    },
    xs,
    undefined,
    true,
  );
  const losses = tf.stack([value, ...terms]) as tf.Tensor1D;
  tf.dispose(terms);
  return {
    lossNames,
    losses,
    variables: variables.map((_, i) => grads[i]),
    ...(inputs.embedded && { embedded: grads[variables.length], lookup: inputs.lookup }),
  };
}

/** The same, read into host memory: what one replica of a data-parallel step sends the other. */
export interface HostGradients {
  rows: number;
  losses: Record<string, number>;
  /** By variable, in `model.params.variables` order; undefined where the loss does not reach a variable. */
  variables: (Float32Array | undefined)[];
  embedded?: Float32Array;
  lookup?: SparseLookup;
}

export function hostGradients(model: EntireSpaceModel, batch: EncodedDataset): HostGradients {
  const scope = tf.engine();
  scope.startScope();
  try {
    const gradients = tensorGradients(model, batch);
    const values = gradients.losses.dataSync();
    const read = (tensor: tf.Tensor) => (tensor.dataSync() as Float32Array).slice();
    return {
      rows: batch.rows,
      losses: Object.fromEntries(gradients.lossNames.map((name, i) => [name, values[i]])),
      variables: gradients.variables.map((gradient) => gradient && read(gradient)),
      ...(gradients.embedded && { embedded: read(gradients.embedded), lookup: gradients.lookup }),
    };
  } finally {
    scope.endScope();
  }
}

/**
 * The loss and variable gradients of a whole batch from those of its parts: each part's loss is a mean over its
 * rows (or a term of the parameters alone), so the batch's are the parts' weighted by their share of the rows.
 * (The embedding's part goes to `FeatureEmbedding.rowGradients`, which weighs the parts itself.)
 */
export function combineGradients(parts: HostGradients[]): Pick<HostGradients, 'rows' | 'losses' | 'variables'> {
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const weights = parts.map((part) => part.rows / rows);
  const losses: Record<string, number> = {};
  for (const name of Object.keys(parts[0].losses))
    losses[name] = parts.reduce((sum, part, p) => sum + weights[p] * part.losses[name], 0);
  // A variable the loss reaches in one part it reaches in every part (the same model, the same terms).
  const variables = parts[0].variables.map((first, v) => {
    if (!first) return undefined;
    const out = new Float32Array(first.length);
    parts.forEach((part, p) => {
      const [values, weight] = [part.variables[v]!, weights[p]];
      for (let i = 0; i < out.length; i++) out[i] += weight * values[i];
    });
    return out;
  });
  return { rows, losses, variables };
}

export function labelTensors(batch: EncodedDataset): LabelTensors {
  const { click, action, purchase } = batch.labels;
  return {
    click: tf.tensor1d(click),
    action: action && tf.tensor1d(action),
    purchase: tf.tensor1d(purchase),
  };
}
