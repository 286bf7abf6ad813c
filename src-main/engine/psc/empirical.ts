/**
 * What the labels themselves say about Probability Space Confusion, and what each model implies for the same
 * quantity, overall and per slice of a categorical field.
 *
 * - PSC share  P(a=0 | b=1, c=1): of the clicked purchases, the share made without an in-shop action. ≈ 0 means
 *   the chain rule holds and ESMC should reduce to the chained model; large means PSC matters (reference §4).
 * - Empirical gap  P(b=1, a=0 | c=1): the PSC gap Δ = P(b, ¬a, c) divided by P(c), i.e. on the click space
 *   where pCVR lives, so that it compares directly with each model's implied gap below.
 */
import type { FunnelLabelsLike } from '../metrics/index.js';
import type { StageArrays } from '../train/predict.js';
import type { Proportion, ImpliedGapKind, ImpliedGap, SliceGap } from '../../../src-shared/types/psc.js';
import { standardisedDistance, wilsonInterval } from '../../../src-shared/stats.js';

export type { Proportion, ImpliedGapKind, ImpliedGap, SliceGap } from '../../../src-shared/types/psc.js';

export { Z_95, wilsonInterval } from '../../../src-shared/stats.js';

function proportion(successes: number, trials: number, emptyReason: string): Proportion {
  if (trials === 0) return { available: false, reason: emptyReason };
  return { available: true, estimate: successes / trials, ci95: wilsonInterval(successes, trials), successes, trials };
}

const NO_ACTION_LABEL = 'the data has no in-shop action label (cart / wish-list), so purchases cannot be split by it';

interface FunnelCounts {
  rows: number;
  clicks: number;
  actions: number;
  purchases: number;
  purchasesWithoutAction: number;
}

function emptyCounts(): FunnelCounts {
  return { rows: 0, clicks: 0, actions: 0, purchases: 0, purchasesWithoutAction: 0 };
}

/** Counts on the clicked rows only: purchases and actions without a click violate the funnel and are ignored. */
function countRow(counts: FunnelCounts, labels: FunnelLabelsLike, i: number): void {
  counts.rows++;
  if (!(labels.click[i] > 0.5)) return;
  counts.clicks++;
  const acted = labels.action ? labels.action[i] > 0.5 : false;
  if (acted) counts.actions++;
  if (labels.purchase[i] > 0.5) {
    counts.purchases++;
    if (!acted) counts.purchasesWithoutAction++;
  }
}

function shareOf(counts: FunnelCounts, hasAction: boolean): Proportion {
  if (!hasAction) return { available: false, reason: NO_ACTION_LABEL };
  return proportion(counts.purchasesWithoutAction, counts.purchases, 'no purchase among the clicked rows');
}

function gapOf(counts: FunnelCounts, hasAction: boolean): Proportion {
  if (!hasAction) return { available: false, reason: NO_ACTION_LABEL };
  return proportion(counts.purchasesWithoutAction, counts.clicks, 'no clicked rows');
}

function countAll(labels: FunnelLabelsLike): FunnelCounts {
  const counts = emptyCounts();
  for (let i = 0; i < labels.click.length; i++) countRow(counts, labels, i);
  return counts;
}

/** P(a=0 | b=1, c=1) with a Wilson 95% interval: successes = clicked purchases without action, trials = clicked purchases. */
export function pscShare(labels: FunnelLabelsLike): Proportion {
  return shareOf(countAll(labels), labels.action !== undefined);
}

/** P(b=1, a=0 | c=1) with a Wilson 95% interval: successes = clicked purchases without action, trials = clicks. */
export function empiricalGap(labels: FunnelLabelsLike): Proportion {
  return gapOf(countAll(labels), labels.action !== undefined);
}

export function impliedGapKind(stages: StageArrays): ImpliedGapKind {
  return stages.avr && stages.buyGivenNoAction ? 'decomposed' : 'none';
}

const NOT_SPLIT = (stages: StageArrays) =>
  stages.avr ? 'it has pAVR and pCVR but does not split its purchases by the action' : 'it has no action stage (pAVR)';

/** Implied gap per group: group[i] is row i's group, −1 leaves the row out. */
function impliedGapByGroup(stages: StageArrays, group: Int32Array, groups: number): ImpliedGap[] {
  const kind = impliedGapKind(stages);
  if (kind === 'none') return Array.from({ length: groups }, () => ({ kind, value: NaN, reason: NOT_SPLIT(stages) }));
  const { avr, buyGivenNoAction } = stages;
  const sums = new Float64Array(groups);
  const counts = new Float64Array(groups);
  for (let i = 0; i < group.length; i++) {
    const g = group[i];
    if (g < 0) continue;
    counts[g]++;
    sums[g] += (1 - avr![i]) * buyGivenNoAction![i];
  }
  return Array.from({ length: groups }, (_, g) => ({ kind, value: sums[g] / counts[g] }));
}

/** The model's implied P(b, ¬a | c), averaged over the clicked rows (click label as the mask). */
export function impliedGap(stages: StageArrays, clickMask: ArrayLike<number>): ImpliedGap {
  const group = new Int32Array(clickMask.length);
  for (let i = 0; i < group.length; i++) group[i] = clickMask[i] > 0.5 ? 0 : -1;
  return impliedGapByGroup(stages, group, 1)[0];
}

