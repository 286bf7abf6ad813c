/**
 * The analytic gradients of every model's total loss against central finite differences, and the embedding
 * table's gradient (the custom UnsortedSegmentSum kernel, backends/segment-sum.ts) on cpu and wasm.
 *
 * Finite differences run in float32 like the models, so the check is made robust to rounding rather than exact:
 * step h = 1e-3 (the actual float32 step is used; smaller when a ReLU kink lies within it), the weighted sum of the
 * loss terms is taken in float64, and |fd − analytic| ≤ 2e-3 + 5e-2·|analytic|. A gradient that drops a term or
 * is off by 25% fails that (see "the check has teeth").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import type { EncodedDataset, FeatureSchema } from '../../src-main/engine/data/dataset.js';
import { DEFAULT_CONSTRAINT, type ConstraintConfig } from '../../src-main/engine/layers/constraint.js';
import {
  createModel,
  modelInfo,
  type EntireSpaceModel,
  type ModelConfig,
  type ModelName,
} from '../../src-main/engine/models/index.js';
import { DEFAULT_COUNTERFACTUAL, type CounterfactualConfig } from '../../src-shared/types/training.js';
import type { LabelTensors } from '../../src-main/engine/models/model.js';
import { Random } from '../../src-main/engine/random.js';
import * as tf from '../../src-main/engine/tf.js';
import { disposeInputs } from '../../src-main/engine/layers/embedding.js';

/** Steps tried in turn while a ReLU kink lies within the step (see `finiteDifference`). */
const STEPS = [1e-3, 2.5e-4, 6e-5];
/** |forward − backward slope| above this is a kink: smooth coordinates here stay below 1.5e-3, a kink gave 2e-2. */
const KINK = 5e-3;
const ABSOLUTE = 2e-3;
const RELATIVE = 5e-2;
const ROWS = 12;

// What the run observed, printed at the end for the record.
let checked = 0;
let shrunk = 0;
let worstFd = 0;
let worstFdAbsolute = 0;
let worstBackendGap = 0;

const SCHEMA: FeatureSchema = {
  categorical: [
    { name: 'user', vocabSize: 12 },
    { name: 'item', vocabSize: 9 },
    { name: 'shop', vocabSize: 5 },
  ],
  multiHot: [
    { name: 'tags', vocabSize: 10, maxLength: 4, pooling: 'mean' },
    { name: 'cats', vocabSize: 7, maxLength: 3, pooling: 'sum' },
  ],
  dense: [{ name: 'price' }, { name: 'age' }],
};

interface Case {
  name: string;
  model: string;
  constraint?: Partial<ConstraintConfig>;
  lossWeights?: Record<string, number>;
  counterfactual?: Partial<CounterfactualConfig>;
}

// λ keeps the constraint term near 1, so its float32 rounding stays well below the tolerance, while its gradient
// (2λ·Δθ for l2) is still far above it.
const CASES: Case[] = [
  { name: 'naive', model: 'naive' },
  { name: 'esmm', model: 'esmm', lossWeights: { ctcvr: 2 } },
  { name: 'chain', model: 'chain' },
  { name: 'esm2', model: 'esm2', lossWeights: { ctr: 0.5, ctavr: 1.5 } },
  { name: 'esmc l2 hidden both', model: 'esmc', constraint: { lambda: 0.05 } },
  { name: 'esmc cosine', model: 'esmc', constraint: { lambda: 0.5, distance: 'cosine' } },
  { name: 'esmc cvr-only', model: 'esmc', constraint: { lambda: 0.05, gradient: 'cvr-only' } },
  { name: 'esmc all layers', model: 'esmc', constraint: { lambda: 0.05, layers: 'all' } },
  {
    name: 'esmc cosine, all layers, cvr-only',
    model: 'esmc',
    constraint: { lambda: 0.5, distance: 'cosine', layers: 'all', gradient: 'cvr-only' },
    lossWeights: { constraint: 2 },
  },
  { name: 'esms', model: 'esms' },
  { name: 'esmg', model: 'esmg', constraint: { lambda: 0.05 } },
  { name: 'aitm', model: 'aitm' },
  { name: 'aitm, calibrator weighted', model: 'aitm', lossWeights: { calibrator: 3, ctavr: 0.5 } },
  // The inverse propensity is a constant to the optimiser, while a finite difference through the CTR tower (or the
  // embedding under it) moves it too: at a cap of 1 every weight is the click itself, so every coordinate is
  // checked; at the default cap only the coordinates downstream of the propensity are (see `movesPropensity`).
  { name: 'escm2-ips, weights at the cap', model: 'escm2-ips', counterfactual: { maxWeight: 1 } },
  { name: 'escm2-ips', model: 'escm2-ips' },
  { name: 'escm2-ips self-normalised', model: 'escm2-ips', counterfactual: { normalise: 'self' } },
  { name: 'escm2-dr, weights at the cap', model: 'escm2-dr', counterfactual: { maxWeight: 1 } },
  { name: 'escm2-dr', model: 'escm2-dr' },
  { name: 'dcmt, weights at the cap', model: 'dcmt', counterfactual: { maxWeight: 1 }, lossWeights: { twin: 0.5 } },
  { name: 'dcmt', model: 'dcmt', lossWeights: { twin: 0.5 } },
];

