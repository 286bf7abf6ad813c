import type { ColumnRoles } from '../engine/data/roles.js';
import { UsageError } from './command.js';

const LIST_ROLES = ['action', 'categorical', 'multiHot', 'dense', 'truth', 'ignore'] as const;
const SINGLE_ROLES = ['click', 'purchase', 'user', 'item', 'timestamp'] as const;
const SWITCHES = ['userFeature'] as const;

/** The roles `--roles` takes, for help texts. */
export const ROLE_NAMES = [...SINGLE_ROLES, ...LIST_ROLES, ...SWITCHES];

/** The `--roles` lines of a command's help, its descriptions starting at column `column` after `indent`. */
export function rolesHelp(indent = '', column = 25): string {
  const pad = (text: string) => `${indent}${text.padEnd(column)}`;
  return [
    `${pad('--roles R')}JSON ({"click":"clk","dense":["price"]}) or pairs: "click=clk;dense=price,age"`,
    `${pad('')}roles: ${[...SINGLE_ROLES, ...LIST_ROLES.slice(0, 3)].join(', ')},`,
    `${pad('')}${LIST_ROLES.slice(3).join(', ')}; the user column is also a categorical feature`,
    `${pad('')}unless userFeature=false`,
  ].join('\n');
}

function switchValue(name: string, value: unknown): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  throw new UsageError(`--roles: ${name} must be true or false; got "${String(value)}"`);
}

/**
 * `--roles` as JSON (`{"click":"clk"}`) or as `role=col[,col…]` pairs separated by `;` or spaces, and
 * `userFeature=false` to keep the user column as the user key only. The same syntax for import, train, psc and
 * evaluate; each replaces the guessed roles field by field.
 */
export function parseRoles(text: string): Partial<ColumnRoles> {
  if (text.trim().startsWith('{')) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`--roles is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError('--roles as JSON must be an object, e.g. {"click":"clk"}');
    for (const name of SWITCHES) if (name in parsed) parsed[name] = switchValue(name, parsed[name]);
    return parsed as Partial<ColumnRoles>;
  }
  const roles: Record<string, string | string[] | boolean> = {};
  for (const pair of text.split(/[;\s]+/).filter(Boolean)) {
    const [role, columns] = pair.split('=');
    if (!columns) throw new UsageError(`--roles expects role=column pairs; got "${pair}"`);
    if ((SINGLE_ROLES as readonly string[]).includes(role)) roles[role] = columns;
    else if ((LIST_ROLES as readonly string[]).includes(role)) roles[role] = columns.split(',').filter(Boolean);
    else if ((SWITCHES as readonly string[]).includes(role)) roles[role] = switchValue(role, columns);
    else throw new UsageError(`--roles: unknown role "${role}"; roles are ${ROLE_NAMES.join(', ')}`);
  }
  return roles as Partial<ColumnRoles>;
}

/** `--roles` of a command's values, parsed; undefined when not given. */
export function rolesOption(values: Record<string, unknown>): Partial<ColumnRoles> | undefined {
  return typeof values.roles === 'string' ? parseRoles(values.roles) : undefined;
}
