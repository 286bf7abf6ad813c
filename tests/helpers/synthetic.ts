import type { EncodedDataset } from '../../src-main/engine/data/dataset.js';
import { Random } from '../../src-main/engine/random.js';

/**
 * A small learnable funnel: per-value effects on click, action and purchase, and a share of purchases that
 * skip the action, so every model has signal to find and PSC is present.
 */
export function syntheticFunnel(rows: number, seed = 7, withAction = true): EncodedDataset {
  const random = new Random(seed);
  const vocab = [12, 8, 5];
  const effects = vocab.map((size) =>
    Array.from({ length: size }, () => [random.normal(), random.normal(), random.normal()]),
  );
  const bagVocab = 6;
  const bagLength = 3;
  const categorical = new Int32Array(rows * vocab.length);
  const bags = new Int32Array(rows * bagLength).fill(-1);
  const dense = new Float32Array(rows * 2);
  const click = new Float32Array(rows);
  const action = new Float32Array(rows);
  const purchase = new Float32Array(rows);
  const userIds = new Int32Array(rows);
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  for (let r = 0; r < rows; r++) {
    let zc = -0.5;
    let za = -1;
    let zb = -1;
    vocab.forEach((size, f) => {
      const id = 1 + random.int(size - 1);
      categorical[r * vocab.length + f] = id;
      zc += 1.2 * effects[f][id][0];
      za += 1.2 * effects[f][id][1];
      zb += 1.2 * effects[f][id][2];
    });
    const bagSize = random.int(bagLength + 1);
    for (let k = 0; k < bagSize; k++) bags[r * bagLength + k] = random.int(bagVocab);
    const x0 = random.normal();
    dense[r * 2] = x0;
    dense[r * 2 + 1] = random.normal();
    zc += 0.8 * x0;
    userIds[r] = random.int(40);
    click[r] = random.next() < sigmoid(zc) ? 1 : 0;
    if (!click[r]) continue;
    action[r] = random.next() < sigmoid(za) ? 1 : 0;
    const buyProbability = action[r] ? sigmoid(zb + 1) : sigmoid(zb - 1);
    purchase[r] = random.next() < buyProbability ? 1 : 0;
  }
  return {
    schema: {
      categorical: vocab.map((vocabSize, f) => ({ name: `f${f}`, vocabSize })),
      multiHot: [{ name: 'bag', vocabSize: bagVocab, maxLength: bagLength, pooling: 'mean' }],
      dense: [{ name: 'x0' }, { name: 'x1' }],
    },
    rows,
    categorical,
    multiHot: [bags],
    dense,
    labels: { click, action: withAction ? action : undefined, purchase },
    userIds,
  };
}
