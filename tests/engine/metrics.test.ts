import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  METRIC_DESCRIPTIONS,
  auc,
  evaluateStages,
  gauc,
  logloss,
  mae,
  prCurve,
  reliability,
  rmse,
  rocCurve,
} from '../../src-main/engine/metrics/index.js';
import { Random } from '../../src-main/engine/random.js';
import { MIN_GAUC_USERS } from '../../src-shared/types/metrics.js';
import * as tf from '../../src-main/engine/tf.js';
import type { EncodedDataset } from '../../src-main/engine/data/dataset.js';
import type { EntireSpaceModel } from '../../src-main/engine/models/model.js';
import { evaluate } from '../../src-main/engine/train/trainer.js';

interface SklearnFixture {
  labels: number[];
  scores: number[];
  users: number[];
  mask: number[];
  probs: number[];
  auc: number;
  auc_masked: number;
  logloss: number;
  logloss_masked: number;
  gauc: { value: number; groups: number; skipped: number };
  gauc_masked: { value: number; groups: number; skipped: number };
}

/** P(s_pos > s_neg) + 0.5·P(s_pos = s_neg) over all positive–negative pairs: the definition AUC must match. */
function pairwiseAuc(labels: number[], scores: number[], mask?: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1 || (mask && !mask[i])) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0 || (mask && !mask[j])) continue;
      pairs++;
      if (scores[i] > scores[j]) wins++;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** Scores on a 0.1 grid so most rows share their score with others; labels correlated with the score. */
function tiedData(seed: number, n: number) {
  const random = new Random(seed);
  const scores = Array.from({ length: n }, () => Math.round(random.next() * 10) / 10);
  const labels = scores.map((s) => (random.next() < 0.2 + 0.5 * s ? 1 : 0));
  const mask = scores.map(() => (random.next() < 0.5 ? 1 : 0));
  return { scores, labels, mask };
}

describe('auc', () => {
  it.each([1, 2, 3, 4, 5])('equals the pairwise count with many ties (seed %i)', (seed) => {
    const { labels, scores, mask } = tiedData(seed, 300);
    expect(auc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    expect(auc(labels, scores, mask)).toBeCloseTo(pairwiseAuc(labels, scores, mask), 12);
  });

  it('ignores masked-out rows entirely', () => {
    const labels = [1, 0, 1, 0, 1, 0];
    const scores = [0.9, 0.1, 0.8, 0.2, 0.0, 1.0];
    const mask = [1, 1, 1, 1, 0, 0];
    expect(auc(labels, scores, mask)).toBe(1);
    expect(auc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    expect(auc(labels, scores)).toBeLessThan(1);
  });

  it('is NaN when only one class is evaluated', () => {
    expect(auc([1, 1, 1], [0.1, 0.5, 0.9])).toBeNaN();
    expect(auc([0, 0], [0.1, 0.5])).toBeNaN();
    expect(auc([1, 0, 1], [0.1, 0.5, 0.9], [1, 0, 1])).toBeNaN();
    expect(auc([], [])).toBeNaN();
  });

  it('is 1 for a perfect ordering, 0 for an inverted one and 0.5 when every score ties', () => {
    const labels = [0, 0, 1, 0, 1, 1];
    const scores = [0.1, 0.2, 0.7, 0.3, 0.8, 0.9];
    expect(auc(labels, scores)).toBe(1);
    expect(
      auc(
        labels,
        scores.map((s) => -s),
      ),
    ).toBe(0);
    expect(
      auc(
        labels,
        labels.map(() => 0.4),
      ),
    ).toBe(0.5);
  });

  it('is NaN when a score is NaN rather than ranking it arbitrarily', () => {
    expect(auc([0, 1, 0, 1], [0.1, NaN, 0.3, 0.4])).toBeNaN();
    expect(auc([0, 1, 0, 1], [0.1, NaN, 0.3, 0.4], [1, 0, 1, 1])).toBe(1);
  });

  it('rejects columns of different lengths', () => {
    expect(() => auc([0, 1], [0.1])).toThrow(/scores/);
    expect(() => auc([0, 1], [0.1, 0.2], [1])).toThrow(/mask/);
  });
});

describe('sklearn reference (tests/fixtures/metrics-sklearn.json, from bench/reference/metrics_fixture.py)', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../fixtures/metrics-sklearn.json', import.meta.url), 'utf8'),
  ) as SklearnFixture;
  const { labels, scores, users, mask, probs } = fixture;

  it('matches roc_auc_score', () => {
    expect(Math.abs(auc(labels, scores) - fixture.auc)).toBeLessThan(1e-9);
    expect(Math.abs(auc(labels, scores, mask) - fixture.auc_masked)).toBeLessThan(1e-9);
  });

  it('matches log_loss on clipped probabilities', () => {
    expect(Math.abs(logloss(labels, probs) - fixture.logloss)).toBeLessThan(1e-9);
    expect(Math.abs(logloss(labels, probs, mask) - fixture.logloss_masked)).toBeLessThan(1e-9);
  });

  it('matches the per-user GAUC computed from roc_auc_score', () => {
    for (const [result, expected] of [
      [gauc(labels, scores, users), fixture.gauc],
      [gauc(labels, scores, users, mask), fixture.gauc_masked],
    ] as const) {
      expect(Math.abs(result.value - expected.value)).toBeLessThan(1e-9);
      expect(result.groups).toBe(expected.groups);
      expect(result.skipped).toBe(expected.skipped);
      expect(result.skipped).toBeGreaterThan(0);
    }
  });
});

