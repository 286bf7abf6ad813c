import { Random } from '../../src-main/engine/random.js';

/** A model's imperfect estimate of known probabilities: each one moved by N(0, σ²) on the logit scale. */
export function noisy(values: Float32Array, sigma: number, random: Random): Float32Array {
  return Float32Array.from(values, (p) => {
    const clipped = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
    return 1 / (1 + Math.exp(-(Math.log(clipped / (1 - clipped)) + sigma * random.normal())));
  });
}
