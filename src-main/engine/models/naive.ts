import * as tf from '../tf.js';
import { bce, maskedBce } from '../layers/losses.js';
import {
  EntireSpaceModel,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * The baseline every entire-space paper starts from: pCVR trained on clicked rows only, so it learns the
 * click space and is served on the whole exposure space (sample selection bias, ESMM §1).
 */
export const naiveInfo: ModelInfo = {
  name: 'naive',
  title: 'Naive CVR (clicked rows only)',
  paper: 'baseline of Ma et al., SIGIR 2018 (arXiv 1804.07931)',
  formula: 'pCTR = σ(T_ctr(h)); pCVR = σ(T_cvr(h)); pCTCVR = pCTR·pCVR',
  supervision: ['c ~ pCTR on all exposures', 'b ~ pCVR on clicked rows'],
  needsAction: false,
  lossIsRowMean: false,
};

export class Naive extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly cvrTower = this.tower('cvr', 'cvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    return { ctr, cvr, ctcvr: tf.mul(ctr, cvr) };
  }

  protected lossTerms(p: StageProbabilities, y: LabelTensors): LossTerms {
    return { ctr: bce(y.click, p.ctr), cvr: maskedBce(y.purchase, p.cvr, y.click) };
  }
}
