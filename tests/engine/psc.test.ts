import { describe, expect, it } from 'vitest';
import { auc, evaluateStages } from '../../src-main/engine/metrics/index.js';
import {
  analysePsc,
  compareEstimates,
  compareModels,
  decompose,
  delongComponents,
  delongFromComponents,
  delongTest,
  empiricalGap,
  gapBySlice,
  impliedGap,
  oracleAuc,
  pairedBootstrap,
  pscShare,
  truthErrors,
  truthStages,
  twoSidedNormalPValue,
  wilsonInterval,
  type DelongComponents,
  type SliceGap,
  type SimulationTruth,
} from '../../src-main/engine/psc/index.js';
import { Random } from '../../src-main/engine/random.js';
import { standardisedDistance } from '../../src-shared/stats.js';
import type { StageArrays } from '../../src-main/engine/train/predict.js';
import { noisy as noisyWith } from '../helpers/noise.js';

const noisy = (values: Float32Array, sigma: number, seed: number) => noisyWith(values, sigma, new Random(seed));

interface Funnel {
  click: Float32Array;
  action: Float32Array;
  purchase: Float32Array;
}

/**
 * A funnel whose true probabilities are known and consistent: cvr = avr·P(b|a,c) + (1 − avr)·P(b|¬a,c), every
 * exposure-space probability = ctr × its click-space one, labels drawn from them.
 */
function simulate(seed: number, rows: number): { truth: SimulationTruth; labels: Funnel } {
  const random = new Random(seed);
  const column = () => new Float32Array(rows);
  const truth: SimulationTruth = {
    true_ctr: column(),
    true_avr: column(),
    true_cvr: column(),
    true_buy_given_action: column(),
    true_buy_given_no_action: column(),
    true_ctavr: column(),
    true_ctcvr: column(),
    true_chained_ctcvr: column(),
    true_psc_gap: column(),
  };
  const labels: Funnel = { click: column(), action: column(), purchase: column() };
  for (let i = 0; i < rows; i++) {
    const ctr = Math.fround(random.uniform(0.05, 0.6));
    const avr = Math.fround(random.uniform(0.05, 0.7));
    const buyAfterAction = Math.fround(random.uniform(0.1, 0.9));
    const buyWithoutAction = Math.fround(random.uniform(0, 0.3));
    const cvr = Math.fround(avr * buyAfterAction + (1 - avr) * buyWithoutAction);
    truth.true_ctr[i] = ctr;
    truth.true_avr[i] = avr;
    truth.true_buy_given_action[i] = buyAfterAction;
    truth.true_buy_given_no_action[i] = buyWithoutAction;
    truth.true_cvr[i] = cvr;
    truth.true_ctavr[i] = ctr * avr;
    truth.true_ctcvr[i] = ctr * cvr;
    truth.true_chained_ctcvr[i] = ctr * avr * buyAfterAction;
    truth.true_psc_gap[i] = ctr * (1 - avr) * buyWithoutAction;
    const click = random.next() < ctr;
    const action = click && random.next() < avr;
    const purchase = click && random.next() < (action ? buyAfterAction : buyWithoutAction);
    labels.click[i] = Number(click);
    labels.action[i] = Number(action);
    labels.purchase[i] = Number(purchase);
  }
  return { truth, labels };
}

/** Scores that rank like the truth but worse: the true probability's logit plus Gaussian noise. */
function fill(values: number[]): Float32Array {
  return Float32Array.from(values);
}

function constant(rows: number, value: number): Float32Array {
  return new Float32Array(rows).fill(value);
}

/** Stage sets shaped like each model family's output, derived from the truth. */
function modelStages(truth: SimulationTruth, seed: number): Record<string, StageArrays> {
  const t = truthStages(truth);
  const rows = t.ctr.length;
  const ctr = noisy(t.ctr, 0.3, seed);
  const avr = noisy(t.avr, 0.3, seed + 1);
  const buyGivenAction = noisy(t.buyGivenAction, 0.3, seed + 2);
  const buyGivenNoAction = noisy(t.buyGivenNoAction, 0.3, seed + 3);
  const product = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (value, i) => value * b[i]);
  const chainCvr = product(avr, buyGivenAction);
  const esm2Cvr = Float32Array.from(avr, (a, i) => a * buyGivenAction[i] + (1 - a) * buyGivenNoAction[i]);
  const esmcCvr = noisy(t.cvr, 0.3, seed + 4);
  const naiveCvr = noisy(t.cvr, 2, seed + 5);
  return {
    naive: { ctr, cvr: naiveCvr, ctcvr: product(ctr, naiveCvr) },
    chain: {
      ctr,
      avr,
      cvr: chainCvr,
      ctavr: product(ctr, avr),
      ctcvr: product(ctr, chainCvr),
      buyGivenAction,
      buyGivenNoAction: new Float32Array(rows),
    },
    esm2: {
      ctr,
      avr,
      cvr: esm2Cvr,
      ctavr: product(ctr, avr),
      ctcvr: product(ctr, esm2Cvr),
      buyGivenAction,
      buyGivenNoAction,
    },
    esmc: { ctr, avr, cvr: esmcCvr, ctavr: product(ctr, avr), ctcvr: product(ctr, esmcCvr) },
  };
}

