/**
 * The analyst's question answered in one place: how much of the purchases bypass the in-shop action, which model
 * is hurt by that and by how much, and which model to trust for pCVR. Every number comes with its interval; a
 * difference whose interval includes 0 is called within noise; a run that did not learn is named, never ranked.
 */
import { auc } from '../metrics/auc.js';
import { PROBABILITY_CLIP } from '../metrics/calibration.js';
import type { FunnelLabelsLike } from '../metrics/stages.js';
import type { StageArrays } from '../train/predict.js';
import { aucHalfWidth } from '../data/support.js';
import { aucInterval } from './compare.js';
import { selectedRows, type PartialTruth } from './decomposition.js';
import { wilsonInterval, Z_95 } from './empirical.js';
import { formatPercent } from '../../../src-shared/charts/common.js';
import { pscShareText } from '../../../src-shared/psc-share.js';
import type { LearningAssessment } from '../../../src-shared/types/learning.js';
import {
  mayBeRanked,
  notLearnedText,
  PSC_MATERIAL_SHARE,
  type Estimate,
  type ModelVerdict,
  type PscAnalysis,
  type PscVerdict,
  type Proportion,
} from '../../../src-shared/types/psc.js';

export interface VerdictContext {
  /** Each model's "did it learn?" by its label in the analysis; a model without one was not checked. */
  learning?: Record<string, LearningAssessment | undefined>;
  /** The whole dataset's clicked purchases and those without an action: the Data view's PSC share. */
  dataset?: { purchases: number; purchasesWithoutAction: number | null };
  /** Which part the analysis is of; default test. */
  part?: 'validation' | 'test';
  /** How the part was split off the dataset; default random. */
  splitKind?: 'random' | 'time' | 'user';
}

/** Mean of f over the rows with a 95% interval (normal, from the rows' own spread). */
function meanWithInterval(rows: Uint32Array, f: (i: number) => number): Estimate {
  let sum = 0;
  let squares = 0;
  for (const i of rows) {
    const value = f(i);
    sum += value;
    squares += value * value;
  }
  const n = rows.length;
  const mean = n > 0 ? sum / n : NaN;
  const sd = n > 1 ? Math.sqrt(Math.max(0, (squares - n * mean * mean) / (n - 1))) : NaN;
  const half = (Z_95 * sd) / Math.sqrt(n);
  return { value: mean, ci95: [mean - half, mean + half] };
}

const clip = (p: number) => Math.min(Math.max(p, PROBABILITY_CLIP), 1 - PROBABILITY_CLIP);
const crossEntropy = (y: number, p: number) => -(y * Math.log(clip(p)) + (1 - y) * Math.log(1 - clip(p)));
const includesZero = ({ ci95: [low, high] }: Estimate) => low <= 0 && high >= 0;
const points = (value: number) => `${(Math.abs(value) * 100).toFixed(2)} points`;
const signedPoints = (value: number) => `${value >= 0 ? '+' : '−'}${(Math.abs(value) * 100).toFixed(2)}`;
const pointsInterval = ([low, high]: [number, number]) => `[${signedPoints(low)}, ${signedPoints(high)}]`;
const fixed = (value: number, digits = 4) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const signedFixed = (value: number, digits = 4) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
const estimateText = (e: Estimate, digits = 4) =>
  `${signedFixed(e.value, digits)} [${signedFixed(e.ci95[0], digits)}, ${signedFixed(e.ci95[1], digits)}]`;
const count = (n: number) => n.toLocaleString('en-US');
const list = (names: string[]) =>
  names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

function proportion(successes: number, trials: number): Proportion {
  if (trials <= 0) return { available: false, reason: 'no clicked purchase' };
  return { available: true, estimate: successes / trials, ci95: wilsonInterval(successes, trials), successes, trials };
}

/** As the Data view writes it (src-shared/psc-share.ts). */
function shareText(share: Extract<Proportion, { available: true }>): string {
  return pscShareText(share.successes, share.trials)!;
}

function materialityOf(share: Proportion): PscVerdict['materiality'] {
  if (!share.available) return 'unknown';
  if (share.ci95[0] >= PSC_MATERIAL_SHARE) return 'material';
  if (share.ci95[1] < PSC_MATERIAL_SHARE) return 'not-material';
  return 'uncertain';
}

interface Evidence {
  verdict: ModelVerdict;
  /** Per clicked row, the ranking measure (squared error against the truth, or log-loss): lower is better. */
  measure: Float64Array;
  logloss: Float64Array;
}