describe('gauc', () => {
  // User 7: AUC 1 over 3 rows. User 3: positives 0.2, 0.4 vs negatives 0.6, 0.4 → 0.5 tie of 4 pairs = 0.125,
  // over 4 rows. User 5: negatives only, skipped. GAUC = (3·1 + 4·0.125) / 7 = 0.5.
  const groups = [7, 3, 5, 7, 3, 3, 5, 7, 3];
  const labels = [1, 1, 0, 0, 0, 1, 0, 0, 0];
  const scores = [0.9, 0.2, 0.3, 0.1, 0.6, 0.4, 0.7, 0.5, 0.4];

  it('weights per-user AUCs by row count and skips single-class users', () => {
    expect(gauc(labels, scores, groups)).toEqual({ value: 0.5, groups: 2, skipped: 1 });
  });

  it('counts only evaluated rows, so a mask can make a user single-class', () => {
    // Dropping user 3's first positive leaves 0.4 vs {0.6, 0.4} → 0.25 over 3 rows: (3·1 + 3·0.25) / 6.
    const mask = [1, 0, 1, 1, 1, 1, 1, 1, 1];
    expect(gauc(labels, scores, groups, mask)).toEqual({ value: 0.625, groups: 2, skipped: 1 });
    const dropPositivesOfUser3 = [1, 0, 1, 1, 1, 0, 1, 1, 1];
    expect(gauc(labels, scores, groups, dropPositivesOfUser3)).toEqual({ value: 1, groups: 1, skipped: 2 });
  });

  it('is NaN when no user has both classes', () => {
    expect(gauc([1, 0], [0.3, 0.4], [1, 2])).toEqual({ value: NaN, groups: 0, skipped: 2 });
  });
});

