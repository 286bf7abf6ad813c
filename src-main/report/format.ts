/** How the report writes numbers: with the charts' formatters, so the PDF reads as the screen does. */
import { formatCount, formatPercent, formatValue, isAvailable } from '../../src-shared/charts/index.js';
import type { Estimate, Proportion } from '../../src-shared/types/index.js';

/** "0.7123 [0.7001, 0.7245]", or the value alone without an interval: AUCs, log-losses, errors. */
export function withInterval(value: unknown, interval?: [number | null, number | null] | null): string {
  if (!isAvailable(value)) return '—';
  if (!interval || !isAvailable(interval[0]) || !isAvailable(interval[1])) return formatValue(value);
  return `${formatValue(value)} [${formatValue(interval[0])}, ${formatValue(interval[1])}]`;
}

/** A rate or share as the PSC view writes it: "41.78% (95% CI 34.09% – 49.89%; 61 of 146)". */
export function proportionText(p: Proportion): string {
  if (!p.available) return `not available: ${p.reason}`;
  return (
    `${formatPercent(p.estimate)} (95% CI ${formatPercent(p.ci95[0])} – ${formatPercent(p.ci95[1])}; ` +
    `${formatCount(p.successes)} of ${formatCount(p.trials)})`
  );
}

/** A difference of probabilities in percentage points, signed, as the verdict writes it: "−6.06 points". */
export function points(value: unknown): string {
  if (!isAvailable(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${formatPercent(Math.abs(value)).replace('%', '')} points`;
}

/** A mean difference of probabilities with its interval, in points: "+2.73 [+0.58, +4.87] points". */
export function pointsWithInterval(e: Estimate): string {
  const signed = (v: number) => points(v).replace(' points', '');
  return `${signed(e.value)} [${signed(e.ci95[0])}, ${signed(e.ci95[1])}] points`;
}

/** "chain, esm2 and esmc". */
export function list(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