function evidenceOf(
  model: string,
  stages: StageArrays,
  labels: FunnelLabelsLike,
  clicked: Uint32Array,
  trueCvr: Float32Array | undefined,
  learning: LearningAssessment | undefined,
  analysis: Omit<PscAnalysis, 'verdict'>,
): Evidence {
  const { purchase, action } = labels;
  const { cvr, avr, buyGivenAction, buyGivenNoAction } = stages;
  const logloss = new Float64Array(clicked.length);
  const measure = new Float64Array(clicked.length);
  clicked.forEach((row, k) => {
    logloss[k] = crossEntropy(purchase[row], cvr[row]);
    measure[k] = trueCvr ? (cvr[row] - trueCvr[row]) ** 2 : logloss[k];
  });
  const splits = action && avr && buyGivenAction && buyGivenNoAction;
  const ci = aucInterval(purchase, cvr, labels.click);
  const verdict: ModelVerdict = {
    model,
    learned: learning ? learning.status : 'unknown',
    ...(learning ? { learningSummary: learning.summary } : {}),
    rank: null,
    cvrBias: meanWithInterval(clicked, (i) => cvr[i] - purchase[i]),
    ...(splits
      ? {
          actionPathBias: meanWithInterval(clicked, (i) => avr[i] * buyGivenAction[i] - action[i] * purchase[i]),
          noActionPathBias: meanWithInterval(
            clicked,
            (i) => (1 - avr[i]) * buyGivenNoAction[i] - (1 - action[i]) * purchase[i],
          ),
          impliedShare: analysis.models[model]?.decomposition?.impliedShare,
        }
      : {}),
    cvrLogloss: logloss.reduce((a, b) => a + b, 0) / Math.max(1, clicked.length),
    cvrAuc: { value: auc(purchase, cvr, labels.click), ci95: ci },
    ...(trueCvr ? { truthRmse: Math.sqrt(measure.reduce((a, b) => a + b, 0) / Math.max(1, clicked.length)) } : {}),
    hurt: false,
    sentence: '',
  };
  return { verdict, measure, logloss };
}

/** this − other, per clicked row, as a mean with its interval. */
function pairedDifference(mine: Float64Array, theirs: Float64Array): Estimate {
  const rows = selectedRows(mine.length);
  return meanWithInterval(rows, (k) => mine[k] - theirs[k]);
}

/** CVR AUC of `model` − that of `other`, with DeLong's interval from the analysis's comparison. */
function aucDifference(analysis: Omit<PscAnalysis, 'verdict'>, model: string, other: string): Estimate {
  const pair = analysis.comparison.pairs.find(
    (p) =>
      p.metric === 'cvr_auc' &&
      ((p.modelA === model && p.modelB === other) || (p.modelA === other && p.modelB === model)),
  );
  if (!pair) return { value: NaN, ci95: [NaN, NaN] };
  const sign = pair.modelA === model ? 1 : -1;
  const [low, high] = pair.ci95;
  return { value: sign * pair.difference, ci95: sign === 1 ? [low, high] : [-high, -low] };
}

