import * as tf from '../tf.js';
import type { FeatureSchema } from '../data/dataset.js';
import { FeatureEmbedding, type BatchInputs } from '../layers/embedding.js';
import { Tower } from '../layers/mlp.js';
import { ParameterStore } from '../layers/params.js';
import { Random } from '../random.js';
import { settingProblems } from '../../../src-shared/settings.js';
import {
  DEFAULT_COUNTERFACTUAL,
  type CounterfactualConfig,
  type ModelConfig,
  type ModelInfo,
  type Stage,
} from '../../../src-shared/types/training.js';
import { PROBABILITY_EPSILON } from '../layers/losses.js';

export type { Stage, ModelConfig, ModelInfo } from '../../../src-shared/types/training.js';
export { STAGES, DEFAULT_MODEL_CONFIG } from '../../../src-shared/types/training.js';

/**
 * Per-row probabilities of every stage of exposure → click → in-shop action → purchase that a model has.
 * ctr = P(c|x), avr = P(a|c,x), cvr = P(b|c,x), ctavr = P(c,a|x), ctcvr = P(c,b|x),
 * buyGivenAction = P(b|a,c,x), buyGivenNoAction = P(b|¬a,c,x).
 */
export interface StageProbabilities<T = tf.Tensor1D> {
  ctr: T;
  cvr: T;
  ctcvr: T;
  avr?: T;
  ctavr?: T;
  buyGivenAction?: T;
  buyGivenNoAction?: T;
}

/**
 * What a model's towers give before serving: its stages, and outputs that only its loss reads (escm2-dr's imputed
 * loss, dcmt's counterfactual CVR), which predictions never carry.
 */
export type SupervisedStages = StageProbabilities & { auxiliary?: Record<string, tf.Tensor1D> };

export interface LabelTensors {
  click: tf.Tensor1D;
  action?: tf.Tensor1D;
  purchase: tf.Tensor1D;
}

/** Loss terms by name, unweighted; the model's `lossWeights` say how they add up. */
export type LossTerms = Record<string, tf.Scalar>;

/**
 * The shared bottom of every entire-space model: one feature embedding h shared by all towers. A model file
 * names its towers, composes their probabilities (`stages`) and says what supervises them (`lossTerms`).
 */
export abstract class EntireSpaceModel {
  readonly params: ParameterStore;
  protected readonly embedding: FeatureEmbedding;
  private dropoutSeed = 0;
  /** The stage each tower's output estimates, in the space its loss sees: where its output bias may start. */
  private readonly towerStages = new Map<Tower, Stage>();

  constructor(
    readonly info: ModelInfo,
    readonly schema: FeatureSchema,
    readonly config: ModelConfig,
  ) {
    const problems = settingProblems('model', config);
    if (problems.length) throw new Error(`${info.name}: invalid model configuration: ${problems.join('; ')}`);
    this.params = new ParameterStore(new Random(config.seed));
    this.embedding = new FeatureEmbedding(schema, config.embeddingDim, this.params, config.embedding ?? 'dense');
  }

  /** The embedding when its table is updated sparsely by the trainer rather than by the tfjs optimiser. */
  get sparseEmbedding(): FeatureEmbedding | undefined {
    return this.embedding.mode === 'sparse' ? this.embedding : undefined;
  }

  /**
   * A tower named `name` whose output estimates `stage` (its loss's space: esmg's action tower is ctavr); without a
   * stage its output is no probability (escm2-dr's imputed loss) and its bias keeps its random start.
   */
  protected tower(name: string, stage?: Stage): Tower {
    const tower = Tower.create(name, this.embedding.outputWidth, this.config.tower, this.params);
    if (stage) this.towerStages.set(tower, stage);
    return tower;
  }

  /** ESCM²'s and DCMT's inverse-propensity settings, with the defaults for a config older than them. */
  protected get counterfactual(): CounterfactualConfig {
    return { ...DEFAULT_COUNTERFACTUAL, ...this.config.counterfactual };
  }

  /** A term's weight in the total: the config's, else the model's default (AITM's calibrator 0.6), else 1. */
  lossWeight(term: string): number {
    return this.config.lossWeights[term] ?? this.info.lossWeights?.[term] ?? 1;
  }