describe('decompose', () => {
  const { truth } = simulate(11, 2000);
  const parts = decompose(truthStages(truth));

  it('splits the true probabilities exactly: cvr = action + no-action path, ctcvr = chained + gap', () => {
    let cvrError = 0;
    let ctcvrError = 0;
    let gapError = 0;
    for (let i = 0; i < truth.true_ctr.length; i++) {
      cvrError = Math.max(cvrError, Math.abs(truth.true_cvr[i] - parts.actionPath![i] - parts.noActionPath![i]));
      ctcvrError = Math.max(ctcvrError, Math.abs(truth.true_ctcvr[i] - parts.chained![i] - parts.gap![i]));
      gapError = Math.max(gapError, Math.abs(truth.true_psc_gap[i] - parts.gap![i]));
    }
    expect(cvrError).toBeLessThanOrEqual(1e-6);
    expect(ctcvrError).toBeLessThanOrEqual(1e-6);
    expect(gapError).toBeLessThanOrEqual(1e-6);
    expect(parts.cvrMismatch).toBeLessThanOrEqual(1e-6);
    expect(parts.noActionPath!.some((value) => value > 0.05)).toBe(true);
  });

  it('leaves out what a model does not have', () => {
    const t = truthStages(truth);
    const constrained = decompose({ ctr: t.ctr, avr: t.avr, cvr: t.cvr, ctcvr: t.ctcvr });
    expect(constrained).toMatchObject({ actionPath: null, noActionPath: null, cvr: null, chained: null, gap: null });
    expect(constrained.cvrMismatch).toBeNaN();
    const naive = decompose({ ctr: t.ctr, cvr: t.cvr, ctcvr: t.ctcvr });
    expect(naive.gap).toBeNull();
  });

  it('flags stages that do not add up', () => {
    const t = truthStages(truth);
    expect(decompose({ ...t, cvr: t.buyGivenAction }).cvrMismatch).toBeGreaterThan(0.05);
  });
});

/**
 * 20 rows: 10 clicked, of which 4 have an action; 4 clicked purchases, 2 with an action and 2 without.
 * One purchase without a click (a funnel violation) must be ignored.
 */
