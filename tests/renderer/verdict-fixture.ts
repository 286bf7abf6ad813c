/**
 * A PSC verdict as the engine wrote it for simulated paper-like data (20,000 rows; esm2, chain, esmm and esmc, the
 * last one not learned), numbers rounded to four digits: what the verdict component is tested on.
 */
import type { PscVerdict } from '../../src-shared/types/index.js';

export const VERDICT: PscVerdict = {
  share: {
    dataset: {
      available: true,
      estimate: 0.3938,
      ci95: [0.357, 0.4319],
      successes: 256,
      trials: 650,
    },
    part: {
      available: true,
      estimate: 0.4521,
      ci95: [0.3431, 0.5658],
      successes: 33,
      trials: 73,
    },
    partName: 'test',
    difference:
      "the test part is a random sample of 73 clicked purchases, and its interval includes the whole dataset's share",
  },
  materiality: 'material',
  rankedBy: 'truth',
  models: [
    {
      model: 'esm2',
      learned: 'learned',
      learningSummary: 'Learned CTR, AVR, CVR, CTAVR, CTCVR on the test rows',
      rank: 1,
      cvrBias: {
        value: -0.03293,
        ci95: [-0.06831, 0.002448],
      },
      actionPathBias: {
        value: 0.001975,
        ci95: [-0.02567, 0.02962],
      },
      noActionPathBias: {
        value: -0.03491,
        ci95: [-0.06034, -0.009468],
      },
      impliedShare: 0.3087,
      cvrLogloss: 0.4474,
      cvrAuc: {
        value: 0.6319,
        ci95: [0.5613, 0.7025],
      },
      truthRmse: 0.1293,
      hurt: true,
      sentence:
        'esm2: the model to trust (RMSE against the true CVR 0.1293); mean pCVR −3.29 points against the test clicks; no-action path −3.49 points [−6.03, −0.95].',
    },
    {
      model: 'chain',
      learned: 'learned',
      learningSummary: 'Learned CTR, AVR, CVR, CTAVR, CTCVR on the test rows',
      rank: 2,
      cvrBias: {
        value: -0.03381,
        ci95: [-0.06921, 0.001581],
      },
      actionPathBias: {
        value: 0.0442,
        ci95: [0.01647, 0.07194],
      },
      noActionPathBias: {
        value: -0.07801,
        ci95: [-0.1036, -0.05243],
      },
      impliedShare: 0,
      cvrLogloss: 0.449,
      cvrAuc: {
        value: 0.6253,
        ci95: [0.5534, 0.6971],
      },
      truthRmse: 0.1302,
      hurt: true,
      sentence:
        'chain: ranked 2 (RMSE against the true CVR 0.1302, within noise of esm2); mean pCVR −3.38 points against the test clicks; no-action path −7.80 points [−10.36, −5.24].',
      versusTrusted: {
        model: 'esm2',
        measure: {
          value: 0.0002298,
          ci95: [-0.00008767, 0.0005472],
        },
        logloss: {
          value: 0.001593,
          ci95: [-0.001152, 0.004338],
        },
        auc: {
          value: -0.006614,
          ci95: [-0.01657, 0.00334],
        },
        withinNoise: true,
      },
    },
    {
      model: 'esmm',
      learned: 'learned',
      learningSummary: 'Learned CTR, CVR, CTCVR on the test rows',
      rank: 3,
      cvrBias: {
        value: -0.03465,
        ci95: [-0.07012, 0.0008278],
      },
      cvrLogloss: 0.4505,
      cvrAuc: {
        value: 0.617,
        ci95: [0.5443, 0.6897],
      },
      truthRmse: 0.1328,
      hurt: false,
      sentence:
        'esmm: ranked 3 (RMSE against the true CVR 0.1328, worse beyond noise than esm2); mean pCVR −3.46 points against the test clicks.',
      versusTrusted: {
        model: 'esm2',
        measure: {
          value: 0.000905,
          ci95: [0.0003534, 0.001457],
        },
        logloss: {
          value: 0.003138,
          ci95: [-0.001941, 0.008216],
        },
        auc: {
          value: -0.01487,
          ci95: [-0.03174, 0.00199],
        },
        withinNoise: false,
      },
    },
    {
      model: 'esmc',
      learned: 'not-learned',
      learningSummary:
        'Not learned: AVR (AUC 0.55 [0.49, 0.62] includes 0.5); CVR (AUC 0.56 [0.49, 0.64] includes 0.5)',
      rank: null,
      cvrBias: {
        value: -0.01536,
        ci95: [-0.05122, 0.0205],
      },
      cvrLogloss: 0.4558,
      cvrAuc: {
        value: 0.5649,
        ci95: [0.4888, 0.6409],
      },
      truthRmse: 0.1426,
      hurt: false,
      sentence: 'esmc did not learn; its numbers are not results.',
    },
  ],
  trust: 'esm2',
  tiedWithTrust: ['chain'],
  hurt: ['chain', 'esm2'],
  headline:
    '39.38% of purchases bypass the in-shop action: PSC is material; chain (−7.80 points of CVR) and esm2 (−3.49 points of CVR) are hurt; trust esm2 for pCVR (chain within noise).',
  sentences: [
    "39.38% (256 of 650 clicked purchases; 95% interval 35.70% to 43.19%) were made without an in-shop action on the whole dataset. On the test part alone: 45.21% (33 of 73 clicked purchases; 95% interval 34.31% to 56.58%); the test part is a random sample of 73 clicked purchases, and its interval includes the whole dataset's share.",
    'PSC is material here (above 5% beyond noise): a model that routes every purchase through the action misreads this data.',
    'chain is hurt: its no-action path is short by 7.80 points of CVR (95% interval [−10.36, −5.24]) and moves them onto the action path (+4.42 points there). What it costs its pCVR: an RMSE of 0.1302 against the true CVR, where esm2 has 0.1293 (within noise).',
    'esm2 is hurt: its no-action path is short by 3.49 points of CVR (95% interval [−6.03, −0.95]). Yet its pCVR is the most accurate here: the misreading does not reach the total.',
    'Trust esm2 for pCVR: the lowest error against the known true CVR (RMSE 0.1293 on the test clicks). Within noise of it: chain. Worse beyond noise: esmm (0.1328).',
    'Not ranked: esmc did not learn (AVR (AUC 0.55 [0.49, 0.62] includes 0.5); CVR (AUC 0.56 [0.49, 0.64] includes 0.5)); conclusions drawn from it do not hold.',
  ],
  caveats: ['The test part has 73 purchases among 423 clicks: CVR AUCs there are uncertain by about ±0.07.'],
};