export function pscVerdict(
  input: {
    labels: FunnelLabelsLike;
    stagesByModel: Record<string, StageArrays>;
    truth?: PartialTruth;
    analysis: Omit<PscAnalysis, 'verdict'>;
  },
  context: VerdictContext = {},
): PscVerdict | undefined {
  const { labels, stagesByModel, truth, analysis } = input;
  const names = Object.keys(stagesByModel);
  if (names.length === 0) return undefined;
  const partName = context.part ?? 'test';
  const clicked = selectedRows(
    labels.click.length,
    labels.click.map((c) => (c > 0.5 ? 1 : 0)),
  );
  const trueCvr = truth?.true_cvr;
  const rankedBy: PscVerdict['rankedBy'] = trueCvr ? 'truth' : 'logloss';

  // The PSC share: the whole dataset's first (the Data view's figure), the analysed part's beside it.
  const part = analysis.empirical.pscShare;
  const whole =
    context.dataset && context.dataset.purchasesWithoutAction !== null
      ? proportion(context.dataset.purchasesWithoutAction, context.dataset.purchases)
      : null;
  const share = whole?.available ? whole : part;
  const materiality = materialityOf(share);
  let difference: string | undefined;
  if (whole?.available && part.available && Math.abs(whole.estimate - part.estimate) >= 0.0005) {
    const inside = part.ci95[0] <= whole.estimate && whole.estimate <= part.ci95[1];
    const kind = context.splitKind ?? 'random';
    const sample = `the ${partName} part is a ${kind} sample of ${count(part.trials)} clicked purchases`;
    difference = inside
      ? `${sample}, and its interval includes the whole dataset's share`
      : kind === 'random'
        ? `${sample}; its share is further from the whole dataset's than its interval allows, which a random ` +
          `split does by chance once in twenty: the whole dataset's share is the better estimate`
        : `${sample}, and its share differs from the whole dataset's beyond sampling noise: the purchases of ` +
          `${kind === 'time' ? 'the latest period' : 'these users'} bypass the action at another rate`;
  }

  const evidence = names.map((name) =>
    evidenceOf(name, stagesByModel[name], labels, clicked, trueCvr, context.learning?.[name], analysis),
  );
  // Log-loss on clicks of one class ranks whoever predicts nearest 0 (or 1) first: nothing about pCVR is tested.
  const purchases = clicked.reduce((n, i) => n + (labels.purchase[i] > 0.5 ? 1 : 0), 0);
  const clicksOfOneClass = rankedBy === 'logloss' && (purchases === 0 || purchases === clicked.length);
  const partClicks = `${count(purchases)} purchases among ${count(clicked.length)} clicks`;
  const unranked = clicksOfOneClass
    ? `the ${partName} part has ${partClicks}, so pCVR cannot be tested there`
    : undefined;
  const learned = (e: Evidence) => mayBeRanked(e.verdict);
  const eligible = unranked ? [] : evidence.filter(learned);
  const meanMeasure = (e: Evidence) => e.measure.reduce((a, b) => a + b, 0) / Math.max(1, e.measure.length);
  eligible.sort((a, b) => meanMeasure(a) - meanMeasure(b));
  eligible.forEach((e, k) => (e.verdict.rank = k + 1));
  const trusted = eligible[0];
  const tiedWithTrust: string[] = [];
  for (const e of eligible.slice(1)) {
    const measure = pairedDifference(e.measure, trusted.measure);
    const withinNoise = includesZero(measure);
    if (withinNoise) tiedWithTrust.push(e.verdict.model);
    e.verdict.versusTrusted = {
      model: trusted.verdict.model,
      measure,
      logloss: pairedDifference(e.logloss, trusted.logloss),
      auc: aucDifference(analysis, e.verdict.model, trusted.verdict.model),
      withinNoise,
    };
  }

  // Hurt by PSC: it routes purchases through the action and its no-action path falls short beyond noise. Only a
  // model that learned is judged: the paths of one that did not are not a result.
  for (const e of evidence) {
    const bias = e.verdict.noActionPathBias;
    e.verdict.hurt = eligible.includes(e) && materiality !== 'not-material' && bias !== undefined && bias.ci95[1] < 0;
  }
  const hurt = evidence.filter((e) => e.verdict.hurt).map((e) => e.verdict.model);

  for (const e of evidence) e.verdict.sentence = modelSentence(e.verdict, rankedBy, partName, unranked);
  const ordered = [...eligible, ...evidence.filter((e) => !eligible.includes(e))].map((e) => e.verdict);

  const sentences: string[] = [];
  if (share.available) {
    const where = whole?.available ? 'on the whole dataset' : `on the ${partName} part`;
    let text = `${shareText(share)} were made without an in-shop action ${where}.`;
    if (difference && part.available) text += ` On the ${partName} part alone: ${shareText(part)}; ${difference}.`;
    sentences.push(text);
  } else sentences.push(`The PSC share cannot be measured: ${share.reason}.`);
  sentences.push(
    {
      material: `PSC is material here (above ${formatPercent(PSC_MATERIAL_SHARE, 0)} beyond noise): a model that routes every purchase through the action misreads this data.`,
      'not-material': `PSC is not material here (below ${formatPercent(PSC_MATERIAL_SHARE, 0)} beyond noise): the chain rule holds, and chained models are not hurt by it.`,
      uncertain: `Whether PSC is material here cannot be told: the share's interval straddles ${formatPercent(PSC_MATERIAL_SHARE, 0)}.`,
      unknown: 'Without an in-shop action label, no model can be checked for PSC.',
    }[materiality],
  );
  const chained = evidence.filter((e) => e.verdict.noActionPathBias !== undefined);
  if (materiality !== 'not-material' && materiality !== 'unknown') {
    if (chained.length === 0)
      sentences.push(
        'No compared model routes purchases through the action (chain, esm2): add one to see what PSC costs.',
      );
    for (const e of chained) {
      const v = e.verdict;
      if (!eligible.includes(e)) {
        const why = learned(e)
          ? `pCVR cannot be tested on the ${partName} part`
          : `it ${notLearnedText(v)}${v.learned === 'untestable' ? ' here' : ''}`;
        sentences.push(
          `${v.model} routes purchases through the action, but ${why}: whether PSC hurts it cannot be read from this run.`,
        );
        continue;
      }
      const bias = v.noActionPathBias!;
      const action = v.actionPathBias!;
      const implied =
        v.impliedShare !== undefined && Number.isFinite(v.impliedShare) && share.available
          ? ` It puts ${formatPercent(v.impliedShare)} of its purchases on the no-action path, against ` +
            `${formatPercent(share.estimate)} measured.`
          : '';
      const uncertainSplit = context.learning?.[v.model]?.weak?.includes('avr')
        ? ` Its action stage is not shown to be learned, so its split between the paths is uncertain.`
        : '';
      if (!v.hurt) {
        sentences.push(
          `${v.model} is not hurt beyond noise: its no-action path is off by ${signedPoints(bias.value)} points ` +
            `${pointsInterval(bias.ci95)} of CVR.${implied}${uncertainSplit}`,
        );
        continue;
      }
      const moved =
        action.ci95[0] > 0 ? ` and moves them onto the action path (${signedPoints(action.value)} points there)` : '';
      const cost = v.versusTrusted
        ? ` What it costs its pCVR: ${costText(v, rankedBy)} (${v.versusTrusted.withinNoise ? 'within noise' : 'beyond noise'}).`
        : ' Yet its pCVR is the most accurate here: the misreading does not reach the total.';
      sentences.push(
        `${v.model} is hurt: its no-action path is short by ${points(bias.value)} of CVR ` +
          `(95% interval ${pointsInterval(bias.ci95)})${moved}.${implied}${cost}${uncertainSplit}`,
      );
    }
  }
  if (trusted) {
    const v = trusted.verdict;
    const why =
      rankedBy === 'truth'
        ? `the lowest error against the known true CVR (RMSE ${fixed(v.truthRmse!)} on the ${partName} clicks)`
        : `the lowest CVR log-loss on the ${partName} clicks (${fixed(v.cvrLogloss)})`;
    const own = (m: ModelVerdict) => fixed(rankedBy === 'truth' ? m.truthRmse! : m.cvrLogloss);
    const worse = eligible.slice(1).filter((e) => !tiedWithTrust.includes(e.verdict.model));
    const others = [
      tiedWithTrust.length > 0 ? ` Within noise of it: ${list(tiedWithTrust)}.` : '',
      worse.length > 0
        ? ` Worse beyond noise: ${list(worse.map((e) => `${e.verdict.model} (${own(e.verdict)})`))}.`
        : '',
    ].join('');
    sentences.push(`Trust ${v.model} for pCVR: ${why}.${others}`);
    const bestAuc = [...eligible].sort((a, b) => b.verdict.cvrAuc.value - a.verdict.cvrAuc.value)[0];
    if (bestAuc !== trusted && bestAuc.verdict.versusTrusted) {
      const difference = bestAuc.verdict.versusTrusted.auc;
      sentences.push(
        `${bestAuc.verdict.model} has the highest CVR AUC (${fixed(bestAuc.verdict.cvrAuc.value, 3)}), ` +
          `${includesZero(difference) ? 'within noise of' : 'beyond noise above'} ${v.model}'s ` +
          `(${estimateText(difference, 3)}): it orders the purchases better, but ${v.model}'s probabilities are nearer the ${rankedBy === 'truth' ? 'true ones' : 'observed rates'}.`,
      );
    }
  } else if (unranked) sentences.push(`No model is ranked for pCVR: ${unranked}.`);
  else sentences.push('No model learned: there is no model to trust for pCVR on this data.');
  const notRanked = evidence.filter((e) => !learned(e)).map((e) => e.verdict);
  for (const v of notRanked)
    sentences.push(
      `Not ranked: ${v.model} ${notLearnedText(v)}${v.learningSummary ? ` (${v.learningSummary.replace(/^Not learned: /, '')})` : ''}; conclusions drawn from it do not hold.`,
    );

  const caveats: string[] = [];
  const half = aucHalfWidth(purchases, clicked.length - purchases);
  if (purchases === 0 || purchases === clicked.length)
    caveats.push(`The ${partName} part has ${partClicks}: CVR cannot be tested there.`);
  else if (2 * half > 0.1)
    caveats.push(`The ${partName} part has ${partClicks}: CVR AUCs there are uncertain by about ±${half.toFixed(2)}.`);
  const unchecked = evidence.filter((e) => e.verdict.learned === 'unknown').map((e) => e.verdict.model);
  if (unchecked.length > 0)
    caveats.push(`${list(unchecked)} trained before the "did it learn?" check: ranked, but not checked.`);
  const untestable = new Set(Object.values(context.learning ?? {}).flatMap((learning) => learning?.untestable ?? []));
  if (untestable.has('ctr')) {
    const oneClass =
      clicked.length === 0
        ? `No row of the ${partName} part is a click`
        : clicked.length === labels.click.length
          ? `Every row of the ${partName} part is a click`
          : 'The rows the CTR stage was scored on hold one class only';
    caveats.push(`${oneClass}: the CTR stage could not be learned or tested.`);
  }

  const untested = clicksOfOneClass ? `pCVR cannot be tested on the ${partName} part (${partClicks})` : undefined;
  const headline = headlineOf(share, materiality, hurt, evidence, trusted?.verdict, tiedWithTrust, untested);
  return {
    share: { dataset: whole, part, partName, ...(difference ? { difference } : {}) },
    materiality,
    rankedBy,
    models: ordered,
    trust: trusted?.verdict.model ?? null,
    ...(unranked ? { unranked } : {}),
    tiedWithTrust,
    hurt,
    headline,
    sentences,
    caveats,
  };
}

