import { describe, expect, it } from 'vitest';
import * as tf from '../../src-main/engine/tf.js';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { HostAdam, TFJS_ADAM, variableOptimizer } from '../../src-main/engine/train/adam.js';
import { Random } from '../../src-main/engine/random.js';

/** The host optimiser (cpu, wasm) must take the steps tfjs's own Adam (every other backend) takes. */

function randomValues(size: number, random: Random): Float32Array {
  return Float32Array.from({ length: size }, () => random.uniform(-1, 1));
}

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  it.each([0, 0.01])(
    'host Adam equals tfjs Adam step by step (weight decay %s), a late variable included',
    async (weightDecay) => {
      await initBackend(backend);
      const settings = { learningRate: 0.05, ...TFJS_ADAM, weightDecay };
      const random = new Random(7);
      const shapes = [[5, 3], [3], [4, 2]];
      const initial = shapes.map((shape) =>
        randomValues(
          shape.reduce((a, b) => a * b, 1),
          random,
        ),
      );
      const gradientsPerStep = Array.from({ length: 6 }, () =>
        shapes.map((shape) =>
          randomValues(
            shape.reduce((a, b) => a * b, 1),
            random,
          ),
        ),
      );
      const run = (backendName: string) => {
        const variables = tf.tidy(() => shapes.map((shape, i) => tf.variable(tf.tensor(initial[i], shape))));
        const optimizer = variableOptimizer(settings, backendName);
        gradientsPerStep.forEach((gradients, step) => {
          // The third variable only gets gradients from the third step on: its bias correction is the global step's.
          const present = variables.filter((_, i) => i < 2 || step >= 2);
          const map = new Map(present.map((variable, i) => [variable, tf.tensor(gradients[i], shapes[i])]));
          optimizer.step(map);
          tf.dispose([...map.values()]);
        });
        optimizer.dispose();
        const values = variables.map((variable) => variable.dataSync() as Float32Array);
        tf.dispose(variables);
        return values;
      };
      const tensorsBefore = tf.memory().numTensors;
      const host = run(backend);
      const device = run('tfjs-adam');
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      host.forEach((values, i) => {
        expect(Array.from(values)).not.toEqual(Array.from(initial[i]));
        values.forEach((value, j) => expect(value).toBeCloseTo(device[i][j], 5));
      });
    },
  );

  it('host Adam keeps written arrays equal to the variables, and the variables do not share them', async () => {
    await initBackend(backend);
    const settings = { learningRate: 0.05, ...TFJS_ADAM, weightDecay: 0.01 };
    const random = new Random(3);
    const [plain, mirrored] = [0, 1].map(() => tf.variable(tf.tensor(Float32Array.of(0.5, -0.25, 1), [3])));
    const written = (mirrored.dataSync() as Float32Array).slice();
    const [reference, optimizer] = [new HostAdam(settings), new HostAdam(settings, new Map([[mirrored, written]]))];
    for (let step = 0; step < 4; step++) {
      const gradient = randomValues(3, random);
      reference.stepHost(new Map([[plain, gradient]]));
      optimizer.stepHost(new Map([[mirrored, gradient]]));
      expect(Array.from(written)).toEqual(Array.from(mirrored.dataSync()));
    }
    expect(Array.from(mirrored.dataSync())).toEqual(Array.from(plain.dataSync()));
    // The next step writes the array in place (another thread's copy): the variable must not change with it.
    const before = Array.from(mirrored.dataSync());
    written.fill(42);
    expect(Array.from(mirrored.dataSync())).toEqual(before);
    tf.dispose([plain, mirrored]);
  });
});
