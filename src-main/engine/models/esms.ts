import * as tf from '../tf.js';
import { entireSpaceTerms } from '../layers/losses.js';
import {
  EntireSpaceModel,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * ESMS — the siamese variant of ESMC (arXiv 2307.09193), RECONSTRUCTED: the action and purchase towers share
 * every hidden layer (the λ → ∞ limit of ESMC's constraint) and keep their own output layers.
 */
export const esmsInfo: ModelInfo = {
  name: 'esms',
  title: 'ESMS (siamese towers)',
  paper: 'Jiang et al., arXiv 2307.09193 — reconstruction',
  formula: 'pAVR = σ(head_act(S(h))); pCVR = σ(head_cvr(S(h))); pCTAVR = pCTR·pAVR; pCTCVR = pCTR·pCVR',
  supervision: ['c ~ pCTR on all exposures', 'c·a ~ pCTAVR on all exposures', 'c·b ~ pCTCVR on all exposures'],
  needsAction: true,
};

export class Esms extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'avr');
  private readonly cvrTower = this.siameseTower('cvr', this.actionTower, 'cvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    // Same dropout seed for both heads: the siamese trunk sees one mask per step.
    const avr = this.actionTower.probability(h, training, seed + 100);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    return { ctr, avr, ctavr: tf.mul(ctr, avr), cvr, ctcvr: tf.mul(ctr, cvr) };
  }

  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    return entireSpaceTerms(p, y);
  }
}