const smallFunnel = {
  click: fill([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  action: fill([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  purchase: fill([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
};

describe('empirical PSC share and gap', () => {
  it('matches hand counts and Wilson intervals', () => {
    // Wilson: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964.
    // 2 of 4: p = 0.5 → 0.96037/1.96037 ± (1.959964·0.35355)/1.96037 → [0.15004, 0.84996]
    expect(pscShare(smallFunnel)).toEqual({
      available: true,
      estimate: 0.5,
      ci95: [expect.closeTo(0.15003898915214953, 12), expect.closeTo(0.8499610108478505, 12)],
      successes: 2,
      trials: 4,
    });
    // 2 of 10: p = 0.2 → [0.05668, 0.50984] (the textbook Wilson interval for 2/10).
    expect(empiricalGap(smallFunnel)).toEqual({
      available: true,
      estimate: 0.2,
      ci95: [expect.closeTo(0.05668215145437519, 12), expect.closeTo(0.5098375284633583, 12)],
      successes: 2,
      trials: 10,
    });
    expect(wilsonInterval(0, 3)[0]).toBe(0);
    expect(wilsonInterval(0, 3)[1]).toBeCloseTo(0.5614970317550455, 12);
    expect(wilsonInterval(1, 5)).toEqual([expect.closeTo(0.0362241, 6), expect.closeTo(0.6244654, 6)]);
  });

  it('says why when there is no action label or nothing to count', () => {
    const { click, purchase } = smallFunnel;
    for (const result of [pscShare({ click, purchase }), empiricalGap({ click, purchase })]) {
      expect(result.available).toBe(false);
      expect(result).toHaveProperty('reason', expect.stringMatching(/action label/));
    }
    const nothing = { click: constant(5, 0), action: constant(5, 0), purchase: constant(5, 0) };
    expect(pscShare(nothing)).toEqual({ available: false, reason: expect.stringMatching(/no purchase/) });
    expect(empiricalGap(nothing)).toEqual({ available: false, reason: expect.stringMatching(/no clicked/) });
  });
});

describe('gapBySlice', () => {
  // Ids per row; vocabulary[id − 1] names id. Clicks: a (1) 5, b (2) 4, c (3) 3, d (4) 1, missing (0) 2.
  const ids = Int32Array.from([1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 0, 0, 1, 2, 3, 4, 0]);
  const click = fill([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  const action = fill([1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const purchase = fill([1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  const labels = { click, action, purchase };
  const vocabulary = ['a', 'b', 'c', 'd'];
  const rows = ids.length;
  // esm2-like: (1 − avr)·P(b|¬a,c) = 0.75·0.2 = 0.15 on a's clicked rows 0-4, 0.5·0.4 = 0.2 elsewhere.
  const avr = Float32Array.from(ids, (id) => (id === 1 ? 0.25 : 0.5));
  const buyGivenNoAction = Float32Array.from(ids, (id) => (id === 1 ? 0.2 : 0.4));
  const buyGivenAction = constant(rows, 0.6);
  const esm2: StageArrays = {
    ctr: constant(rows, 0.5),
    avr,
    cvr: Float32Array.from(avr, (a, i) => a * 0.6 + (1 - a) * buyGivenNoAction[i]),
    ctcvr: constant(rows, 0.1),
    buyGivenAction,
    buyGivenNoAction,
  };
  const chain: StageArrays = { ...esm2, buyGivenNoAction: new Float32Array(rows) };
  // esmc-like: pCVR 0.3 and pAVR 0.1 → lower bound 0.2, upper bound min(0.3, 0.9) = 0.3; on b pAVR 0.8 →
  // lower bound max(0, −0.5) = 0, upper bound min(0.3, 0.2) = 0.2.
  const esmc: StageArrays = {
    ctr: constant(rows, 0.5),
    avr: Float32Array.from(ids, (id) => (id === 2 ? 0.8 : 0.1)),
    cvr: constant(rows, 0.3),
    ctcvr: constant(rows, 0.15),
  };
  const naive: StageArrays = { ctr: constant(rows, 0.5), cvr: constant(rows, 0.3), ctcvr: constant(rows, 0.15) };
  const models = { esm2, chain, esmc, naive };

  const byValue = (slices: SliceGap[], value: string) => slices.find((s) => s.value === value)!;

  it('keeps the top K values by clicks and merges the rest, id 0 included, into "other"', () => {
    const slices = gapBySlice(labels, ids, vocabulary, models, { topK: 2, minClicks: 2 });
    // Overall 6 of 15 clicks bought without an action (0.4): a (2 of 5) sits on it, b (1 of 4) is off it.
    expect(slices.map((s) => [s.value, s.isOther, s.distinctValues, s.rows, s.clicks, s.actions, s.purchases])).toEqual(
      [
        ['b', false, 1, 5, 4, 2, 2],
        ['a', false, 1, 6, 5, 1, 3],
        ['other', true, 3, 9, 6, 0, 3],
      ],
    );
    const [b, a, other] = slices;
    // a: purchases without action = rows 1, 2 → 2 of 5 clicks; 2 of 3 clicked purchases.
    expect(a.empiricalGap).toMatchObject({ estimate: 0.4, successes: 2, trials: 5 });
    expect(a.pscShare).toMatchObject({ estimate: 2 / 3, successes: 2, trials: 3 });
    expect(a.empiricalGap).toHaveProperty('ci95', wilsonInterval(2, 5));
    // b: purchases at rows 6 (with action) and 7 (without).
    expect(b.empiricalGap).toMatchObject({ estimate: 0.25, successes: 1, trials: 4 });
    // other: rows 9, 12, 13 purchase without action, of 6 clicks.
    expect(other.empiricalGap).toMatchObject({ estimate: 0.5, successes: 3, trials: 6 });
  });

  it('merges values under minClicks even when K would keep them', () => {
    const slices = gapBySlice(labels, ids, vocabulary, models, { topK: 10, minClicks: 2 });
    // b 1/4 and c 1/3 against 0.4 overall: b is 0.72 SE off, c 0.26, a 0. All three have too few purchases to
    // say anything (a note each), so they keep that order among themselves.
    expect(slices.map((s) => [s.value, s.clicks])).toEqual([
      ['b', 4],
      ['c', 3],
      ['a', 5],
      ['other', 3],
    ]);
    expect(slices.slice(0, 3).every((s) => s.note !== undefined)).toBe(true);
    expect(slices[3].distinctValues).toBe(2);
  });

  it("gives each model's implied gap by its kind", () => {
    const slices = gapBySlice(labels, ids, vocabulary, models, { topK: 2, minClicks: 2 });
    const [a, b, other] = ['a', 'b', 'other'].map((value) => byValue(slices, value));
    expect(a.models.chain).toEqual({ kind: 'decomposed', value: 0 });
    expect(other.models.chain.value).toBe(0);
    expect(a.models.esm2.kind).toBe('decomposed');
    expect(a.models.esm2.value).toBeCloseTo(0.15, 6);
    expect(b.models.esm2.value).toBeCloseTo(0.2, 6);
    // esmc has pCVR and pAVR but nothing ties them: no implied gap; naive has no pAVR at all.
    expect(a.models.esmc).toEqual({ kind: 'none', value: NaN, reason: expect.stringMatching(/does not split/) });
    expect(b.models.esmc.kind).toBe('none');
    expect(a.models.naive).toEqual({ kind: 'none', value: NaN, reason: expect.stringMatching(/no action stage/) });
    // Overall, on the 15 clicked rows: 5 at 0.15 and 10 at 0.2.
    expect(impliedGap(esm2, click).value).toBeCloseTo((5 * 0.15 + 10 * 0.2) / 15, 6);
  });

  it('orders slices by |slice gap − overall gap| over its standard error, so a far-off but tiny slice does not lead', () => {
    // 1,000 clicks: "big" 600 at 10% bought without an action, "tiny" 30 at 30%, "mid" 370 at 20%; overall 16.3%.
    const sizes = { big: [600, 60], tiny: [30, 9], mid: [370, 74] } as const;
    const names = Object.keys(sizes) as (keyof typeof sizes)[];
    const sliceIds: number[] = [];
    const rowsOf = { click: [] as number[], action: [] as number[], purchase: [] as number[] };
    names.forEach((name, k) => {
      const [clicks, gap] = sizes[name];
      for (let i = 0; i < clicks; i++) {
        sliceIds.push(k + 1);
        rowsOf.click.push(1);
        // The first `gap` rows buy without an action; then ten buy after one, so no slice is single-class.
        rowsOf.action.push(i >= gap && i < gap + 10 ? 1 : 0);
        rowsOf.purchase.push(i < gap + 10 ? 1 : 0);
      }
    });
    const funnel = { click: fill(rowsOf.click), action: fill(rowsOf.action), purchase: fill(rowsOf.purchase) };
    const slices = gapBySlice(funnel, Int32Array.from(sliceIds), names, {}, { minClicks: 1 });
    const overall = [60 + 9 + 74, 1000] as const;
    const expected = names.map((name) => {
      const [clicks, gap] = sizes[name];
      return [name, standardisedDistance(gap, clicks, ...overall)] as const;
    });
    // The tiny slice is the farthest in rate (0.30 vs 0.143) but the nearest in standard errors.
    expect(Math.abs(9 / 30 - 143 / 1000)).toBeGreaterThan(Math.abs(60 / 600 - 143 / 1000));
    expect(slices.map((s) => s.value)).toEqual(['big', 'mid', 'tiny']);
    for (const [name, distance] of expected) expect(byValue(slices, name).distance).toBeCloseTo(distance, 12);
    // By hand for "big": |0.1 − 0.143| / √(0.143 · 0.857 · (1/600 − 1/1000)).
    expect(byValue(slices, 'big').distance).toBeCloseTo(0.043 / Math.sqrt(0.143 * 0.857 * (1 / 600 - 1 / 1000)), 9);
    expect(slices.every((s) => s.note === undefined)).toBe(true);
  });

  it('puts "other" last whatever its distance, and slices without a gap after the rest', () => {
    const slices = gapBySlice(labels, ids, vocabulary, models, { topK: 10, minClicks: 2 });
    expect(slices.at(-1)).toMatchObject({ value: 'other', isOther: true });
    expect(slices.at(-1)!.distance).toBeGreaterThan(0);
    // Without an action label no slice has a gap: the click order stays, "other" still last.
    const plain = gapBySlice({ click, purchase }, ids, vocabulary, models, { topK: 10, minClicks: 2 });
    expect(plain.map((s) => s.value)).toEqual(['a', 'b', 'c', 'other']);
    expect(plain.every((s) => Number.isNaN(s.distance))).toBe(true);
  });

  it('notes a slice whose purchases cannot tell anything about PSC: none, or too few', () => {
    // c buys nothing; a and d have 2 purchases each (too few); e has 6, all without an action (a finding).
    const c2 = Int32Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5]);
    const funnel = {
      click: fill(new Array(19).fill(1)),
      action: fill([0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
      purchase: fill([1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0]),
    };
    const slices = gapBySlice(funnel, c2, [...vocabulary, 'e'], {}, { minClicks: 1 });
    expect(byValue(slices, 'c').note).toBe('no purchase among its 3 clicks: its PSC share is undefined');
    expect(byValue(slices, 'a').note).toBe('only 2 purchases among its 3 clicks: too few to tell anything about PSC');
    expect(byValue(slices, 'd').note).toMatch(/^only 2 purchases/);
    expect(byValue(slices, 'e').note).toBeUndefined();
    // Without an action label only "no purchase" can be said.
    const plain = gapBySlice(
      { click: funnel.click, purchase: funnel.purchase },
      c2,
      [...vocabulary, 'e'],
      {},
      {
        minClicks: 1,
      },
    );
    expect(plain.filter((s) => s.note).map((s) => s.value)).toEqual(['c']);
  });
});

describe('compareEstimates', () => {
  it("takes the chained model's own full chain (both paths) and pCVR of the constrained one", () => {
    const chained: StageArrays = {
      ctr: fill([0.5, 0.5, 0.2, 0.1]),
      avr: fill([0.5, 0.25, 0.5, 1]),
      cvr: fill([0.4, 0.4, 0.4, 0.4]), // not read: the chain is composed from its towers
      ctcvr: fill([0.2, 0.2, 0.08, 0.04]),
      buyGivenAction: fill([0.4, 0.8, 0.2, 0.5]),
      buyGivenNoAction: fill([0.4, 0.4, 0.5, 0]),
    };
    const constrained: StageArrays = {
      ctr: fill([0.4, 0.5, 0.2, 0.1]),
      avr: fill([0.5, 0.25, 0.5, 1]),
      cvr: fill([0.3, 0.2, 0.1, 0.5]),
      ctcvr: fill([0.12, 0.1, 0.02, 0.05]),
    };
    const click = fill([1, 1, 1, 0]);
    const result = compareEstimates(chained, constrained, click, { bins: 4 });
    // chained pCVR = pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c) = 0.4, 0.5, 0.35, 0.5; Δ = −0.1, −0.3, −0.25, 0.
    [-0.1, -0.3, -0.25, 0].forEach((expected, i) => expect(result.delta[i]).toBeCloseTo(expected, 6));
    expect(result.clicked.rows).toBe(3);
    expect(result.clicked.mean).toBeCloseTo(-0.65 / 3, 6);
    expect(result.clicked.median).toBeCloseTo(-0.25, 6);
    expect(result.clicked.meanChained).toBeCloseTo(1.25 / 3, 6);
    expect(result.clicked.histogram.counts.reduce((a, b) => a + b)).toBe(3);
    expect(result.clicked.histogram.edges).toHaveLength(5);
    // exposure: chained pCTCVR = 0.2, 0.25, 0.07, 0.05; Δ = −0.08, −0.15, −0.05, 0 over all 4 rows.
    expect(result.exposure.rows).toBe(4);
    expect(result.exposureDelta[0]).toBeCloseTo(-0.08, 6);
    expect(result.exposure.mean).toBeCloseTo(-0.07, 6);
    expect(() => compareEstimates(constrained, chained, click)).toThrow(/P\(b\|a,c\)/);
  });

  it('recovers the PSC gap for a chain with the true action path against the true pCVR, and downsamples the scatter by seed', () => {
    const { truth, labels } = simulate(12, 3000);
    const t = truthStages(truth);
    // A chain routes every purchase through the action: no purchase without one.
    const chain = { ...t, buyGivenNoAction: new Float32Array(t.ctr.length) };
    const result = compareEstimates(chain, { ctr: t.ctr, avr: t.avr, cvr: t.cvr, ctcvr: t.ctcvr }, labels.click, {
      scatterPoints: 100,
      seed: 5,
    });
    const gap = decompose(t).noActionPath!;
    for (let i = 0; i < gap.length; i++) expect(Math.abs(result.delta[i] - gap[i])).toBeLessThan(1e-6);
    expect(result.clicked.positiveShare).toBeGreaterThan(0.9);
    expect(result.clicked.scatter.rows).toHaveLength(100);
    expect(result.clicked.scatter.rows.every((row) => labels.click[row] === 1)).toBe(true);
    const again = compareEstimates(t, t, labels.click, { scatterPoints: 100, seed: 5 });
    const other = compareEstimates(t, t, labels.click, { scatterPoints: 100, seed: 6 });
    expect(again.clicked.scatter.rows).toEqual(result.clicked.scatter.rows);
    expect(other.clicked.scatter.rows).not.toEqual(result.clicked.scatter.rows);
  });
});

/** DeLong's components by definition, pair by pair. */
function bruteForceComponents(labels: number[], scores: number[], mask?: number[]): DelongComponents {
  const positives = scores.filter((_, i) => labels[i] === 1 && (!mask || mask[i]));
  const negatives = scores.filter((_, i) => labels[i] === 0 && (!mask || mask[i]));
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const positive = Float64Array.from(positives, (x) => negatives.reduce((s, y) => s + psi(x, y), 0) / negatives.length);
  const negative = Float64Array.from(negatives, (y) => positives.reduce((s, x) => s + psi(x, y), 0) / positives.length);
  return { auc: positive.reduce((s, v) => s + v, 0) / positive.length, positive, negative };
}

function bruteForceVariance(a: DelongComponents, b: DelongComponents): number {
  const cov = (x: Float64Array, mx: number, y: Float64Array, my: number) =>
    x.reduce((s, _, i) => s + (x[i] - mx) * (y[i] - my), 0) / (x.length - 1);
  const s10 =
    cov(a.positive, a.auc, a.positive, a.auc) +
    cov(b.positive, b.auc, b.positive, b.auc) -
    2 * cov(a.positive, a.auc, b.positive, b.auc);
  const s01 =
    cov(a.negative, a.auc, a.negative, a.auc) +
    cov(b.negative, b.auc, b.negative, b.auc) -
    2 * cov(a.negative, a.auc, b.negative, b.auc);
  return s10 / a.positive.length + s01 / a.negative.length;
}

/** Two correlated score vectors on a 0.1 grid (so ties are everywhere), labels related to both. */
function tiedScores(seed: number, rows: number) {
  const random = new Random(seed);
  const latent = Array.from({ length: rows }, () => random.next());
  const labels = latent.map((l) => (random.next() < 0.15 + 0.6 * l ? 1 : 0));
  const a = latent.map((l) => Math.round((l + 0.3 * random.normal()) * 10) / 10);
  const b = latent.map((l) => Math.round((l + 0.6 * random.normal()) * 10) / 10);
  const mask = latent.map(() => (random.next() < 0.7 ? 1 : 0));
  return { labels, a, b, mask };
}

describe('DeLong test', () => {
  it.each([1, 2, 3, 4, 5])('fast components and variance equal the O(n²) definition with ties (seed %i)', (seed) => {
    const { labels, a, b, mask } = tiedScores(seed, 400);
    for (const m of [undefined, mask]) {
      const fastA = delongComponents(labels, a, m) as DelongComponents;
      const fastB = delongComponents(labels, b, m) as DelongComponents;
      const slowA = bruteForceComponents(labels, a, m);
      const slowB = bruteForceComponents(labels, b, m);
      expect(fastA.auc).toBeCloseTo(slowA.auc, 12);
      expect(fastA.auc).toBeCloseTo(auc(labels, a, m), 12);
      for (const [fast, slow] of [
        [fastA, slowA],
        [fastB, slowB],
      ]) {
        fast.positive.forEach((v, i) => expect(v).toBeCloseTo(slow.positive[i], 12));
        fast.negative.forEach((v, i) => expect(v).toBeCloseTo(slow.negative[i], 12));
      }
      const test = delongTest(labels, a, b, m);
      expect(test.standardError ** 2).toBeCloseTo(bruteForceVariance(slowA, slowB), 12);
      expect(test.difference).toBeCloseTo(slowA.auc - slowB.auc, 12);
    }
  });

  // pROC's aSAH data (Turck et al. 2010): 41 poor outcomes (cases), 72 good (controls). The placements are
  // pROC's own expected values (github.com/xrobin/pROC, tests/testthat/helper-deLongPlacementsCpp-expected.R)
  // times 144 (= 2·72) for cases and 82 (= 2·41) for controls, which makes them integers; the expected test
  // result is from its tests/testthat/test-roc.test.R. wfns is a 1–5 grade; its per-row grade is
  // recovered from its placements (37 controls at grade 1, 20 at 2, 3 at 3, 8 at 4, 4 at 5).
  const wfnsCases = [
    117, 94, 128, 140, 140, 140, 140, 94, 140, 94, 37, 94, 140, 128, 128, 94, 140, 140, 140, 94, 140, 94, 140, 94, 128,
    140, 128, 128, 37, 128, 128, 94, 94, 140, 140, 94, 94, 140, 140, 140, 140,
  ];
  const wfnsControls = [
    80, 80, 80, 80, 18, 80, 66, 66, 80, 66, 66, 80, 80, 80, 66, 80, 66, 80, 80, 53, 44, 80, 44, 80, 18, 18, 80, 80, 66,
    44, 80, 80, 66, 66, 80, 66, 80, 66, 66, 80, 80, 80, 80, 66, 80, 66, 80, 80, 53, 66, 44, 66, 80, 44, 80, 80, 18, 44,
    66, 66, 80, 80, 80, 53, 80, 66, 66, 44, 44, 80, 80, 80,
  ];
  const s100bCases = [
    81, 63, 103, 78, 130, 144, 140, 26, 123, 50, 26, 128, 126, 139, 144, 118, 144, 144, 144, 26, 144, 120, 0, 50, 116,
    144, 118, 144, 38, 118, 81, 63, 74, 116, 144, 88, 144, 121, 144, 144, 130,
  ];
  const s100bControls = [
    58, 55, 66, 80, 28, 52, 66, 66, 80, 73, 80, 70, 63, 77, 52, 77, 63, 58, 52, 80, 53, 55, 36, 70, 24, 28, 53, 77, 32,
    28, 63, 73, 70, 73, 80, 58, 66, 55, 54, 80, 80, 70, 80, 70, 73, 53, 70, 73, 37, 63, 42, 77, 66, 39, 77, 80, 48, 34,
    66, 54, 73, 55, 66, 77, 80, 52, 54, 28, 52, 54, 24, 27,
  ];
  const placements = (cases: number[], controls: number[]): DelongComponents => {
    const positive = Float64Array.from(cases, (v) => v / 144);
    return {
      auc: positive.reduce((s, v) => s + v, 0) / 41,
      positive,
      negative: Float64Array.from(controls, (v) => v / 82),
    };
  };

  it("reproduces pROC's roc.test(wfns, s100b) on the aSAH data", () => {
    const result = delongFromComponents(placements(wfnsCases, wfnsControls), placements(s100bCases, s100bControls));
    expect(result.aucA).toBeCloseTo(0.823678861788618, 12);
    expect(result.aucB).toBeCloseTo(0.731368563685637, 12);
    expect(result.z).toBeCloseTo(2.20898359144091, 10);
    expect(result.pValue).toBeCloseTo(0.0271757822291882, 12);
    expect(result.ci95[0]).toBeCloseTo(0.0104061769564846, 12);
    expect(result.ci95[1]).toBeCloseTo(0.174214419249478, 12);
  });

  it("reproduces pROC's placements of wfns from the grades", () => {
    const caseGrade = new Map([
      [37, 1],
      [94, 2],
      [117, 3],
      [128, 4],
      [140, 5],
    ]);
    const controlGrade = new Map([
      [80, 1],
      [66, 2],
      [53, 3],
      [44, 4],
      [18, 5],
    ]);
    const grades = [...wfnsCases.map((v) => caseGrade.get(v)!), ...wfnsControls.map((v) => controlGrade.get(v)!)];
    const labels = grades.map((_, i) => (i < 41 ? 1 : 0));
    const fast = delongComponents(labels, grades) as DelongComponents;
    const published = placements(wfnsCases, wfnsControls);
    expect(fast.auc).toBeCloseTo(0.823678861788618, 12);
    fast.positive.forEach((v, i) => expect(v).toBeCloseTo(published.positive[i], 12));
    fast.negative.forEach((v, i) => expect(v).toBeCloseTo(published.negative[i], 12));
  });

  it('is flat for identical scores and decisive for a clearly better model', () => {
    const { truth, labels } = simulate(21, 4000);
    const same = delongTest(labels.purchase, truth.true_cvr, truth.true_cvr, labels.click);
    expect(same).toMatchObject({ difference: 0, z: 0, pValue: 1, ci95: [0, 0] });
    const worse = noisy(truth.true_cvr, 3, 22);
    const better = delongTest(labels.purchase, truth.true_cvr, worse, labels.click);
    expect(better.difference).toBeGreaterThan(0.05);
    expect(better.pValue).toBeLessThan(1e-6);
    expect(better.ci95[0]).toBeGreaterThan(0);
    const reversed = delongTest(labels.purchase, worse, truth.true_cvr, labels.click);
    expect(reversed.z).toBeCloseTo(-better.z, 10);
    expect(reversed.pValue).toBeCloseTo(better.pValue, 15);
  });

  it('rejects at about the nominal rate when two scorers are equally good', () => {
    let rejections = 0;
    const replications = 200;
    for (let seed = 0; seed < replications; seed++) {
      const random = new Random(1000 + seed);
      const latent = Array.from({ length: 400 }, () => random.normal());
      const labels = latent.map((l) => (random.next() < 1 / (1 + Math.exp(-l)) ? 1 : 0));
      const a = latent.map((l) => l + random.normal());
      const b = latent.map((l) => l + random.normal());
      if (delongTest(labels, a, b).pValue < 0.05) rejections++;
    }
    expect(rejections / replications).toBeGreaterThan(0.01);
    expect(rejections / replications).toBeLessThan(0.1);
  });

  it('has normal tail p-values to full precision', () => {
    expect(twoSidedNormalPValue(1.959963984540054)).toBeCloseTo(0.05, 14);
    expect(twoSidedNormalPValue(-1)).toBeCloseTo(0.3173105078629141, 14);
    expect(twoSidedNormalPValue(6) / 1.9731752900753e-9).toBeCloseTo(1, 10);
    expect(twoSidedNormalPValue(0)).toBe(1);
  });

  it('is NaN with a reason on a single class', () => {
    const result = delongTest([1, 1, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1]);
    expect(result.pValue).toBeNaN();
    expect(result.aucA).toBeNaN();
    expect(result.reason).toMatch(/one class/);
    expect(delongComponents([0, 0], [0.1, 0.2])).toHaveProperty('reason');
  });
});

describe('paired bootstrap', () => {
  const { truth, labels } = simulate(31, 3000);
  const better = noisy(truth.true_cvr, 0.5, 32);
  const worse = noisy(truth.true_cvr, 1.5, 33);

  it('has a CI around the DeLong difference, a similar spread, and is deterministic by seed', () => {
    const delong = delongTest(labels.purchase, better, worse, labels.click);
    const boot = pairedBootstrap(labels.purchase, better, worse, { resamples: 400, seed: 7, mask: labels.click });
    expect(boot.difference).toBeCloseTo(delong.difference, 12);
    expect(boot.ci95[0]).toBeLessThan(delong.difference);
    expect(boot.ci95[1]).toBeGreaterThan(delong.difference);
    expect(boot.standardError / delong.standardError).toBeGreaterThan(0.75);
    expect(boot.standardError / delong.standardError).toBeLessThan(1.33);
    expect(boot.resamples).toBe(400);
    const again = pairedBootstrap(labels.purchase, better, worse, { resamples: 400, seed: 7, mask: labels.click });
    expect(again).toEqual(boot);
    const otherSeed = pairedBootstrap(labels.purchase, better, worse, { resamples: 400, seed: 8, mask: labels.click });
    expect(otherSeed.ci95).not.toEqual(boot.ci95);
  });

  it('gives p = 1 for identical scores and NaN with a reason on one class', () => {
    const same = pairedBootstrap(labels.purchase, better, better, { resamples: 50, mask: labels.click });
    expect(same).toMatchObject({ difference: 0, pValue: 1, ci95: [0, 0] });
    expect(pairedBootstrap([0, 0, 0], [1, 2, 3], [3, 2, 1]).reason).toMatch(/one class/);
  });
});

describe('truth', () => {
  const { truth, labels } = simulate(41, 20000);

  it('the truth has zero error against itself', () => {
    const errors = truthErrors(truthStages(truth), truth, labels.click);
    expect(Object.keys(errors).sort()).toEqual(
      ['avr', 'buyGivenAction', 'buyGivenNoAction', 'chainedCtcvr', 'ctavr', 'ctcvr', 'ctr', 'cvr', 'pscGap'].sort(),
    );
    for (const { exposure, clicked } of Object.values(errors)) {
      for (const space of [exposure, clicked]) {
        expect(space.rmse).toBeLessThan(1e-7);
        expect(space.mae).toBeLessThan(1e-7);
        expect(space.ece).toBeLessThan(1e-7);
      }
    }
    expect(errors.cvr).toEqual({
      exposure: { rows: 20000, rmse: 0, mae: 0, ece: 0 },
      clicked: { rows: errors.cvr.clicked.rows, rmse: 0, mae: 0, ece: 0 },
    });
    expect(errors.cvr.clicked.rows).toBeLessThan(20000);
  });

  it('measures a model where it is off, including the gap a chain cannot represent', () => {
    const models = modelStages(truth, 42);
    const chain = truthErrors(models.chain, truth, labels.click);
    const esm2 = truthErrors(models.esm2, truth, labels.click);
    expect(chain.buyGivenNoAction.clicked.mae).toBeCloseTo(
      Array.from(truth.true_buy_given_no_action).reduce((s, v, i) => s + v * labels.click[i], 0) /
        labels.click.reduce((s, v) => s + v, 0),
      6,
    );
    expect(chain.pscGap.exposure.rmse).toBeGreaterThan(esm2.pscGap.exposure.rmse);
    expect(truthErrors(models.naive, truth, labels.click)).not.toHaveProperty('avr');
    // Off by 0.1 on the rows without a click only: perfect on the clicked space, not on the exposure space.
    const offUnclicked = Float32Array.from(truth.true_ctr, (p, i) => (labels.click[i] ? p : p + 0.1));
    const errors = truthErrors({ ...truthStages(truth), ctr: offUnclicked }, truth, labels.click);
    expect(errors.ctr.clicked).toMatchObject({ rmse: 0, mae: 0, ece: 0 });
    expect(errors.ctr.exposure.mae).toBeGreaterThan(0.05);
    expect(errors.ctr.exposure.ece).toBeGreaterThan(0.05);
  });

  it('oracle AUC is at least the AUC of noisy versions of the truth', () => {
    const oracle = oracleAuc(truth, labels);
    const models = modelStages(truth, 43);
    for (const stages of Object.values(models)) {
      const metrics = evaluateStages(stages, labels);
      for (const key of ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'avr_auc', 'ctavr_auc'] as const) {
        if (Number.isNaN(metrics[key])) continue;
        expect(oracle[key]).toBeGreaterThanOrEqual(metrics[key]);
      }
    }
    expect(oracle.cvr_auc).toBeCloseTo(auc(labels.purchase, truth.true_cvr, labels.click), 12);
  });
});

describe('compareModels', () => {
  it('tests every pair on cvr_auc (clicked rows) and ctcvr_auc (all rows) and flags significance', () => {
    const { truth, labels } = simulate(51, 6000);
    const t = truthStages(truth);
    const stages = { truth: t, naive: modelStages(truth, 52).naive, copy: t };
    const table = compareModels(labels, stages);
    expect(table.pairs.map((p) => `${p.metric}:${p.modelA}-${p.modelB}`)).toEqual([
      'cvr_auc:truth-naive',
      'cvr_auc:truth-copy',
      'cvr_auc:naive-copy',
      'ctcvr_auc:truth-naive',
      'ctcvr_auc:truth-copy',
      'ctcvr_auc:naive-copy',
    ]);
    const [truthNaive, truthCopy] = table.pairs;
    expect(truthNaive.aucA).toBeCloseTo(auc(labels.purchase, t.cvr, labels.click), 12);
    expect(truthNaive.significant).toBe(true);
    expect(truthCopy).toMatchObject({ difference: 0, pValue: 1, significant: false });
    expect(table.pairs[3].aucA).toBeCloseTo(
      auc(
        labels.click.map((c, i) => c * labels.purchase[i]),
        t.ctcvr,
      ),
      12,
    );
    const boot = compareModels(labels, stages, {
      method: 'bootstrap',
      metrics: ['cvr_auc'],
      bootstrap: { resamples: 100 },
    });
    expect(boot.pairs).toHaveLength(3);
    expect(boot.pairs[0].significant).toBe(true);
  });
});

function typedArraysIn(value: unknown, path = 'analysis'): string[] {
  if (ArrayBuffer.isView(value)) return [path];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, child]) => typedArraysIn(child, `${path}.${key}`));
  return [];
}

describe('analysePsc', () => {
  const { truth, labels } = simulate(61, 8000);
  const stagesByModel = modelStages(truth, 62);
  const random = new Random(63);
  const slice = {
    field: 'city',
    ids: Int32Array.from({ length: 8000 }, () => random.int(6)),
    vocabulary: ['x', 'y', 'z', 'w', 'v'],
  };

  it('composes everything into one small plain-JSON object', () => {
    const analysis = analysePsc({ labels, stagesByModel, truth, slices: [slice] });
    expect(typedArraysIn(analysis)).toEqual([]);
    expect(JSON.stringify(analysis).length).toBeLessThan(200_000);
    expect(analysis.estimates.map((e) => `${e.chained}/${e.constrained}`)).toEqual(['chain/esmc', 'esm2/esmc']);
    expect(analysis.models.chain).toMatchObject({ role: 'chained', impliedGap: { kind: 'decomposed', value: 0 } });
    expect(analysis.models.esmc.role).toBe('constrained');
    expect(analysis.models.naive).toMatchObject({ role: 'other', decomposition: null, impliedGap: { kind: 'none' } });
    expect(analysis.comparison.pairs).toHaveLength(12);
    expect(analysis.slices[0].slices.map((s) => s.value).sort()).toEqual(['other', 'v', 'w', 'x', 'y', 'z']);

    // The truth's implied gap is the mean of its per-click gap, which the labels estimate empirically.
    const gap = analysis.empirical.gap;
    expect(gap.available).toBe(true);
    const truePsc = analysis.truth!.psc;
    expect(truePsc.decomposition!.cvrMismatch).toBeLessThan(1e-6);
    expect(truePsc.impliedGap.value).toBeCloseTo(truePsc.decomposition!.noActionPath, 6);
    if (gap.available) {
      expect(truePsc.impliedGap.value).toBeGreaterThan(gap.ci95[0]);
      expect(truePsc.impliedGap.value).toBeLessThan(gap.ci95[1]);
    }
    expect(analysis.truth!.errors.chain.pscGap).toBeDefined();
    expect(analysis.truth!.oracleAuc.cvr_auc).toBeGreaterThan(0.5);
    expect(analysis.rows).toBe(8000);
    expect(analysis.clicks).toBe(labels.click.reduce((s, v) => s + v, 0));
  });

  it('still compares models without an action label or truth', () => {
    const { click, purchase } = labels;
    const analysis = analysePsc({ labels: { click, purchase }, stagesByModel });
    expect(analysis.empirical.pscShare.available).toBe(false);
    expect(Number.isNaN(analysis.actions)).toBe(true);
    expect(analysis.truth).toBeNull();
    expect(analysis.estimates).toHaveLength(2);
    expect(analysis.comparison.pairs.every((p) => Number.isFinite(p.pValue))).toBe(true);
  });

  it('refuses misaligned columns', () => {
    expect(() =>
      analysePsc({ labels, stagesByModel: { bad: { ...stagesByModel.naive, cvr: new Float32Array(3) } } }),
    ).toThrow(/bad.cvr has 3 rows/);
  });
});
