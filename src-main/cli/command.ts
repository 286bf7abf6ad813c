import type { ParseArgsConfig } from 'node:util';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../engine/backends/index.js';

/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** One `esmc-lab <name>` command: its help text, its options, and what it does. Returns the exit code. */
export interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: string;
  /** Whether the command takes words after its name (e.g. `experiment psc-sweep`). */
  positionals?: boolean;
  run(values: Values, positionals: string[]): Promise<number>;
}

export const backendOption: Options = { backend: { type: 'string' } };
export const backendHelp = `  --backend NAME        one of ${BACKEND_NAMES.join(', ')}; default: the fastest that starts`;

export function backendName(value: unknown): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!isBackendName(String(value)))
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}; got "${value}"`);
  return value as BackendName;
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function number(values: Record<string, unknown>, name: string, fallback: number): number {
  if (values[name] === undefined) return fallback;
  const value = Number(values[name]);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number; got "${values[name]}"`);
  return value;
}

export function integer(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = number(values, name, fallback);
  if (!Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number; got "${values[name]}"`);
  return value;
}

export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must list whole numbers ≥ 1; got "${text}"`);
  return value;
}

export function oneOf<T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: T[],
  fallback: T,
  flag = `--${name}`,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}
