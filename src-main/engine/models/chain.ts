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
 * The pure chain rule on exposure → click → in-shop action → purchase: every purchase is forced through the
 * action, P(b|¬a,c) is taken to be 0. It is the model Probability Space Confusion hurts most (ESMC §PSC,
 * arXiv 2307.09193): the P(b|a,c) tower is supervised by click-space purchases and drifts out of its space.
 */
export const chainInfo: ModelInfo = {
  name: 'chain',
  title: 'Chained (action as a mandatory step)',
  paper: 'the PSC ablation of Jiang et al., arXiv 2307.09193',
  formula: 'pCTAVR = pCTR·pAVR; pCTCVR = pCTR·pAVR·P(b|a,c); pCVR = pAVR·P(b|a,c); P(b|¬a,c) = 0',
  supervision: ['c ~ pCTR on all exposures', 'c·a ~ pCTAVR on all exposures', 'c·b ~ pCTCVR on all exposures'],
  needsAction: true,
};

export class Chain extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'avr');
  private readonly buyAfterActionTower = this.tower('buy_a', 'buyGivenAction');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const avr = this.actionTower.probability(h, training, seed + 100);
    const buyGivenAction = this.buyAfterActionTower.probability(h, training, seed + 200);
    const cvr = tf.mul<tf.Tensor1D>(avr, buyGivenAction);
    return {
      ctr,
      avr,
      ctavr: tf.mul(ctr, avr),
      cvr,
      ctcvr: tf.mul(ctr, cvr),
      buyGivenAction,
      buyGivenNoAction: tf.zerosLike(ctr),
    };
  }

  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    return entireSpaceTerms(p, y);
  }
}
