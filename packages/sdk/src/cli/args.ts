// Parsing of the `licensor` command line: one command, its positionals, and only the options
// that command takes (anything else is a usage error, exit 2).
import { parseArgs } from 'node:util';
import { challengeOptionProblem } from '../create-challenge.js';
import { modelOf, UsageError, wholeNumber } from './usage.js';

export type Command =
  | 'challenge'
  | 'apply'
  | 'show'
  | 'capacity'
  | 'verify'
  | 'activate'
  | 'requests'
  | 'audit';

const COMMON = ['state', 'trust', 'replace-trust', 'json', 'operator', 'role', 'product'];

const COMMAND_OPTIONS: Record<Command, { options: string[]; positionals: number }> = {
  challenge: { options: ['credentials', 'model', 'customer', 'in-use', 'armour'], positionals: 0 },
  apply: { options: [], positionals: 1 },
  show: { options: [], positionals: 0 },
  capacity: { options: ['in-use'], positionals: 0 },
  verify: { options: ['url', 'timeout'], positionals: 0 },
  activate: { options: ['in-use', 'armour'], positionals: 1 },
  requests: { options: [], positionals: 0 },
  audit: { options: ['limit', 'verify'], positionals: 0 },
};

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
    verify?: boolean;
    help?: boolean;
    version?: boolean;
  };
}

/** An armoured key pasted as an argument starts with dashes; it is a value, not an option. */
function armouredAsPositional(argv: string[]): string[] {
  const armoured = argv.filter((arg) => arg.startsWith('-----BEGIN'));
  if (armoured.length === 0 || argv.includes('--')) return argv;
  return [...argv.filter((arg) => !arg.startsWith('-----BEGIN')), '--', ...armoured];
}

export function parseCommandLine(argv: string[]): ParsedArgs | 'help' | 'version' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(armouredAsPositional(argv));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as ParsedArgs['values'];
  const [name, ...positionals] = parsed.positionals;
  if (values.help === true || name === 'help') return 'help';
  if (values.version === true || name === 'version') return 'version';
  if (name === undefined) throw new UsageError('a command is required');
  if (!Object.hasOwn(COMMAND_OPTIONS, name)) throw new UsageError(`unknown command ${name}`);
  const command = name as Command;
  const allowed = new Set([...COMMON, ...COMMAND_OPTIONS[command].options]);
  for (const option of Object.keys(values)) {
    if (!allowed.has(option)) throw new UsageError(`--${option} does not apply to ${command}`);
  }
  const expected = COMMAND_OPTIONS[command].positionals;
  if (positionals.length !== expected) {
    throw new UsageError(
      `${command} takes ${expected === 0 ? 'no' : expected} argument${expected === 1 ? '' : 's'}`,
    );
  }
  checkValues(command, positionals, values);
  return { command, positionals, values };
}

/** Option values are checked before anything touches the state directory. */
function checkValues(command: Command, positionals: string[], values: ParsedArgs['values']): void {
  wholeNumber(values.credentials, '--credentials', 1);
  wholeNumber(values['in-use'], '--in-use', 0);
  wholeNumber(values.timeout, '--timeout', 1);
  wholeNumber(values.limit, '--limit', 1);
  modelOf(values.model);
  // The schema's limits, named by the option (the vendor would refuse the challenge anyway).
  for (const [flag, option, value] of [
    [
      '--credentials',
      'credentials',
      values.credentials === undefined ? undefined : Number(values.credentials),
    ],
    ['--customer', 'customerName', values.customer],
  ] as const) {
    const problem = value === undefined ? null : challengeOptionProblem(option, value);
    if (problem !== null) throw new UsageError(`${flag} ${problem}`);
  }
  if (values.verify === true && values.limit !== undefined) {
    throw new UsageError('audit --verify checks the whole trail; drop --limit');
  }
  if (command === 'activate' && modelOf(positionals[0]) === undefined) {
    throw new UsageError('activate takes perpetual or subscription');
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      state: { type: 'string' },
      trust: { type: 'string' },
      'replace-trust': { type: 'boolean' },
      json: { type: 'boolean' },
      operator: { type: 'string' },
      role: { type: 'string', multiple: true },
      product: { type: 'string' },
      credentials: { type: 'string' },
      model: { type: 'string' },
      customer: { type: 'string' },
      'in-use': { type: 'string' },
      armour: { type: 'boolean' },
      url: { type: 'string' },
      timeout: { type: 'string' },
      limit: { type: 'string' },
      verify: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