  /**
   * Whether every loss term is a mean over the batch's rows, so a batch's gradient is its parts' gradients weighted
   * by rows (what two threads need); a self-normalised IPS term divides by the weights instead.
   */
  get lossIsRowMean(): boolean {
    return this.info.lossIsRowMean !== false && !(this.info.usesPropensity && this.counterfactual.normalise === 'self');
  }

  /** A tower with `trunk`'s hidden layers and its own output layer (a siamese pair), estimating `stage`. */
  protected siameseTower(name: string, trunk: Tower, stage: Stage): Tower {
    const tower = Tower.sharingHidden(name, trunk, this.params);
    this.towerStages.set(tower, stage);
    return tower;
  }

  /**
   * Sets each tower's output bias to the logit of its stage's rate, so the model starts where the constant
   * predictor is (2% for a purchase) instead of at 50%, and its first steps learn ranking rather than the level.
   * Rates are clipped to [1e-4, 1 − 1e-4]; a stage without a rate keeps its bias.
   */
  startAtRates(rates: Partial<Record<Stage, number>>): void {
    for (const [tower, stage] of this.towerStages) {
      const rate = rates[stage];
      if (rate === undefined || !Number.isFinite(rate)) continue;
      const p = Math.min(Math.max(rate, 1e-4), 1 - 1e-4);
      tf.tidy(() => tower.output.bias.assign(tf.fill(tower.output.bias.shape, Math.log(p / (1 - p)))));
    }
  }

  /** Composes the towers' probabilities from the shared representation h. */
  protected abstract stages(h: tf.Tensor2D, training: boolean, dropoutSeed: number): SupervisedStages;

  /** The unweighted loss terms of one batch. */
  protected abstract lossTerms(p: SupervisedStages, y: LabelTensors): LossTerms;

  inputs(...args: Parameters<FeatureEmbedding['inputs']>): BatchInputs {
    return this.embedding.inputs(...args);
  }

  /**
   * What the model serves. Usually the supervised stages themselves; a model whose supervised outputs can
   * leave the probability space (esmg) maps them back here.
   */
  protected served(p: StageProbabilities): StageProbabilities {
    return p;
  }

  /** Creates intermediate tensors it does not dispose: call it inside `tf.tidy` (as `predictRows` does). */
  predict(inputs: BatchInputs, training = false): StageProbabilities {
    const stages = this.supervisedStages(inputs, training);
    delete stages.auxiliary;
    return this.served(stages);
  }

  private supervisedStages(inputs: BatchInputs, training: boolean): SupervisedStages {
    if (training) this.dropoutSeed += 1000;
    return this.stages(this.embedding.apply(inputs), training, this.config.seed * 7919 + this.dropoutSeed);
  }

  /** Total = Σ weight·term; the terms come back too, for progress and for the parity tests. */
  loss(inputs: BatchInputs, labels: LabelTensors, training = false): { total: tf.Scalar; terms: LossTerms } {
    if (this.info.needsAction && !labels.action)
      throw new Error(`${this.info.name} needs an in-shop action label, and this data has none`);
    const terms = this.lossTerms(this.supervisedStages(inputs, training), labels);
    const unknown = Object.keys(this.config.lossWeights).filter((name) => !(name in terms));
    if (unknown.length)
      throw new Error(
        `${this.info.name} has no loss term ${unknown.join(', ')}; its terms are ${Object.keys(terms).join(', ')}`,
      );
    const weighted = Object.entries(terms).map(([name, term]) => tf.mul(term, this.lossWeight(name)));
    return { total: tf.addN(weighted) as tf.Scalar, terms };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** P(x | c) from a joint P(c, x) and pCTR, capped at 1: a tower that estimates the joint can exceed pCTR. */
export function givenClick(joint: tf.Tensor1D, ctr: tf.Tensor1D): tf.Tensor1D {
  return tf.minimum(tf.div(joint, tf.maximum(ctr, PROBABILITY_EPSILON)), 1);
}

/**
 * What a model whose towers estimate joints (esmg, aitm) serves: each joint re-formed as pCTR × its capped
 * conditional, so pCTAVR and pCTCVR never exceed pCTR.
 */
export function jointsWithinClicks(p: StageProbabilities): StageProbabilities {
  return { ...p, ...(p.avr && { ctavr: tf.mul(p.ctr, p.avr) }), ctcvr: tf.mul(p.ctr, p.cvr) };
}
