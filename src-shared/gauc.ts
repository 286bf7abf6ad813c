/**
 * Why the CVR GAUC is missing, in the words the Results view and the report both print. Pure, no Node, no DOM.
 */
import { formatCount } from './charts/common.js';
import { MIN_GAUC_USERS, type StageMetrics } from './types/metrics.js';

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
