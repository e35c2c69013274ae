// Parsing of the `licensor-issuer` command line: a command (one or two words), its
// positionals, and only the options that command takes; anything else is a usage error (exit 2).
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface CommandSpec {
  options: string[];
  positionals: number;
}

export const COMMANDS: Record<string, CommandSpec> = {
  init: { options: [], positionals: 0 },
  'keys list': { options: [], positionals: 0 },
  'keys rotate': { options: ['use'], positionals: 0 },
  'keys retire': { options: [], positionals: 1 },
  'keys export': { options: [], positionals: 0 },
  inspect: { options: [], positionals: 1 },
  issue: {
    options: ['customer', 'credentials', 'model', 'term-days', 'grace-days', 'armour'],
    positionals: 1,
  },
  'licenses list': { options: ['state', 'model', 'q', 'limit'], positionals: 0 },
  'licenses show': { options: [], positionals: 1 },
  revoke: { options: ['reason'], positionals: 1 },
  suspend: { options: ['reason'], positionals: 1 },
  resume: { options: ['reason'], positionals: 1 },
  renew: { options: ['term-days', 'grace-days', 'armour'], positionals: 1 },
  'requests list': { options: ['status'], positionals: 0 },
  approve: { options: ['credentials', 'term-days', 'grace-days', 'armour'], positionals: 1 },
  reject: { options: ['reason'], positionals: 1 },
  'customers list': { options: [], positionals: 0 },
  'customers rename': { options: [], positionals: 2 },
  'users add': { options: ['role', 'password-stdin'], positionals: 1 },
  'users list': { options: [], positionals: 0 },
  audit: { options: ['limit'], positionals: 0 },
};

const GROUPS = new Set(['keys', 'licenses', 'requests', 'customers', 'users']);
const COMMON = ['data', 'json', 'operator'];

export interface ParsedArgs {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export function parseCommandLine(argv: string[]): ParsedArgs | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as ParsedArgs['values'];
  const words = [...parsed.positionals];
  if (values.help === true || words[0] === 'help') return 'help';
  const first = words.shift();
  if (first === undefined) throw new UsageError('a command is required');
  let command = first;
  if (GROUPS.has(first)) {
    const second = words.shift();
    if (second === undefined) throw new UsageError(`${first} needs a subcommand`);
    command = `${first} ${second}`;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) throw new UsageError(`unknown command: ${command}`);
  const allowed = new Set([...COMMON, ...spec.options]);
  for (const option of Object.keys(values)) {
    if (!allowed.has(option)) throw new UsageError(`--${option} does not apply to ${command}`);
  }
  if (words.length !== spec.positionals) {
    throw new UsageError(
      `${command} takes ${spec.positionals === 0 ? 'no' : spec.positionals} argument${spec.positionals === 1 ? '' : 's'}`,
    );
  }
  return { command, positionals: words, values };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      data: { type: 'string' },
      json: { type: 'boolean' },
      operator: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      use: { type: 'string' },
      customer: { type: 'string' },
      credentials: { type: 'string' },
      model: { type: 'string' },
      'term-days': { type: 'string' },
      'grace-days': { type: 'string' },
      armour: { type: 'boolean' },
      state: { type: 'string' },
      q: { type: 'string' },
      limit: { type: 'string' },
      reason: { type: 'string' },
      status: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
  });
}

/** A whole number option within bounds, or a usage error that names it. */
export function intOption(
  values: ParsedArgs['values'],
  name: string,
  bounds: { min: number; max: number },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new UsageError(`--${name} must be a whole number`);
  }
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new UsageError(`--${name} must be between ${bounds.min} and ${bounds.max}`);
  }
  return value;
}

export function oneOf<T extends string>(
  values: ParsedArgs['values'],
  name: string,
  allowed: readonly T[],
): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}`);
  }
  return raw as T;
}

export const USAGE = `licensor-issuer: the vendor's issuing authority

usage: licensor-issuer [--data DIR] [--json] [--operator NAME] COMMAND

  init                                  create the license and status signing keys (once)
  keys list | keys export               list keys | print the public JWKS the SDK trusts
  keys rotate [--use license|status]    make a new active key (old public keys stay exported)
  keys retire KID                       drop a key from new JWKS exports
  inspect CHALLENGE|@FILE|-             decode a challenge and list what to know before issuing
  issue CHALLENGE|@FILE|- --customer NAME --credentials N --model perpetual|subscription
        [--term-days D] [--grace-days G] [--armour]     print the license key (and nothing else)
  licenses list [--state S] [--model M] [--q TEXT] | licenses show ID
  revoke|suspend|resume ID [--reason TEXT]
  renew ID --term-days D [--grace-days G]  a new token, delivered at the next online check
  requests list [--status pending|approved|rejected]
  approve REQUEST_ID [--term-days D] [--grace-days G] [--credentials N] | reject REQUEST_ID [--reason TEXT]
  customers list | customers rename CUSTOMER_ID NAME
  users add NAME --role admin|issuer|viewer [--password-stdin]   (or LICENSOR_USER_PASSWORD;
        without either a password is generated and printed once) | users list
  audit [--limit N]

The store: --data DIR (default ./.licensor-issuer, a SQLite file), or MONGODB_URI for MongoDB.
Private keys are sealed with LICENSOR_KEY_PASSPHRASE; without it they are plain 0600 files.
Exit status: 0 done, 1 refused (error: CODE: message), 2 usage error.
`;