describe('rocCurve and prCurve', () => {
  const labels = [0, 1, 0, 1, 1, 0, 1, 0];
  const scores = [0.1, 0.9, 0.4, 0.4, 0.7, 0.2, 0.3, 0.6];

  it('traces the ROC from (0, 0) to (1, 1) with an area equal to the AUC', () => {
    const roc = rocCurve(labels, scores);
    expect(roc.thresholds).toEqual([Infinity, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]);
    expect([roc.fpr[0], roc.tpr[0]]).toEqual([0, 0]);
    expect([roc.fpr.at(-1), roc.tpr.at(-1)]).toEqual([1, 1]);
    let area = 0;
    for (let k = 1; k < roc.fpr.length; k++)
      area += ((roc.fpr[k] - roc.fpr[k - 1]) * (roc.tpr[k] + roc.tpr[k - 1])) / 2;
    expect(area).toBeCloseTo(auc(labels, scores), 12);
  });

  it('gives precision and recall at each threshold', () => {
    const pr = prCurve(labels, scores);
    // At threshold 0.4 the rows 0.9, 0.7, 0.6, 0.4, 0.4 are predicted positive: 3 of the 4 positives, 3 of 5.
    const k = pr.thresholds.indexOf(0.4);
    expect(pr.recall[k]).toBe(0.75);
    expect(pr.precision[k]).toBe(0.6);
    expect([pr.recall[0], pr.precision[0]]).toEqual([0, 1]);
    expect([pr.recall.at(-1), pr.precision.at(-1)]).toEqual([1, 0.5]);
  });

  it('downsamples long curves to maxPoints, keeping both ends', () => {
    const { labels: many, scores: manyScores } = tiedData(9, 2000);
    const continuous = manyScores.map((s, i) => s + i * 1e-6);
    const roc = rocCurve(many, continuous, undefined, 50);
    expect(roc.fpr).toHaveLength(50);
    expect([roc.fpr[0], roc.tpr[0], roc.fpr[49], roc.tpr[49]]).toEqual([0, 0, 1, 1]);
    expect(roc.fpr.every((x, k) => k === 0 || x >= roc.fpr[k - 1])).toBe(true);
    const pr = prCurve(many, continuous, undefined, 50);
    expect(pr.recall).toHaveLength(50);
    expect(pr.recall.at(-1)).toBe(1);
  });

  it('is empty when the curve is undefined', () => {
    expect(rocCurve([1, 1], [0.2, 0.3]).fpr).toEqual([]);
    expect(prCurve([0, 0], [0.2, 0.3]).recall).toEqual([]);
  });
});