function headlineOf(
  share: Proportion,
  materiality: PscVerdict['materiality'],
  hurt: string[],
  evidence: Evidence[],
  trusted: ModelVerdict | undefined,
  ties: string[],
  untested: string | undefined,
): string {
  const parts: string[] = [];
  if (share.available) {
    const what = {
      material: 'PSC is material',
      'not-material': 'PSC is not material',
      uncertain: 'whether PSC is material cannot be told',
      unknown: '',
    }[materiality];
    parts.push(`${formatPercent(share.estimate)} of purchases bypass the in-shop action: ${what}`);
  } else parts.push('The PSC share cannot be measured on this data');
  if (hurt.length > 0) {
    const worst = evidence
      .filter((e) => hurt.includes(e.verdict.model))
      .map((e) => `${e.verdict.model} (${signedPoints(e.verdict.noActionPathBias!.value)} points of CVR)`);
    parts.push(`${list(worst)} ${hurt.length === 1 ? 'is' : 'are'} hurt`);
  }
  if (trusted) parts.push(`trust ${trusted.model} for pCVR${ties.length > 0 ? ` (${list(ties)} within noise)` : ''}`);
  else parts.push(untested ?? 'no model learned');
  const sentence = parts.join('; ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** "an RMSE of 0.1057 against the true CVR, where esm2 has 0.1045", or its log-loss above the trusted model's. */
function costText(v: ModelVerdict, rankedBy: PscVerdict['rankedBy']): string {
  const versus = v.versusTrusted!;
  if (rankedBy === 'truth') {
    const theirs = Math.sqrt(Math.max(0, v.truthRmse! ** 2 - versus.measure.value));
    return `an RMSE of ${fixed(v.truthRmse!)} against the true CVR, where ${versus.model} has ${fixed(theirs)}`;
  }
  return `a CVR log-loss ${estimateText(versus.logloss)} above ${versus.model}'s`;
}

function modelSentence(
  v: ModelVerdict,
  rankedBy: PscVerdict['rankedBy'],
  partName: string,
  unranked: string | undefined,
): string {
  if (v.learned === 'not-learned' || v.learned === 'untestable')
    return `${v.model} ${notLearnedText(v)}; its numbers are not results.`;
  const mean = `mean pCVR ${signedPoints(v.cvrBias.value)} points against the ${partName} clicks`;
  const path = v.noActionPathBias
    ? `; no-action path ${signedPoints(v.noActionPathBias.value)} points ${pointsInterval(v.noActionPathBias.ci95)}`
    : '';
  if (unranked) return `${v.model}: not ranked, since ${unranked}; ${mean}${path}.`;
  const rank = v.rank === 1 ? 'the model to trust' : `ranked ${v.rank}`;
  const measure =
    rankedBy === 'truth' ? `RMSE against the true CVR ${fixed(v.truthRmse!)}` : `CVR log-loss ${fixed(v.cvrLogloss)}`;
  const versus = v.versusTrusted
    ? `, ${v.versusTrusted.withinNoise ? 'within noise of' : 'worse beyond noise than'} ${v.versusTrusted.model}`
    : '';
  return `${v.model}: ${rank} (${measure}${versus}); ${mean}${path}.`;
}
