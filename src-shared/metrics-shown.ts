/**
 * What a table of metrics shows of a run, and why a figure is missing, in the same words in the Results view and
 * the report. Pure, no Node, no DOM.
 */
import { formatCount } from './charts/common.js';
import type { LearningAssessment } from './types/learning.js';
import { MIN_GAUC_USERS, type StageMetrics } from './types/metrics.js';

/**
 * A metric as the tables show it: undefined where the run has none, and where the run's "did it learn?" check
 * found its stage untestable on `part` (one class only, e.g. every row a click). A log-loss is defined there, but
 * it measures only how close the model came to the one label: an all-click slice gave every model a CTR log-loss
 * of 1.0e-7 beside "the CTR stage could not be learned or tested".
 */
export function shownMetric(
  run: { learning?: LearningAssessment },
  metrics: StageMetrics | undefined,
  metric: string,
  part: string,
): number | undefined {
  const value = metrics?.[metric];
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const stage = metric.split('_')[0];
  const checked = run.learning?.parts[part as 'validation' | 'test']?.stages.find((s) => s.stage === stage);
  return checked?.status === 'untestable' ? undefined : value;
}

/** Beside a table where `shownMetric` leaves a figure out. */
export const UNTESTABLE_METRICS_NOTE =
  '—: the model has no such stage, the metric is not defined on these rows, or the stage cannot be tested on ' +
  'this part (its rows hold one class only).';

/**
 * "cvr_gauc is left out: only 7 users have both a purchase and a non-purchase among the test part's clicks; a
 * GAUC needs 30." Null when a run has the figure, or when none was computed with user ids.
 */
export function cvrGaucNote(metrics: (StageMetrics | undefined)[], part: string): string | null {
  if (metrics.some((m) => typeof m?.cvr_gauc === 'number' && Number.isFinite(m.cvr_gauc))) return null;
  const users = metrics
    .map((m) => m?.cvr_gauc_users)
    .filter((n): n is number => typeof n === 'number' && Number.isFinite(n));
  if (users.length === 0) return null;
  const most = Math.max(...users);
  return (
    `cvr_gauc is left out: ${most === 0 ? 'no user has' : `only ${formatCount(most)} ${most === 1 ? 'user has' : 'users have'}`} ` +
    `both a purchase and a non-purchase among the ${part} part's clicks; a GAUC needs ${MIN_GAUC_USERS}.`
  );
}
