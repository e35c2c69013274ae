// Parsing of the `licensor` command line with the CLI kit (spec.ts), then the checks of option
// values, in the operator's words, before anything touches the state directory.
import {
  type ParsedCommandLine,
  parseCommandLine as parseWith,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { ENTITLEMENT_NAME_PATTERN, type LicenseModel, MAX_COUNT } from '@licensor/token';
import { challengeOptionProblem } from '../create-challenge.js';
import { LICENSOR_CLI } from './spec.js';

export type Command =
  | 'challenge'
  | 'apply'
  | 'show'
  | 'capacity'
  | 'verify'
  | 'activate'
  | 'requests'
  | 'requests cancel'
  | 'audit'
  | 'trust';

export interface ParsedArgs {
  command: Command;
  positionals: string[];
  values: {
    state?: string;
    trust?: string;
    'replace-trust'?: boolean;
    json?: boolean;
    operator?: string;
    role?: string[];
    product?: string;
    credentials?: string;
    model?: string;
    customer?: string;
    'in-use'?: string;
    armour?: boolean;
    url?: string;
    timeout?: string;
    limit?: string;
    feature?: string[];
    'ask-limit'?: string[];
    'limit-in-use'?: string[];
    verify?: boolean;
    closed?: boolean;
    reason?: string;
  };
}

export function modelOf(value: string | undefined, flag = '--model'): LicenseModel | undefined {
  if (value === undefined || value === 'perpetual' || value === 'subscription') return value;
  throw new UsageError(`${flag} must be perpetual or subscription; got "${value}"`);
}

/** A feature or limit name, checked against the schema's pattern. */
export function entitlementNameOf(value: string, option: string): string {
  if (!ENTITLEMENT_NAME_PATTERN.test(value)) {
    throw new UsageError(
      `${option} ${JSON.stringify(value)} is not a name: a lower-case letter, then lower-case letters, digits, "-", "_" or "." (up to 64)`,
    );
  }
  return value;
}

/** Repeated NAME=N options as `{ NAME: N }`. */
export function namedCountsOf(
  values: string[] | undefined,
  option: string,
): Record<string, number> | undefined {
  if (values === undefined) return undefined;
  const counts: Record<string, number> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`${option} takes NAME=N, e.g. ${option} sites=3`);
    const name = entitlementNameOf(value.slice(0, at), option);
    if (Object.hasOwn(counts, name)) throw new UsageError(`${option} names ${name} twice`);
    counts[name] = wholeNumber(value.slice(at + 1), `${option} ${name}`, {
      min: 0,
      max: MAX_COUNT,
    }) as number;
  }
  return counts;
}

export function parseCommandLine(
  argv: readonly string[],
): ParsedArgs | Exclude<ParsedCommandLine, { kind: 'run' }> {
  const parsed = parseWith(LICENSOR_CLI, argv);
  if (parsed.kind !== 'run') return parsed;
  const args = {
    command: parsed.command as Command,
    positionals: parsed.positionals,
    values: parsed.values as ParsedArgs['values'],
  };
  try {
    checkValues(args.command, args.positionals, args.values);
  } catch (error) {
    if (error instanceof UsageError) error.command ??= args.command;
    throw error;
  }
  return args;
}

/** Option values are checked before anything touches the state directory. */
function checkValues(command: Command, positionals: string[], values: ParsedArgs['values']): void {
  wholeNumber(values.credentials, '--credentials', { min: 1, max: MAX_COUNT });
  wholeNumber(values['in-use'], '--in-use', { min: 0, max: MAX_COUNT });
  wholeNumber(values.timeout, '--timeout', { min: 1 });
  if (command === 'audit') wholeNumber(values.limit, '--limit', { min: 1 });
  if (command === 'capacity' && values.limit !== undefined) {
    entitlementNameOf(values.limit, '--limit');
  }
  for (const feature of values.feature ?? []) entitlementNameOf(feature, '--feature');
  namedCountsOf(values['ask-limit'], '--ask-limit');
  namedCountsOf(values['limit-in-use'], '--limit-in-use');
  modelOf(values.model);
  // The schema's limits, named by the option (the vendor would refuse the challenge anyway).
  if (values.customer !== undefined) {
    const problem = challengeOptionProblem('customerName', values.customer);
    if (problem !== null) throw new UsageError(`--customer ${problem}`);
  }
  if (values.verify === true && values.limit !== undefined) {
    throw new UsageError('audit --verify checks the whole trail; drop --limit');
  }
  if (command === 'activate') modelOf(positionals[0], 'activate');
}