describe('calibration', () => {
  it('computes reliability bins and ECE by hand', () => {
    const labels = [0, 1, 0, 1, 1];
    const probs = [0.05, 0.15, 0.12, 0.95, 1.0];
    const { bins, ece } = reliability(labels, probs);
    expect(bins).toHaveLength(10);
    expect(bins[0]).toMatchObject({ lower: 0, upper: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(bins[1].count).toBe(2);
    expect(bins[1].meanPredicted).toBeCloseTo(0.135, 12);
    expect(bins[1].observedRate).toBe(0.5);
    expect(bins[9].count).toBe(2);
    expect(bins[9].meanPredicted).toBeCloseTo(0.975, 12);
    expect(bins[5].count).toBe(0);
    expect(bins[5].meanPredicted).toBeNaN();
    // (1/5)·0.05 + (2/5)·|0.135 − 0.5| + (2/5)·|0.975 − 1|
    expect(ece).toBeCloseTo(0.01 + 0.146 + 0.01, 12);
  });

  it('applies the mask and the bin count to reliability', () => {
    const { bins, ece } = reliability([1, 0, 1], [0.3, 0.9, 0.7], [1, 0, 1], 2);
    expect(bins.map((b) => b.count)).toEqual([1, 1]);
    expect(ece).toBeCloseTo(0.5 * 0.7 + 0.5 * 0.3, 12);
    expect(reliability([], []).ece).toBeNaN();
  });

  it('clips probabilities in logloss so confident mistakes stay finite', () => {
    expect(logloss([1, 0], [0, 1])).toBeCloseTo(-Math.log(1e-7), 6);
    expect(logloss([1, 0], [1, 0])).toBeCloseTo(-Math.log(1 - 1e-7), 12);
    expect(logloss([1, 0, 1], [0.5, 0.25, 0], [1, 1, 0])).toBeCloseTo(-(Math.log(0.5) + Math.log(0.75)) / 2, 12);
    expect(logloss([], [])).toBeNaN();
  });

  it('computes rmse and mae', () => {
    expect(rmse([0.1, 0.5, 0.9], [0.4, 0.5, 0.5])).toBeCloseTo(Math.sqrt((0.09 + 0.16) / 3), 12);
    expect(mae([0.1, 0.5, 0.9], [0.4, 0.5, 0.5])).toBeCloseTo(0.7 / 3, 12);
    expect(mae([0.1, 0.5, 0.9], [0.4, 0.5, 0.5], [0, 1, 1])).toBeCloseTo(0.2, 12);
    expect(() => rmse([1, 2], [1])).toThrow();
  });
});

describe('evaluateStages', () => {
  const f32 = (values: number[]) => Float32Array.from(values);
  // Clicked rows rank purchases perfectly; the two unclicked rows get high pCVR, which only matters if CVR is
  // (wrongly) scored over all exposures.
  const labels = {
    click: f32([1, 1, 1, 1, 0, 0]),
    purchase: f32([1, 0, 1, 0, 0, 0]),
  };
  const pred = {
    ctr: f32([0.8, 0.7, 0.9, 0.6, 0.2, 0.65]),
    cvr: f32([0.9, 0.2, 0.75, 0.25, 0.95, 0.85]),
    ctcvr: f32([0.72, 0.14, 0.675, 0.15, 0.19, 0.55]),
  };

  it('scores CVR on clicked rows only', () => {
    const metrics = evaluateStages(pred, labels);
    expect(auc(labels.purchase, pred.cvr)).toBe(0.625);
    expect(metrics.cvr_auc).toBe(1);
    expect(metrics.cvr_logloss).toBeCloseTo(logloss(labels.purchase, pred.cvr, labels.click), 12);
    expect(metrics.cvr_logloss).not.toBeCloseTo(logloss(labels.purchase, pred.cvr), 3);
    expect(metrics.ctr_auc).toBe(auc(labels.click, pred.ctr));
    expect(metrics.ctr_auc).toBeCloseTo(7 / 8, 12);
    expect(metrics.ctcvr_auc).toBe(1);
    expect(metrics).toMatchObject({ rows: 6, clicks: 4, purchases: 2 });
  });

  it('scores CTCVR on every exposure, where an unclicked row can outrank a purchase', () => {
    // The last row is unclicked but scores above the purchase 0.675: a miss over all exposures, none on clicks.
    const ctcvr = f32([0.72, 0.14, 0.675, 0.15, 0.19, 0.7]);
    const metrics = evaluateStages({ ...pred, ctcvr }, labels);
    expect(auc(labels.purchase, ctcvr, labels.click)).toBe(1);
    expect(metrics.ctcvr_auc).toBe(7 / 8);
    expect(metrics.ctcvr_logloss).toBeCloseTo(logloss(labels.purchase, ctcvr), 12);
  });

  it('reports every described metric, NaN where the data lacks the action label or user ids', () => {
    const metrics = evaluateStages(pred, labels);
    expect(Object.keys(metrics).sort()).toEqual(Object.keys(METRIC_DESCRIPTIONS).sort());
    for (const key of [
      'ctavr_auc',
      'ctavr_logloss',
      'avr_auc',
      'actions',
      'ctr_gauc',
      'cvr_gauc',
      'ctcvr_gauc',
      'cvr_gauc_users',
    ]) {
      expect(metrics[key], key).toBeNaN();
    }
  });

  it('scores action metrics when their inputs exist', () => {
    const action = f32([1, 0, 1, 1, 0, 0]);
    const avr = f32([0.7, 0.3, 0.6, 0.2, 0.9, 0.9]);
    const ctavr = f32([0.56, 0.07, 0.54, 0.12, 0.18, 0.58]);
    const metrics = evaluateStages({ ...pred, avr, ctavr }, { ...labels, action });
    expect(metrics.avr_auc).toBe(auc(action, avr, labels.click));
    expect(metrics.avr_auc).toBeCloseTo(2 / 3, 12);
    expect(metrics.ctavr_auc).toBe(auc(action, ctavr));
    expect(metrics.ctavr_logloss).toBeCloseTo(logloss(action, ctavr), 12);
    expect(metrics.actions).toBe(3);
  });

  /** The six rows above repeated for `users` users (user u on rows 6u … 6u + 5), each clicking both outcomes. */
  function repeatedFor(users: number) {
    const repeat = (values: Float32Array) => f32(Array.from({ length: users }, () => [...values]).flat());
    const userIds = Array.from({ length: users * 6 }, (_, i) => Math.floor(i / 6));
    return {
      pred: { ctr: repeat(pred.ctr), cvr: repeat(pred.cvr), ctcvr: repeat(pred.ctcvr) },
      labels: { click: repeat(labels.click), purchase: repeat(labels.purchase) },
      userIds,
    };
  }

  it(`scores GAUCs over ${MIN_GAUC_USERS} users or more with both outcomes, and says over how many`, () => {
    const data = repeatedFor(MIN_GAUC_USERS);
    const metrics = evaluateStages(data.pred, data.labels, data.userIds);
    expect(metrics.cvr_gauc).toBe(1);
    expect(metrics.cvr_gauc_users).toBe(MIN_GAUC_USERS);
    expect(metrics.ctr_gauc).toBe(gauc(data.labels.click, data.pred.ctr, data.userIds).value);
    expect(metrics.ctr_gauc).toBeCloseTo(7 / 8, 12);
    expect(metrics.ctcvr_gauc).toBe(1);
    expect(metrics.ctcvr_gauc_users).toBe(MIN_GAUC_USERS);
  });

  it('leaves a GAUC out when fewer users have both outcomes: an average of a few AUCs is noise', () => {
    const data = repeatedFor(MIN_GAUC_USERS - 1);
    const metrics = evaluateStages(data.pred, data.labels, data.userIds);
    for (const key of ['ctr_gauc', 'cvr_gauc', 'ctcvr_gauc']) expect(metrics[key], key).toBeNaN();
    expect(metrics.cvr_gauc_users).toBe(MIN_GAUC_USERS - 1);
    expect(metrics.ctr_gauc_users).toBe(MIN_GAUC_USERS - 1);
    // The same rows' GAUC, were it shown, would be a figure: the rule is the count, not the value.
    expect(gauc(data.labels.purchase, data.pred.cvr, data.userIds, data.labels.click).value).toBe(1);
  });

  it('rejects predictions that do not line up with the labels', () => {
    expect(() => evaluateStages({ ...pred, cvr: f32([0.5]) }, labels)).toThrow(/cvr/);
  });
});

describe('evaluation over batches', () => {
  it('computes one AUC over all rows, not the mean of the batches’ AUCs', async () => {
    // Two prediction batches of 4,096 rows (predictRows' batch), each ranking its own clicks first (AUC 1 each),
    // while the second batch's clicks (0.2) score below the first batch's non-clicks (0.4): over all rows, a click
    // of the second batch beats only that batch's non-clicks, so the AUC is (1 + 1/2) / 2 = 0.75.
    const batch = 4096;
    const rows = 2 * batch;
    const click = Float32Array.from({ length: rows }, (_, i) => i % 2);
    const score = Float32Array.from({ length: rows }, (_, i) => (i < batch ? [0.4, 0.6] : [0.1, 0.2])[i % 2]);
    const data: EncodedDataset = {
      schema: { categorical: [], multiHot: [], dense: [{ name: 'score' }] },
      rows,
      categorical: new Int32Array(0),
      multiHot: [],
      dense: score,
      labels: { click, purchase: click },
    };
    // A model whose every stage predicts the score it is given, so the rows' order is the test's own.
    const model = {
      inputs: (rowsOf: EncodedDataset) => rowsOf,
      predict: (rowsOf: EncodedDataset) => ({
        ctr: tf.tensor1d(rowsOf.dense),
        cvr: tf.tensor1d(rowsOf.dense),
        ctcvr: tf.tensor1d(rowsOf.dense),
      }),
    } as unknown as EntireSpaceModel;
    const perBatch = [0, batch].map((start) =>
      auc(click.subarray(start, start + batch), score.subarray(start, start + batch)),
    );
    expect(perBatch).toEqual([1, 1]);
    const metrics = await evaluate(model, data);
    expect(metrics.ctr_auc).toBe(0.75);
    expect(metrics.ctcvr_auc).toBe(0.75);
  });
});
