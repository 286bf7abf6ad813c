import * as tf from '../tf.js';
import { bce, inversePropensity, rowBce, weightedRisk } from '../layers/losses.js';
import {
  EntireSpaceModel,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * ESCM²-IPS — Wang et al., "ESCM²: Entire Space Counterfactual Multi-Task Model for Post-Click Conversion Rate
 * Estimation", SIGIR 2022 (arXiv 2204.05125). ESMM's towers and product, plus a counterfactual risk: the CVR loss
 * of the clicked rows weighted by 1/pCTR, an unbiased estimate of the CVR loss over every exposure.
 */
export const escm2IpsInfo: ModelInfo = {
  name: 'escm2-ips',
  title: 'ESCM²-IPS (counterfactual risk, inverse propensity)',
  paper: 'Wang et al., SIGIR 2022 (arXiv 2204.05125)',
  formula: 'pCTCVR = pCTR·pCVR; R_IPS = Σ w·BCE(b, pCVR) / n, w = c·min(1/pCTR, w_max) with pCTR held constant',
  supervision: [
    'c ~ pCTR on all exposures',
    'b ~ pCVR on clicked rows, each weighted 1/pCTR (capped)',
    'c·b ~ pCTCVR on all exposures',
  ],
  needsAction: false,
  usesPropensity: true,
};

export class Escm2Ips extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly cvrTower = this.tower('cvr', 'cvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    return { ctr, cvr, ctcvr: tf.mul(ctr, cvr) };
  }

  protected lossTerms(p: StageProbabilities, y: LabelTensors): LossTerms {
    const { maxWeight, normalise } = this.counterfactual;
    const weight = inversePropensity(y.click, p.ctr, maxWeight);
    return {
      ctr: bce(y.click, p.ctr),
      cvr: weightedRisk(rowBce(y.purchase, p.cvr), weight, normalise),
      ctcvr: bce(tf.mul(y.click, y.purchase), p.ctcvr),
    };
  }
}
