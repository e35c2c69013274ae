// Checks of option values, with messages that name the option, say what it takes and what it
// was given: never the parser's own text.

import { UsageError } from './usage-error.js';

export interface Range {
  min: number;
  max?: number;
}

function describe(range: Range): string {
  return range.max === undefined
    ? `a whole number of at least ${range.min}`
    : `a whole number from ${range.min} to ${range.max}`;
}

/** A whole number in `range`, or undefined when not given. */
export function wholeNumber(
  value: string | undefined,
  flag: string,
  range: Range,
): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (
    Number.isNaN(number) ||
    number < range.min ||
    (range.max !== undefined && number > range.max)
  ) {
    throw new UsageError(`${flag} must be ${describe(range)}; got "${value}"`);
  }
  return number;
}

/** One of `allowed`, or undefined when not given. */
export function oneOf<T extends string>(
  value: string | undefined,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`${flag} must be ${allowed.join(' or ')}; got "${value}"`);
  }
  return value as T;
}

export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

/** The string value of an option, undefined when not given (or given as a flag). */
export function text(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