/** A coordinate that moves the CTR tower's output, which a propensity-weighted model holds constant in its weights. */
function movesPropensity(c: Case, name: string): boolean {
  const { usesPropensity } = modelInfo(c.model as ModelName);
  const maxWeight = { ...DEFAULT_COUNTERFACTUAL, ...c.counterfactual }.maxWeight;
  return Boolean(usesPropensity) && maxWeight > 1 && (name === 'embedding' || name.startsWith('ctr.'));
}

function config(c: Case): ModelConfig {
  return {
    embeddingDim: 4,
    tower: { hidden: [8, 4], activation: 'relu', dropout: 0 },
    lossWeights: c.lossWeights ?? {},
    constraint: { ...DEFAULT_CONSTRAINT, ...c.constraint },
    counterfactual: { ...DEFAULT_COUNTERFACTUAL, ...c.counterfactual },
    seed: 7,
  };
}

/**
 * A small batch. Categorical ids stay in the lower ~60% of each vocabulary and bag ids avoid 0 (the row that
 * padding reads with mask 0) and the last id, so some table rows must get no gradient at all.
 */
function randomData(random: Random): EncodedDataset {
  const categorical = new Int32Array(ROWS * SCHEMA.categorical.length);
  for (let i = 0; i < categorical.length; i++) {
    const vocab = SCHEMA.categorical[i % SCHEMA.categorical.length].vocabSize;
    categorical[i] = random.int(Math.ceil(vocab * 0.6));
  }
  const multiHot = SCHEMA.multiHot.map((field) => {
    const ids = new Int32Array(ROWS * field.maxLength).fill(-1);
    for (let row = 1; row < ROWS; row++) {
      // row 0 is all padding
      for (let slot = 0; slot < field.maxLength; slot++)
        if (random.next() < 0.6) ids[row * field.maxLength + slot] = 1 + random.int(field.vocabSize - 2);
    }
    return ids;
  });
  const dense = Float32Array.from({ length: ROWS * SCHEMA.dense.length }, () => random.normal());
  const click = new Float32Array(ROWS);
  const action = new Float32Array(ROWS);
  const purchase = new Float32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    click[i] = random.next() < 0.6 ? 1 : 0;
    action[i] = click[i] && random.next() < 0.5 ? 1 : 0;
    purchase[i] = click[i] && random.next() < 0.5 ? 1 : 0;
  }
  purchase[1] = click[1] = 1; // a direct purchase, b = 1 with a = 0
  action[1] = 0;
  return { schema: SCHEMA, rows: ROWS, categorical, multiHot, dense, labels: { click, action, purchase } };
}

/** Wider than the default init, so that every path carries a visible gradient: N(0, 0.5²) and U(±1.5/√fanIn). */
function randomWeights(
  model: EntireSpaceModel,
  random: Random,
): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, variable] of model.params.variables) {
    const fanIn = name === 'embedding' ? 0 : model.params.get(name.replace(/bias$/, 'kernel')).shape[0];
    const draw =
      name === 'embedding' ? () => 0.5 * random.normal() : () => random.uniform(-1.5, 1.5) / Math.sqrt(fanIn);
    out[name] = { shape: [...variable.shape], data: Float32Array.from({ length: variable.size }, draw) };
  }
  return out;
}

/** The fused-table rows the batch reads with a non-zero weight: categorical fields, then present bag ids. */
function usedRows(data: EncodedDataset): Set<number> {
  const used = new Set<number>();
  let offset = 0;
  const fields = SCHEMA.categorical.length;
  SCHEMA.categorical.forEach((field, f) => {
    for (let row = 0; row < data.rows; row++) used.add(offset + data.categorical[row * fields + f]);
    offset += field.vocabSize;
  });
  SCHEMA.multiHot.forEach((field, f) => {
    for (const id of data.multiHot[f]) if (id >= 0) used.add(offset + id);
    offset += field.vocabSize;
  });
  return used;
}

