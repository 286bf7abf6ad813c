import * as tf from '../tf.js';
import { bce, inversePropensity, rowBce, weightedRisk } from '../layers/losses.js';
import { EntireSpaceModel, type LabelTensors, type LossTerms, type ModelInfo, type SupervisedStages } from './model.js';

/**
 * DCMT — Zhu et al., "DCMT: A Direct Entire-Space Causal Multi-Task Framework for Post-Click Conversion
 * Estimation", ICDE 2023 (arXiv 2302.06141). Twin CVR towers: the factual one learns from the clicked rows
 * weighted 1/pCTR, the counterfactual one from the unclicked rows weighted 1/(1 − pCTR) with the label 1 − b
 * (they were not purchased, so they would have been "not not purchased"), and a soft constraint asks the two to
 * sum to 1. The factual tower is served.
 */
export const dcmtInfo: ModelInfo = {
  name: 'dcmt',
  title: 'DCMT (counterfactual twin CVR towers)',
  paper: 'Zhu et al., ICDE 2023 (arXiv 2302.06141)',
  formula:
    'pCVR = σ(T_cvr(h)); r* = σ(T_cf(h)); pCTCVR = pCTR·pCVR; L_cvr = Σ c·BCE(b, pCVR)/pCTR; ' +
    'L_cf = Σ (1 − c)·BCE(1 − b, r*)/(1 − pCTR); twin = mean |pCVR + r* − 1|',
  supervision: [
    'c ~ pCTR on all exposures',
    'b ~ pCVR on clicked rows, weighted 1/pCTR (capped)',
    '1 − b ~ r* on unclicked rows, weighted 1/(1 − pCTR) (capped)',
    'twin (weight 0.001): mean |pCVR + r* − 1|',
    'c·b ~ pCTCVR on all exposures',
  ],
  needsAction: false,
  usesPropensity: true,
  lossWeights: { twin: 0.001 },
};

export class Dcmt extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly cvrTower = this.tower('cvr', 'cvr');
  /** Estimates 1 − CVR: no stage's rate to start its bias from. */
  private readonly counterfactualTower = this.tower('cf');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): SupervisedStages {
    const ctr = this.ctrTower.probability(h, training, seed);
    const cvr = this.cvrTower.probability(h, training, seed + 100);
    const counterfactualCvr = this.counterfactualTower.probability(h, training, seed + 200);
    return { ctr, cvr, ctcvr: tf.mul(ctr, cvr), auxiliary: { counterfactualCvr } };
  }

  protected lossTerms(p: SupervisedStages, y: LabelTensors): LossTerms {
    const { maxWeight, normalise } = this.counterfactual;
    const twin = p.auxiliary!.counterfactualCvr;
    const unclicked = tf.sub<tf.Tensor1D>(1, y.click);
    return {
      ctr: bce(y.click, p.ctr),
      cvr: weightedRisk(rowBce(y.purchase, p.cvr), inversePropensity(y.click, p.ctr, maxWeight), normalise),
      counterfactual: weightedRisk(
        rowBce(tf.sub<tf.Tensor1D>(1, y.purchase), twin),
        inversePropensity(unclicked, tf.sub<tf.Tensor1D>(1, p.ctr), maxWeight),
        normalise,
      ),
      twin: tf.mean(tf.abs(tf.sub(tf.add(p.cvr, twin), 1))),
      ctcvr: bce(tf.mul(y.click, y.purchase), p.ctcvr),
    };
  }
}
