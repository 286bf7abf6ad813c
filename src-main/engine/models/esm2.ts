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
 * ESM² — Wen et al., "Entire Space Multi-Task Modeling via Post-Click Behavior Decomposition", SIGIR 2020
 * (arXiv 1910.07099). The click space splits into D-action (cart / wish-list) and O-action (everything else):
 * pCVR = P(a|c)·P(b|a,c) + (1 − P(a|c))·P(b|¬a,c). Only the three products are supervised.
 */
export const esm2Info: ModelInfo = {
  name: 'esm2',
  title: 'ESM² (D-action / O-action)',
  paper: 'Wen et al., SIGIR 2020 (arXiv 1910.07099)',
  formula: 'pCVR = pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c); pCTAVR = pCTR·pAVR; pCTCVR = pCTR·pCVR',
  supervision: ['c ~ pCTR on all exposures', 'c·a ~ pCTAVR on all exposures', 'c·b ~ pCTCVR on all exposures'],
  needsAction: true,
};

export class Esm2 extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'avr');
  private readonly buyAfterActionTower = this.tower('buy_a', 'buyGivenAction');
  private readonly buyWithoutActionTower = this.tower('buy_na', 'buyGivenNoAction');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const avr = this.actionTower.probability(h, training, seed + 100);
    const buyGivenAction = this.buyAfterActionTower.probability(h, training, seed + 200);
    const buyGivenNoAction = this.buyWithoutActionTower.probability(h, training, seed + 300);
    // (1 − pAVR)·y4, not (1 − pAVR·y3)·y4 as in one public port (models-reference §12, pitfall 1).
    const cvr = tf.add<tf.Tensor1D>(tf.mul(avr, buyGivenAction), tf.mul(tf.sub(1, avr), buyGivenNoAction));
    return { ctr, avr, ctavr: tf.mul(ctr, avr), cvr, ctcvr: tf.mul(ctr, cvr), buyGivenAction, buyGivenNoAction };
  }

  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    return entireSpaceTerms(p, y);
  }
}
