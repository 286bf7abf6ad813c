import * as tf from '../tf.js';
import { towerDistance } from '../layers/constraint.js';
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
 * ESMG — the "global domain" variant of ESMC (arXiv 2307.09193), RECONSTRUCTED and the least certain: the
 * constrained towers predict exposure-space P(c,a|x) and P(c,b|x) directly, and the parameter constraint
 * acts between them in that one (global) space. Conditional stages are derived by division and clipped, so
 * served probabilities keep pCTCVR ≤ pCTR.
 */
export const esmgInfo: ModelInfo = {
  name: 'esmg',
  title: 'ESMG (global-domain constraint)',
  paper: 'Jiang et al., arXiv 2307.09193 — reconstruction',
  formula: 'q_a = σ(T_act(h)) ≈ P(c,a); q_b = σ(T_cvr(h)) ≈ P(c,b); pCVR = min(q_b / pCTR, 1); L += λ·‖θ^act − θ^cvr‖²',
  supervision: [
    'c ~ pCTR on all exposures',
    'c·a ~ q_a on all exposures',
    'c·b ~ q_b on all exposures',
    'λ·distance(T_act, T_cvr)',
  ],
  needsAction: true,
  usesConstraint: true,
};

export class Esmg extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'ctavr');
  private readonly cvrTower = this.tower('cvr', 'ctcvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const globalAction = this.actionTower.probability(h, training, seed + 100);
    const globalPurchase = this.cvrTower.probability(h, training, seed + 200);
    const avr = givenClick(globalAction, ctr);
    const cvr = givenClick(globalPurchase, ctr);
    return { ctr, avr, ctavr: globalAction, cvr, ctcvr: globalPurchase };
  }

  /** Supervises the raw global towers; the served ctavr/ctcvr are then clipped to pCTR (see `served`). */
  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    const { constraint } = this.config;
    return {
      ...entireSpaceTerms(p, y),
      constraint: tf.mul(constraint.lambda, towerDistance(this.actionTower, this.cvrTower, constraint)),
    };
  }

  protected override served(p: StageProbabilities): StageProbabilities {
    return jointsWithinClicks(p);
  }
}
