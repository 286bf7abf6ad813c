import * as tf from '../tf.js';
import { bce } from '../layers/losses.js';
import {
  EntireSpaceModel,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * ESMM — Ma et al., "Entire Space Multi-Task Model", SIGIR 2018 (arXiv 1804.07931).
 * The CVR tower has no loss of its own: it learns on the whole exposure space through pCTCVR = pCTR·pCVR.
 */
export const esmmInfo: ModelInfo = {
  name: 'esmm',
  title: 'ESMM',
  paper: 'Ma et al., SIGIR 2018 (arXiv 1804.07931)',
  formula: 'pCTR = σ(T_ctr(h)); pCVR = σ(T_cvr(h)); pCTCVR = pCTR·pCVR',
  supervision: ['c ~ pCTR on all exposures', 'c·b ~ pCTCVR on all exposures'],
  needsAction: false,
};

export class Esmm extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly cvrTower = this.tower('cvr', 'cvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    return { ctr, cvr, ctcvr: tf.mul(ctr, cvr) };
  }

  protected lossTerms(p: StageProbabilities, y: LabelTensors): LossTerms {
    return { ctr: bce(y.click, p.ctr), ctcvr: bce(tf.mul(y.click, y.purchase), p.ctcvr) };
  }
}