interface Setup {
  model: EntireSpaceModel;
  inputs: ReturnType<EntireSpaceModel['inputs']>;
  labels: LabelTensors;
  data: EncodedDataset;
  dispose(): void;
}

/** The same model, weights and batch for a case on whatever backend is active (same seeds → same values). */
function setup(c: Case): Setup {
  const random = new Random(1234 + CASES.indexOf(c));
  const data = randomData(random);
  const model = createModel(c.model, SCHEMA, config(c));
  model.params.assign(randomWeights(model, random));
  const inputs = model.inputs(data);
  const labels: LabelTensors = {
    click: tf.tensor1d(data.labels.click),
    action: tf.tensor1d(data.labels.action!),
    purchase: tf.tensor1d(data.labels.purchase),
  };
  return {
    model,
    inputs,
    labels,
    data,
    dispose() {
      disposeInputs(inputs);
      tf.dispose(Object.values(labels));
      model.dispose();
    },
  };
}

/** Analytic gradients keyed by the parameter store's names, read back as arrays. */
function analyticGradients({ model, inputs, labels }: Setup): Map<string, Float32Array> {
  const named = [...model.params.variables];
  const { value, grads } = tf.variableGrads(
    () => model.loss(inputs, labels).total,
    named.map(([, v]) => v),
  );
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of named) {
    const grad = grads[variable.name];
    out.set(name, grad ? (grad.dataSync() as Float32Array) : new Float32Array(variable.size));
  }
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** The unweighted loss terms as plain numbers. */
function lossTerms({ model, inputs, labels }: Setup): Record<string, number> {
  const terms = tf.tidy(() => model.loss(inputs, labels).terms);
  const out = Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, t.dataSync()[0]]));
  tf.dispose(Object.values(terms));
  return out;
}

function setCoordinate(variable: tf.Variable, index: number, value: number): void {
  const data = variable.dataSync().slice() as Float32Array;
  data[index] = value;
  tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, 'float32')));
}

/** Σ_k w_k·term_k, summed in float64 from the float32 terms, leaving out the terms named in `skip`. */
function objective(s: Setup, skip: Set<string>): number {
  let total = 0;
  for (const [term, value] of Object.entries(lossTerms(s)))
    if (!skip.has(term)) total += s.model.lossWeight(term) * value;
  return total;
}

/**
 * Central difference of the objective with respect to one coordinate. `skip` names terms to leave out, e.g. the
 * constraint for an action-tower weight under gradient "cvr-only", whose stop-gradient makes it a constant there.
 * A ReLU kink within the step makes the one-sided slopes disagree; the step then shrinks (chosen from the loss
 * alone, never from the analytic gradient, so this does not loosen the check).
 */
function finiteDifference(s: Setup, name: string, index: number, skip: Set<string>): number {
  const variable = s.model.params.get(name);
  const original = variable.dataSync()[index];
  const at = (value: number) => {
    setCoordinate(variable, index, value);
    return objective(s, skip);
  };
  const here = objective(s, skip);
  let central = NaN;
  try {
    for (const step of STEPS) {
      const up = Math.fround(original + step);
      const down = Math.fround(original - step);
      const fUp = at(up);
      const fDown = at(down);
      central = (fUp - fDown) / (up - down);
      const forward = (fUp - here) / (up - original);
      const backward = (here - fDown) / (original - down);
      if (Math.abs(forward - backward) <= KINK) break;
      shrunk++;
    }
  } finally {
    setCoordinate(variable, index, original);
  }
  return central;
}

const agrees = (fd: number, analytic: number) => Math.abs(fd - analytic) <= ABSOLUTE + RELATIVE * Math.abs(analytic);

/** Under "cvr-only" the constraint does not move the action tower's tied layers. */
function heldByStopGradient(c: Case, name: string): boolean {
  const constraint = config(c).constraint;
  if (constraint.gradient !== 'cvr-only' || !/^act\./.test(name)) return false;
  return constraint.layers === 'all' || !name.startsWith('act.out.');
}

