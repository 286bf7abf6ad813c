import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../src-main/engine/models/index.js';
import { predictRows, type StageArrays } from '../../src-main/engine/train/predict.js';
import { resolveTrainSettings, train } from '../../src-main/engine/train/trainer.js';
import { syntheticFunnel } from '../helpers/synthetic.js';

/**
 * The WebGPU backend (Dawn in Node) must compute what the cpu backend computes: the same model, trained the same
 * steps from the same weights, gives the same losses and stage probabilities. Here Dawn runs on Mesa's software
 * OpenGL ES adapter (llvmpipe), which is what a machine without a GPU driver has; on a GPU machine the same test
 * runs on the GPU when asked for by name.
 */
const data = syntheticFunnel(512, 3);
const config: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: 4,
  tower: { hidden: [16, 8], activation: 'relu', dropout: 0 },
};

async function trainAndPredict(model: string): Promise<{ losses: number[]; stages: StageArrays }> {
  const instance = createModel(model, data.schema, config);
  const losses: number[] = [];
  await train(
    instance,
    { train: data },
    resolveTrainSettings(
      { epochs: 1, batchSize: 128, learningRate: 0.01, progressIntervalMs: 0, patience: null },
      10_000,
    ),
    { onEvent: (event) => event.type === 'step' && losses.push(event.losses.total) },
  );
  const stages = await predictRows(instance, data);
  instance.dispose();
  return { losses, stages };
}

const MODELS = ['esmm', 'esm2', 'esmc'];
const reference = new Map<string, Awaited<ReturnType<typeof trainAndPredict>>>();
await initBackend('cpu');
for (const model of MODELS) reference.set(model, await trainAndPredict(model));
const unavailable = await initBackend('webgpu').then(
  () => null,
  (error: Error) => error.message,
);

describe.skipIf(unavailable !== null)(`WebGPU backend${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it.each(MODELS)('trains %s to the same losses and probabilities as the cpu backend', async (model) => {
    const expected = reference.get(model)!;
    const actual = await trainAndPredict(model);
    expect(actual.losses).toHaveLength(4);
    actual.losses.forEach((loss, step) => expect(loss).toBeCloseTo(expected.losses[step], 4));
    for (const stage of Object.keys(expected.stages) as (keyof StageArrays)[]) {
      const [a, b] = [actual.stages[stage]!, expected.stages[stage]!];
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, stage).toBeLessThan(1e-4);
    }
  });
});
