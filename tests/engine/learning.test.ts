import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { splitRows, takeSplit, DEFAULT_SPLIT } from '../../src-main/engine/data/split.js';
import { aucHalfWidth, expectedParts, supportFindings } from '../../src-main/engine/data/support.js';
import {
  assessPart,
  assessStage,
  countLabels,
  learningVerdict,
  stageRates,
} from '../../src-main/engine/metrics/learning.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../src-main/engine/models/index.js';
import { trainModel } from '../../src-main/engine/run.js';
import { predictRows } from '../../src-main/engine/train/predict.js';
import { resolveTrainSettings, train } from '../../src-main/engine/train/trainer.js';
import { Random } from '../../src-main/engine/random.js';
import { syntheticFunnel } from '../helpers/synthetic.js';

const small: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  embeddingDim: 4,
  tower: { hidden: [16, 8], activation: 'relu', dropout: 0 },
};

/** Labels drawn from known rates, and predictions of a chosen quality. */
function funnel(rows: number, seed = 3) {
  const random = new Random(seed);
  const click = new Float32Array(rows);
  const purchase = new Float32Array(rows);
  const signal = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    signal[i] = random.normal();
    click[i] = random.next() < 0.3 ? 1 : 0;
    purchase[i] = click[i] && random.next() < 1 / (1 + Math.exp(-(-2.5 + 1.2 * signal[i]))) ? 1 : 0;
  }
  return { click, purchase, signal };
}

describe('did it learn?', () => {
  const { click, purchase, signal } = funnel(20_000);
  const labels = { click, purchase };
  const rate = countLabels(labels).clickedPurchases / countLabels(labels).clicks;
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

  it('a model that ranks and is calibrated learned; one that predicts a constant 0.47 did not', () => {
    const good = signal.map((s) => sigmoid(-2.5 + 1.2 * s));
    const predictions = (cvr: Float32Array) => ({ ctr: new Float32Array(click.length).fill(0.3), cvr, ctcvr: cvr });
    const learned = assessStage('cvr', predictions(good), labels, rate)!;
    expect(learned.status).toBe('learned');
    expect(learned.aucCi![0]).toBeGreaterThan(0.5);
    expect(learned.logloss).toBeLessThan(learned.baseLogloss);

    const constant = assessStage('cvr', predictions(new Float32Array(click.length).fill(0.47)), labels, rate)!;
    expect(constant.status).toBe('not-learned');
    expect(constant.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['constant', 'calibration', 'logloss']));
    expect(constant.summary).toMatch(/^CVR not learned: predicts the same pCVR \(47\.00%\) for every row/);
    expect(constant.summary).toMatch(/mean pCVR 47\.00% vs \d+\.\d+% observed \[/);

    // Ranks well but sits 3× above the observed rate: its level is wrong.
    const inflated = assessStage('cvr', predictions(good.map((p) => Math.min(1, 3 * p))), labels, rate)!;
    expect(inflated.status).toBe('not-learned');
    expect(inflated.reasons.map((r) => r.code)).toContain('calibration');

    // Noise: its AUC interval includes 0.5.
    const random = new Random(9);
    const noise = assessStage('cvr', predictions(good.map(() => rate * (0.9 + 0.2 * random.next()))), labels, rate)!;
    expect(noise.status).toBe('not-learned');
    expect(noise.reasons.map((r) => r.code)).toContain('auc');
    expect(noise.summary).toMatch(/AUC 0\.\d\d \[0\.\d\d, 0\.\d\d\] includes 0\.5/);
  });

  it('a stage whose rows hold one class is untestable, not failed, and says why', () => {
    const allClicked = { click: new Float32Array(100).fill(1), purchase: purchase.subarray(0, 100) };
    const ctr = assessStage(
      'ctr',
      { ctr: new Float32Array(100).fill(0.99), cvr: new Float32Array(100), ctcvr: new Float32Array(100) },
      allClicked,
      1,
    )!;
    expect(ctr.status).toBe('untestable');
    expect(ctr.summary).toBe('CTR cannot be tested: no non-click exposures among the 100 rows it is scored on');
    const noClicks = assessStage(
      'ctr',
      { ctr: new Float32Array(100).fill(0.01), cvr: new Float32Array(100), ctcvr: new Float32Array(100) },
      { click: new Float32Array(100), purchase: new Float32Array(100) },
      0.01,
    )!;
    expect(noClicks.status).toBe('untestable');
    expect(noClicks.summary).toBe('CTR cannot be tested: no clicks among the 100 rows it is scored on');
  });

  it('the run verdict is read on the test part and names every stage that failed', () => {
    const good = signal.map((s) => sigmoid(-2.5 + 1.2 * s));
    const ctr = new Float32Array(click.length).fill(0.3);
    const part = assessPart('test', { ctr, cvr: good, ctcvr: good.map((p) => 0.3 * p) }, labels, {
      ctr: 0.3,
      cvr: rate,
      ctcvr: 0.3 * rate,
    });
    const verdict = learningVerdict({ validation: part, test: { ...part, part: 'test' } })!;
    expect(verdict.part).toBe('test');
    // pCTR is one value for every row: CTR did not learn, and the run did not.
    expect(verdict.status).toBe('not-learned');
    expect(verdict.notLearned).toEqual(['ctr']);
    expect(verdict.summary).toMatch(/^Not learned: CTR \(predicts the same pCTR/);
  });
});

describe('what the data can support', () => {
  it('says when every row is a click, and how wide a test AUC would be', () => {
    const counts = { rows: 781, clicks: 781, clickedActions: 2, clickedActionPurchases: 0, clickedPurchases: 19 };
    const findings = supportFindings({ train: { ...counts, rows: 6252, clicks: 6252 }, test: counts });
    expect(findings.map((f) => f.code)).toEqual(['no-non-clicks', 'few-cvr-positives', 'few-avr-positives']);
    expect(findings[1].message).toContain('the test part has 19 purchases among 781 clicks');
    expect(findings[1].message).toMatch(/±0\.\d\d wide/);
    expect(aucHalfWidth(19, 762)).toBeCloseTo(1.959963984540054 * Math.sqrt(782 / (12 * 19 * 762)), 10);
    // The test part alone holds one class; the training part has the other.
    expect(supportFindings({ train: counts, test: { ...counts, clickedActions: 0 } }).map((f) => f.code)).toContain(
      'single-class-avr',
    );
  });

  it('says when a label has one class on every clicked row of the data, not part by part', () => {
    const counts = { rows: 500, clicks: 200, clickedActions: 40, clickedActionPurchases: 0, clickedPurchases: 0 };
    const findings = supportFindings(expectedParts(counts, DEFAULT_SPLIT), { expected: true });
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['no-purchases', 'warning'],
      ['few-avr-positives', 'warning'],
    ]);
    expect(findings[0].message).toBe(
      'no clicked row has a purchase: CVR and CTCVR cannot be learned or tested on this data',
    );
    const everyAction = supportFindings({ test: { ...counts, clickedActions: 200, clickedPurchases: 20 } });
    expect(everyAction.map((f) => f.code)).toContain('only-in-shop-actions');
    expect(everyAction.map((f) => f.code)).not.toContain('single-class-avr');
  });

  it('projects a whole file onto the parts of a split', () => {
    const whole = {
      rows: 10_000,
      clicks: 2_000,
      clickedActions: 400,
      clickedActionPurchases: 100,
      clickedPurchases: 200,
    };
    const parts = expectedParts(whole, DEFAULT_SPLIT);
    expect(parts.test.clickedPurchases).toBeCloseTo(20);
    expect(supportFindings(parts, { expected: true })[0].message).toContain('about 20 purchases');
  });
});

