import * as tf from '../tf.js';
import { towerDistance } from '../layers/constraint.js';
import { entireSpaceTerms } from '../layers/losses.js';
import {
  EntireSpaceModel,
  type LabelTensors,
  type LossTerms,
  type ModelInfo,
  type StageProbabilities,
} from './model.js';

/**
 * ESMC — Jiang et al., "Entire Space Multi-Task Model via Parameter Constraint", arXiv 2307.09193. RECONSTRUCTED from the abstract (docs/models.md): the path
 * exposure → click → action keeps conditional probabilities; purchase is not chained through the action
 * (that is where PSC lives) but the purchase tower is tied to the action tower by a parameter constraint.
 */
export const esmcInfo: ModelInfo = {
  name: 'esmc',
  title: 'ESMC (parameter constraint)',
  paper: 'Jiang et al., arXiv 2307.09193 — reconstruction',
  formula: 'pCTAVR = pCTR·pAVR; pCTCVR = pCTR·pCVR; L += λ·Σ_l ‖θ_l^act − θ_l^cvr‖²',
  supervision: [
    'c ~ pCTR on all exposures',
    'c·a ~ pCTAVR on all exposures',
    'c·b ~ pCTCVR on all exposures',
    'λ·distance(T_act, T_cvr)',
  ],
  needsAction: true,
  usesConstraint: true,
};

export class Esmc extends EntireSpaceModel {
  private readonly ctrTower = this.tower('ctr', 'ctr');
  private readonly actionTower = this.tower('act', 'avr');
  private readonly cvrTower = this.tower('cvr', 'cvr');

  protected stages(h: tf.Tensor2D, training: boolean, seed: number): StageProbabilities {
    const ctr = this.ctrTower.probability(h, training, seed);
    const avr = this.actionTower.probability(h, training, seed + 100);
    const cvr = this.cvrTower.probability(h, training, seed + 200);
    return { ctr, avr, ctavr: tf.mul(ctr, avr), cvr, ctcvr: tf.mul(ctr, cvr) };
  }

  protected lossTerms(p: Required<StageProbabilities>, y: Required<LabelTensors>): LossTerms {
    const { constraint } = this.config;
    return {
      ...entireSpaceTerms(p, y),
      constraint: tf.mul(constraint.lambda, towerDistance(this.actionTower, this.cvrTower, constraint)),
    };
  }
}
