/**
 * What the data can support, said before anyone trains: a stage whose rows hold one class cannot be learned or
 * tested, and an AUC on a handful of purchases has an interval too wide to tell models apart. The same checks
 * run at import (on the parts a default split would give) and before training (on the stored split's parts).
 */
import type { LabelCounts } from '../metrics/learning.js';
import { Z_95 } from '../psc/empirical.js';
import type { Finding } from './encode.js';

/** An AUC interval wider than this (±0.05) cannot separate models a few points apart. */
const WIDE_AUC = 0.1;

/**
 * The half-width of a 95% interval of an AUC near 0.5 on `positives` and `negatives` rows: Hanley & McNeil's
 * variance at AUC = 0.5, (n₁ + n₀ + 1) / (12·n₁·n₀).
 */
export function aucHalfWidth(positives: number, negatives: number): number {
  if (positives < 1 || negatives < 1) return Infinity;
  return Z_95 * Math.sqrt((positives + negatives + 1) / (12 * positives * negatives));
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function finding(code: string, severity: Finding['severity'], message: string, rows: number): Finding {
  return { severity, code, message, count: Math.round(rows), exampleLines: [] };
}

/**
 * Findings about what `parts` (counts per part; at import, what a split would give) can support. `expected`
 * marks counts that are projections of the whole file rather than a stored split's.
 */
export function supportFindings(
  parts: Partial<Record<'train' | 'validation' | 'test', LabelCounts>>,
  options: { expected?: boolean } = {},
): Finding[] {
  const findings: Finding[] = [];
  const about = options.expected ? 'about ' : '';
  const has = options.expected ? 'would have' : 'has';
  const whole = Object.values(parts).filter((counts): counts is LabelCounts => counts !== undefined);
  const rows = whole.reduce((sum, counts) => sum + counts.rows, 0);
  const clicks = whole.reduce((sum, counts) => sum + counts.clicks, 0);
  if (rows > 0 && clicks === rows)
    findings.push(
      finding(
        'no-non-clicks',
        'warning',
        'every row is a click (no non-click exposures): the CTR stage cannot be learned or tested, and CTCVR ' +
          'equals CVR here; the models are compared on the post-click stages only',
        rows,
      ),
    );
  if (rows > 0 && clicks === 0)
    findings.push(finding('no-clicks', 'error', 'no row is a click: no post-click stage can be learned', rows));
  // One class on every clicked row of the data: no part of any split can hold the other.
  const oneClass = new Set<string>();
  const sumOf = (key: 'clickedPurchases' | 'clickedActions') =>
    whole.some((counts) => counts[key] === null) ? null : whole.reduce((sum, counts) => sum + counts[key]!, 0);
  for (const { stage, what, positives, learnedBy } of [
    { stage: 'CVR', what: 'purchase', positives: sumOf('clickedPurchases'), learnedBy: 'CVR and CTCVR' },
    { stage: 'AVR', what: 'in-shop action', positives: sumOf('clickedActions'), learnedBy: 'AVR and CTAVR' },
  ]) {
    if (positives === null || Math.round(clicks) === 0) continue;
    const none = Math.round(positives) === 0;
    if (!none && Math.round(positives) < Math.round(clicks)) continue;
    oneClass.add(stage);
    findings.push(
      finding(
        `${none ? 'no' : 'only'}-${what.replace(/ /g, '-')}s`,
        'warning',
        `${none ? `no clicked row has a ${what}` : `every clicked row has a ${what}`}: ` +
          `${learnedBy} cannot be learned or tested on this data`,
        clicks,
      ),
    );
  }
  const test = parts.test ?? parts.validation;
  const partName = `${parts.test ? 'test' : 'validation'}${options.expected ? ' part of a default split' : ' part'}`;
  if (!test || Math.round(test.clicks) === 0) return findings;
  const stages: { stage: string; what: string; positives: number | null }[] = [
    { stage: 'CVR', what: 'purchases', positives: test.clickedPurchases },
    { stage: 'AVR', what: 'in-shop actions', positives: test.clickedActions },
  ];
  for (const stage of stages) {
    if (stage.positives === null || oneClass.has(stage.stage)) continue;
    const { stage: name, what } = stage;
    // Expected counts are fractions of the whole: an interval rests on whole rows.
    const positives = Math.round(stage.positives);
    const negatives = Math.round(test.clicks - stage.positives);
    if (positives === 0 || negatives === 0) {
      findings.push(
        finding(
          `single-class-${name.toLowerCase()}`,
          'warning',
          `the ${partName} ${has} ${positives === 0 ? `no ${what}` : `only ${what}`} among its ${count(test.clicks)} ` +
            `clicks: ${name} cannot be tested there`,
          test.clicks,
        ),
      );
      continue;
    }
    const half = aucHalfWidth(positives, negatives);
    if (2 * half > WIDE_AUC)
      findings.push(
        finding(
          `few-${name.toLowerCase()}-positives`,
          2 * half > 2 * WIDE_AUC ? 'warning' : 'info',
          `the ${partName} ${has} ${about}${count(positives)} ${what} among ${count(test.clicks)} clicks: the ${name} ` +
            `AUC there has a 95% interval about ±${half.toFixed(2)} wide, so models closer than that cannot be told apart`,
          positives,
        ),
      );
  }
  return findings;
}

/** A whole file's counts as the parts a split of these fractions would give them (expected values). */
export function expectedParts(
  whole: LabelCounts,
  fractions: Record<'train' | 'validation' | 'test', number>,
): Record<'train' | 'validation' | 'test', LabelCounts> {
  const scale = (share: number): LabelCounts => ({
    rows: whole.rows * share,
    clicks: whole.clicks * share,
    clickedActions: whole.clickedActions === null ? null : whole.clickedActions * share,
    clickedActionPurchases: whole.clickedActionPurchases === null ? null : whole.clickedActionPurchases * share,
    clickedPurchases: whole.clickedPurchases * share,
  });
  return { train: scale(fractions.train), validation: scale(fractions.validation), test: scale(fractions.test) };
}