export interface SliceOptions {
  /** Keep the K values with the most clicks; default 10. */
  topK?: number;
  /** A value with fewer clicks is merged into "other" even when it is in the top K; default 30. */
  minClicks?: number;
  /** Label of the merged slice; default "other". */
  otherLabel?: string;
}

/**
 * Empirical vs implied PSC gap per value of one categorical field. sliceIds[i] is row i's id, vocabulary[id − 1]
 * names id ≥ 1 and id 0 is other/missing. Values are kept by clicks because the gap is a click-space
 * proportion: a value with many exposures but few clicks would give a uselessly wide interval. The slices come
 * ordered by how far their gap stands from the overall one in standard errors (bySliceOrder), "other" last, and
 * a slice whose purchases are all of one kind (or that has none) carries a note saying so.
 */
export function gapBySlice(
  labels: FunnelLabelsLike,
  sliceIds: Int32Array,
  vocabulary: readonly string[],
  modelStages: Record<string, StageArrays>,
  options: SliceOptions = {},
): SliceGap[] {
  const { topK = 10, minClicks = 30, otherLabel = 'other' } = options;
  const rows = labels.click.length;
  if (sliceIds.length !== rows) throw new Error(`sliceIds has ${sliceIds.length} rows, expected ${rows}`);

  const clicksById = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    const id = sliceIds[i];
    clicksById.set(id, (clicksById.get(id) ?? 0) + (labels.click[i] > 0.5 ? 1 : 0));
  }
  const kept = [...clicksById]
    .filter(([id, clicks]) => id > 0 && clicks >= minClicks)
    .sort(([idA, clicksA], [idB, clicksB]) => clicksB - clicksA || idA - idB)
    .slice(0, topK)
    .map(([id]) => id);
  const groupOfId = new Map(kept.map((id, g) => [id, g]));
  const otherGroup = kept.length;

  const group = new Int32Array(rows);
  const clickedGroup = new Int32Array(rows);
  const counts = Array.from({ length: kept.length + 1 }, emptyCounts);
  for (let i = 0; i < rows; i++) {
    group[i] = groupOfId.get(sliceIds[i]) ?? otherGroup;
    clickedGroup[i] = labels.click[i] > 0.5 ? group[i] : -1;
    countRow(counts[group[i]], labels, i);
  }
  const implied = Object.fromEntries(
    Object.entries(modelStages).map(([name, stages]) => [
      name,
      impliedGapByGroup(stages, clickedGroup, kept.length + 1),
    ]),
  );
  const hasAction = labels.action !== undefined;
  const mergedIds = clicksById.size - kept.length;
  const overall = counts.reduce((sum, count) => {
    sum.clicks += count.clicks;
    sum.purchasesWithoutAction += count.purchasesWithoutAction;
    return sum;
  }, emptyCounts());
  const slices = counts.map((count, g): SliceGap => ({
    value: g === otherGroup ? otherLabel : (vocabulary[kept[g] - 1] ?? `#${kept[g]}`),
    isOther: g === otherGroup,
    distinctValues: g === otherGroup ? mergedIds : 1,
    rows: count.rows,
    clicks: count.clicks,
    actions: hasAction ? count.actions : NaN,
    purchases: count.purchases,
    empiricalGap: gapOf(count, hasAction),
    pscShare: shareOf(count, hasAction),
    models: Object.fromEntries(Object.entries(implied).map(([name, gaps]) => [name, gaps[g]])),
    distance: hasAction
      ? standardisedDistance(count.purchasesWithoutAction, count.clicks, overall.purchasesWithoutAction, overall.clicks)
      : NaN,
    ...noteOf(count, hasAction),
  }));
  return slices.filter((slice) => !slice.isOther || slice.rows > 0).sort(bySliceOrder);
}

/**
 * The order of a field's slices: largest standardised distance from the overall gap first (slices without one
 * after, by clicks), "other" last. Stable, so ties keep the click order.
 */
export function bySliceOrder(a: SliceGap, b: SliceGap): number {
  if (a.isOther !== b.isOther) return a.isOther ? 1 : -1;
  // A slice that cannot tell anything (a note says why) follows the ones that can.
  if ((a.note === undefined) !== (b.note === undefined)) return a.note === undefined ? -1 : 1;
  const da = Number.isFinite(a.distance) ? a.distance : -Infinity;
  const db = Number.isFinite(b.distance) ? b.distance : -Infinity;
  return da === db ? 0 : db > da ? 1 : -1;
}

/** A slice with no purchase, or too few to read its share, says nothing about PSC; the chart shows it muted. */
/** Below this many purchases a slice's PSC share has an interval too wide to read. */
const FEW_PURCHASES = 5;

function noteOf(count: FunnelCounts, hasAction: boolean): { note?: string } {
  const { clicks, purchases } = count;
  if (!hasAction) return purchases === 0 ? { note: `no purchase among its ${clicks} clicks` } : {};
  if (purchases === 0) return { note: `no purchase among its ${clicks} clicks: its PSC share is undefined` };
  // All of one kind is a finding when there are enough of them (9 of 9 without an action); on a few it is noise.
  if (purchases < FEW_PURCHASES)
    return {
      note: `only ${purchases} purchase${purchases === 1 ? '' : 's'} among its ${clicks} clicks: too few to tell anything about PSC`,
    };
  return {};
}
