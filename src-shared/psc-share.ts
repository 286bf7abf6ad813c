/**
 * The PSC share as every face writes it: the Data view's funnel, the PSC verdict's first sentence and the report
 * read the same figure off the same counts, so they print it with the same words. Pure, no Node, no DOM.
 */
import { formatCount, formatPercent } from './charts/common.js';
import { wilsonInterval } from './stats.js';

/**
 * "84.29% (59 of 70 clicked purchases; 95% interval 74.01% to 90.99%)": the share of clicked purchases made
 * without an in-shop action, its counts and its Wilson 95% interval. Null without a purchase to share.
 */
export function pscShareText(purchasesWithoutAction: number, purchases: number): string | null {
  if (!(purchases > 0)) return null;
  const [low, high] = wilsonInterval(purchasesWithoutAction, purchases);
  return (
    `${formatPercent(purchasesWithoutAction / purchases)} (${formatCount(purchasesWithoutAction)} of ` +
    `${formatCount(purchases)} clicked purchases; 95% interval ${formatPercent(low)} to ${formatPercent(high)})`
  );
}
