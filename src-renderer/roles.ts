import type { ColumnRoles } from '../src-shared/types/index.js';

/** What a person can make of one column in the mapping table. */
export const ROLE_OPTIONS = [
  { value: 'click', label: 'click label' },
  { value: 'action', label: 'in-shop action label' },
  { value: 'purchase', label: 'purchase label' },
  { value: 'user', label: 'user id' },
  { value: 'item', label: 'item id' },
  { value: 'timestamp', label: 'timestamp' },
  { value: 'categorical', label: 'categorical feature' },
  { value: 'multiHot', label: 'multi-hot feature (a|b|c)' },
  { value: 'dense', label: 'numeric feature' },
  { value: 'truth', label: 'true probability (evaluation only)' },
  { value: 'ignore', label: 'ignore' },
] as const;
export type Role = (typeof ROLE_OPTIONS)[number]['value'];

const SINGLE = ['click', 'purchase', 'user', 'item', 'timestamp'] as const;
const LISTS = ['action', 'categorical', 'multiHot', 'dense', 'truth', 'ignore'] as const;
type SingleRole = (typeof SINGLE)[number];
type ListRole = (typeof LISTS)[number];

function isSingle(role: Role): role is SingleRole {
  return (SINGLE as readonly string[]).includes(role);
}

/** The role a column plays; a user or item id that is also a feature shows as the id. */
export function roleOf(roles: ColumnRoles, column: string): Role {
  for (const role of SINGLE) if (roles[role] === column) return role;
  for (const role of LISTS) if (roles[role]?.includes(column)) return role;
  return 'ignore';
}

/**
 * The roles with `column` given `role`; nothing else changes, except that a single-column role (click, purchase,
 * user, item, timestamp) handed to a new column leaves its old column ignored, so no column is ever mapped twice
 * to a label by accident.
 */
export function withRole(roles: ColumnRoles, column: string, role: Role): ColumnRoles {
  const next: ColumnRoles = {
    ...roles,
    categorical: [...roles.categorical],
    dense: [...roles.dense],
    truth: [...roles.truth],
    ignore: [...roles.ignore],
    action: roles.action ? [...roles.action] : undefined,
    multiHot: roles.multiHot ? [...roles.multiHot] : undefined,
  };
  // A cleared single role is '' rather than absent: the import replaces the suggested roles field by field, so
  // an absent field would bring the suggestion back.
  for (const single of SINGLE) if (next[single] === column && single !== role) next[single] = '';
  for (const list of LISTS) {
    const current = next[list];
    if (list !== role && current) next[list] = current.filter((name) => name !== column);
  }
  if (isSingle(role)) {
    const previous = next[role];
    if (previous && previous !== column && roleOf({ ...next, [role]: '' }, previous) === 'ignore') {
      next.ignore = [...next.ignore, previous];
    }
    next[role] = column;
  } else {
    const list: ListRole = role;
    const current = next[list] ?? [];
    if (!current.includes(column)) next[list] = [...current, column];
  }
  return next;
}

/** Whether the user column is also a categorical feature: yes unless `userFeature` is false. */
export function userIsFeature(roles: ColumnRoles): boolean {
  return roles.userFeature !== false;
}

/**
 * The roles with the user column a feature or the user key only. `userFeature` is always set, so the import's
 * field-by-field merge never brings back a suggestion; the user column leaves `categorical` either way, since the
 * switch alone decides (the encoders add it as a feature when it is on).
 */
export function setUserFeature(roles: ColumnRoles, on: boolean): ColumnRoles {
  const { user } = roles;
  return {
    ...roles,
    categorical: user ? roles.categorical.filter((name) => name !== user) : [...roles.categorical],
    userFeature: on,
  };
}

/** What still stops an import: the two labels every model needs. */
export function missingLabels(roles: ColumnRoles): string[] {
  return [roles.click ? null : 'a click label', roles.purchase ? null : 'a purchase label'].filter(
    (missing): missing is string => missing !== null,
  );
}
