import * as tf from '../tf.js';
import { bce, inversePropensity, rowBce, weightedRisk } from '../layers/losses.js';
import { EntireSpaceModel, type LabelTensors, type LossTerms, type ModelInfo, type SupervisedStages } from './model.js';

/**
 * ESCM²-DR — the doubly robust counterfactual risk of Wang et al., SIGIR 2022 (arXiv 2204.05125): an imputation
 * tower predicts each exposure's CVR loss ê; every exposure contributes ê, and a clicked one corrects it by its
 * observed error, weighted 1/pCTR. The imputation learns from the squared corrections. Reported unstable.
 */
export const escm2DrInfo: ModelInfo = {
  name: 'escm2-dr',
  title: 'ESCM²-DR (counterfactual risk, doubly robust)',
  paper: 'Wang et al., SIGIR 2022 (arXiv 2204.05125)',
  formula:
    'pCTCVR = pCTR·pCVR; e = BCE(b, pCVR); ê = T_imp(h); R_DR = mean ê + Σ w·(e − ê); R_imp = Σ w·(e − ê)², ' +
    'w = c·min(1/pCTR, w_max) with pCTR held constant',
  supervision: [
    'c ~ pCTR on all exposures',
    'b ~ pCVR doubly robust: ê on every exposure, corrected on clicked rows by w·(e − ê)',
    'imputation: w·(e − ê)² on clicked rows',
    'c·b ~ pCTCVR on all exposures',
  ],
  needsAction: false,
  usesPropensity: true,
};

export class Escm2Dr extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly cvrTower = this.tower('cvr', 'cvr');
  /** A loss, not a probability: the raw output of its tower. */
  private readonly imputationTower = this.tower('imp');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): SupervisedStages {
    const ctr = this.ctrTower.probability(h, training, seed);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    const imputedLoss = this.imputationTower.logit(h, training, seed + 200);
    return { ctr, cvr, ctcvr: tf.mul(ctr, cvr), auxiliary: { imputedLoss } };
  }

  protected lossTerms(p: SupervisedStages, y: LabelTensors): LossTerms {
    const { maxWeight, normalise } = this.counterfactual;
    const weight = inversePropensity(y.click, p.ctr, maxWeight);
    const imputed = p.auxiliary!.imputedLoss;
    const error = tf.sub<tf.Tensor1D>(rowBce(y.purchase, p.cvr), imputed);
    return {
      ctr: bce(y.click, p.ctr),
      cvr: tf.add(tf.mean(imputed), weightedRisk(error, weight, normalise)),
      imputation: weightedRisk(tf.square<tf.Tensor1D>(error), weight, normalise),
      ctcvr: bce(tf.mul(y.click, y.purchase), p.ctcvr),
    };
  }
}