describe('training that learns by default', () => {
  beforeAll(() => initBackend('cpu'));
  const data = syntheticFunnel(6_000, 11);
  const parts = takeSplit(data, splitRows(data.rows, DEFAULT_SPLIT, 1));

  it('starts each tower at its stage’s rate in the training rows', async () => {
    const model = createModel('esm2', data.schema, small);
    const rates = stageRates(countLabels(parts.train.labels));
    await train(model, { train: parts.train }, resolveTrainSettings({ maxSteps: 1, learningRate: 1e-9 }, 0));
    const predictions = await predictRows(model, parts.train);
    const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
    // After one step of nothing, the mean prediction of each tower is near its rate (random weights spread it).
    expect(mean(predictions.ctr)).toBeCloseTo(rates.ctr!, 1);
    expect(mean(predictions.avr!)).toBeCloseTo(rates.avr!, 1);
    model.dispose();
    const zero = createModel('esm2', data.schema, { ...small, outputBias: 'zero' });
    await train(zero, { train: parts.train }, resolveTrainSettings({ maxSteps: 1, learningRate: 1e-9 }, 0));
    expect(mean((await predictRows(zero, parts.train)).ctr)).toBeCloseTo(0.5, 1);
    zero.dispose();
  });

  it('stops early on the validation loss, not before the minimum steps, keeps the best epoch and says why', async () => {
    const model = createModel('esmm', data.schema, small);
    const config = resolveTrainSettings(
      { epochs: 30, batchSize: 64, learningRate: 0.05, patience: 2, minSteps: 150 },
      0,
    );
    const result = await train(model, { train: parts.train, validation: parts.validation }, config);
    model.dispose();
    expect(result.status).toBe('early-stopped');
    const losses = result.epochs.map((epoch) => epoch.validationLoss!);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(result.bestEpoch).toBe(best);
    expect(result.epochsRun).toBeGreaterThanOrEqual(Math.ceil(150 / Math.ceil(parts.train.rows / 64)));
    expect(result.stopReason).toMatch(/^validation loss did not improve for \d+ epochs after epoch \d+$/);
  });

  it('a run records its resolved settings, base rates and verdict; an untrained one is flagged', async () => {
    const source = { parts, schema: data.schema, findings: [], path: 'synthetic', sha256: '', rows: data.rows };
    const trained = await trainModel('esmm', source, { modelConfig: small });
    expect(trained.record.trainConfig?.auto?.batchSize).toContain('training rows');
    expect(trained.record.training.baseRates?.cvr).toBeGreaterThan(0);
    expect(trained.record.learning?.status).toBe('learned');
    trained.model.dispose();
    const untrained = await trainModel('esmm', source, {
      modelConfig: small,
      trainConfig: { epochs: 1, learningRate: 1e-6 },
    });
    expect(untrained.record.learning?.status).toBe('not-learned');
    expect(untrained.record.learning?.summary).toMatch(/^Not learned: /);
    untrained.model.dispose();
  });
});