/** One random coordinate of every parameter tensor but the embedding, and four of the embedding on rows the batch uses. */
function coordinates(s: Setup, random: Random): { name: string; index: number }[] {
  const picks: { name: string; index: number }[] = [];
  const dim = s.model.config.embeddingDim;
  const used = [...usedRows(s.data)];
  for (let k = 0; k < 4; k++)
    picks.push({ name: 'embedding', index: used[random.int(used.length)] * dim + random.int(dim) });
  for (const [name, variable] of s.model.params.variables)
    if (name !== 'embedding') picks.push({ name, index: random.int(variable.size) });
  return picks;
}

afterAll(() => {
  console.log(
    `max |fd − analytic| / (${ABSOLUTE} + ${RELATIVE}·|analytic|): ${worstFd.toFixed(3)} (must be ≤ 1) over ${checked} ` +
      `coordinates (max |fd − analytic| ${worstFdAbsolute.toExponential(2)}); the step shrank ${shrunk} time(s) for a ReLU kink\n` +
      `max |cpu − wasm| over the embedding gradients: ${worstBackendGap.toExponential(2)}`,
  );
});

describe('finite differences (cpu)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await initBackend('cpu');
    const s = setup(c);
    try {
      const analytic = analyticGradients(s);
      const failures: string[] = [];
      for (const { name, index } of coordinates(s, new Random(99))) {
        if (movesPropensity(c, name)) continue;
        const skip = heldByStopGradient(c, name) ? new Set(['constraint']) : new Set<string>();
        const fd = finiteDifference(s, name, index, skip);
        const an = analytic.get(name)![index];
        checked++;
        worstFdAbsolute = Math.max(worstFdAbsolute, Math.abs(fd - an));
        worstFd = Math.max(worstFd, Math.abs(fd - an) / (ABSOLUTE + RELATIVE * Math.abs(an)));
        if (!agrees(fd, an)) failures.push(`${name}[${index}]: finite difference ${fd}, analytic ${an}`);
      }
      expect(failures).toEqual([]);
    } finally {
      s.dispose();
    }
  });

  it('the check has teeth: it rejects a gradient that misses a term or is off by 25%', async () => {
    await initBackend('cpu');
    const c = CASES.find((x) => x.name === 'esmc cvr-only')!;
    const s = setup(c);
    try {
      const analytic = analyticGradients(s);
      // The tied weight where the two towers differ most: the constraint's pull 2λ·Δθ is largest there, and the
      // stop-gradient leaves it out of the action tower's gradient, so the full loss's slope must not match.
      const a = s.model.params.get('act.0.kernel').dataSync();
      const b = s.model.params.get('cvr.0.kernel').dataSync();
      let index = 0;
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > Math.abs(a[index] - b[index])) index = i;
      const held = analytic.get('act.0.kernel')![index];
      expect(agrees(finiteDifference(s, 'act.0.kernel', index, new Set(['constraint'])), held)).toBe(true);
      expect(agrees(finiteDifference(s, 'act.0.kernel', index, new Set()), held)).toBe(false);

      const bias = analytic.get('ctr.out.bias')![0];
      const fd = finiteDifference(s, 'ctr.out.bias', 0, new Set());
      expect(Math.abs(bias)).toBeGreaterThan(0.05);
      expect(agrees(fd, bias)).toBe(true);
      expect(agrees(fd, 1.25 * bias)).toBe(false);
      expect(agrees(fd, 0.75 * bias)).toBe(false);
    } finally {
      s.dispose();
    }
  });
});

describe('embedding gradient: exactly the used rows, same on cpu and wasm', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const byBackend: Record<string, Float32Array> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      const s = setup(c);
      try {
        const grad = analyticGradients(s).get('embedding')!;
        const dim = s.model.config.embeddingDim;
        const used = usedRows(s.data);
        const rows = grad.length / dim;
        const nonZero: number[] = [];
        for (let row = 0; row < rows; row++)
          if (grad.subarray(row * dim, (row + 1) * dim).some((v) => v !== 0)) nonZero.push(row);
        expect(rows).toBeGreaterThan(used.size); // some rows are unused, or the check below says nothing
        expect(nonZero, backend).toEqual([...used].sort((x, y) => x - y));
        byBackend[backend] = grad;
      } finally {
        s.dispose();
      }
    }
    let gap = 0;
    for (let i = 0; i < byBackend.cpu.length; i++) gap = Math.max(gap, Math.abs(byBackend.cpu[i] - byBackend.wasm[i]));
    worstBackendGap = Math.max(worstBackendGap, gap);
    expect(gap).toBeLessThanOrEqual(1e-6);
  });
});
