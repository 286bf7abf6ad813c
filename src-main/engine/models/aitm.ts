import * as tf from '../tf.js';
import { InformationTransfer } from '../layers/attention.js';
import { entireSpaceTerms } from '../layers/losses.js';
import {
  EntireSpaceModel,
  givenClick,
  jointsWithinClicks,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * AITM — Xi et al., "Modeling the Sequential Dependence among Audience Multi-step Conversions with Multi-task
 * Learning in Targeted Display Advertising", KDD 2021 (arXiv 2105.08489). Click, in-shop action and purchase are
 * three tasks on every exposure; each takes what it needs of the step before through an adaptive information
 * transfer (AIT), and a calibrator asks that no step be likelier than the one before it, which is the chain's
 * ordering: under PSC, purchases without an action can make P(c,b) exceed P(c,a) and the calibrator fights them.
 */
export const aitmInfo: ModelInfo = {
  name: 'aitm',
  title: 'AITM (adaptive information transfer)',
  paper: 'Xi et al., KDD 2021 (arXiv 2105.08489)',
  formula:
    'z_c = T_c(h); z_a = AIT(T_a(h), z_c); z_b = AIT(T_b(h), z_a); pCTR = σ(o_c(z_c)); q_a = σ(o_a(z_a)) ≈ P(c,a); ' +
    'q_b = σ(o_b(z_b)) ≈ P(c,b); pCVR = min(q_b / pCTR, 1)',
  supervision: [
    'c ~ pCTR on all exposures',
    'c·a ~ q_a on all exposures',
    'c·b ~ q_b on all exposures',
    'calibrator (weight 0.6): mean max(q_a − pCTR, 0) + mean max(q_b − q_a, 0)',
  ],
  needsAction: true,
  lossWeights: { calibrator: 0.6 },
};

export class Aitm extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'ctavr');
  private readonly purchaseTower = this.tower('buy', 'ctcvr');
  /** The towers' last hidden width, where the transfers work. */
  private readonly width = this.ctrTower.output.kernel.shape[0];
  private readonly toAction = new InformationTransfer('ait_act', this.width, this.params);
  private readonly toPurchase = new InformationTransfer('ait_buy', this.width, this.params);

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const click = this.ctrTower.representation(h, training, seed);
    const action = this.toAction.apply(this.actionTower.representation(h, training, seed + 100), click);
    const purchase = this.toPurchase.apply(this.purchaseTower.representation(h, training, seed + 200), action);
    const ctr = tf.sigmoid(this.ctrTower.head(click));
    const ctavr = tf.sigmoid(this.actionTower.head(action));
    const ctcvr = tf.sigmoid(this.purchaseTower.head(purchase));
    return { ctr, avr: givenClick(ctavr, ctr), ctavr, cvr: givenClick(ctcvr, ctr), ctcvr };
  }

  /** Supervises the raw joint towers; the served joints are then capped at pCTR (see `served`). */
  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    const excess = (later: tf.Tensor1D, earlier: tf.Tensor1D) => tf.mean(tf.relu(tf.sub(later, earlier)));
    return { ...entireSpaceTerms(p, y), calibrator: tf.add(excess(p.ctavr, p.ctr), excess(p.ctcvr, p.ctavr)) };
  }

  protected override served(p: StageProbabilities): StageProbabilities {
    return jointsWithinClicks(p);
  }
}
