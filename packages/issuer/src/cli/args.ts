// Parsing of the `licensor-issuer` command line: a command (one or two words), its positionals,
// and only the options that command takes; anything else is a usage error (exit 2).

import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

interface CommandSpec {
  options: string[];
  positionals: number;
}

const COMMANDS: Record<string, CommandSpec> = {
  init: { options: [], positionals: 0 },
  'keys list': { options: [], positionals: 0 },
  'keys rotate': { options: ['use'], positionals: 0 },
  'keys retire': { options: [], positionals: 1 },
  'keys export': { options: [], positionals: 0 },
  inspect: { options: [], positionals: 1 },
  issue: {
    options: ['customer', 'customer-id', 'credentials', 'model', 'term-days', 'grace-days'],
    positionals: 1,
  },
  'licenses list': { options: ['state', 'model', 'search', 'limit'], positionals: 0 },
  'licenses show': { options: [], positionals: 1 },
  revoke: { options: ['reason'], positionals: 1 },
  suspend: { options: ['reason'], positionals: 1 },
  resume: { options: ['reason'], positionals: 1 },
  renew: { options: ['term-days', 'grace-days'], positionals: 1 },
  'requests list': { options: ['status'], positionals: 0 },
  approve: { options: ['term-days', 'grace-days', 'credentials'], positionals: 1 },
  reject: { options: ['reason'], positionals: 1 },
  'customers list': { options: [], positionals: 0 },
  'customers rename': { options: [], positionals: 2 },
  'users add': { options: ['role', 'password-stdin'], positionals: 1 },
  'users list': { options: [], positionals: 0 },
  'users set-role': { options: ['role'], positionals: 1 },
  'users set-password': { options: ['password-stdin'], positionals: 1 },
  'users disable': { options: [], positionals: 1 },
  'users enable': { options: [], positionals: 1 },
  audit: { options: ['limit'], positionals: 0 },
};

const GROUPS = new Set(['keys', 'licenses', 'requests', 'customers', 'users']);
const COMMON = ['data', 'json', 'operator'];
const FLAGS = new Set(['json', 'password-stdin', 'help']);

export interface ParsedArgs {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/**
 * Values that start with a dash but are never options: an armoured challenge pasted as an
 * argument (`-----BEGIN …`) and a key id, an RFC 7638 thumbprint (43 base64url characters), one
 * in 64 of which begins with `-`. They move behind `--` so that `keys retire -Xc…` just works.
 */
const KEY_ID = /^-[A-Za-z0-9_-]{42}$/;

function isDashedValue(arg: string): boolean {
  return arg.startsWith('-----BEGIN') || KEY_ID.test(arg);
}

function dashedValuesAsPositionals(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  const tail = end === -1 ? [] : argv.slice(end + 1);
  const kept: string[] = [];
  const dashed: string[] = [];
  for (const arg of head) {
    if (!isDashedValue(arg)) kept.push(arg);
    // `--reason -x…`: the word after a string option is its value, whatever it looks like.
    else if (takesValue(kept.at(-1))) kept.push(`${kept.pop()}=${arg}`);
    else dashed.push(arg);
  }
  if (kept.length === head.length) return argv;
  return [...kept, '--', ...dashed, ...tail];
}

function takesValue(previous: string | undefined): boolean {
  if (previous === undefined || !previous.startsWith('--') || previous.includes('=')) return false;
  return !FLAGS.has(previous.slice(2));
}

export function parseCommandLine(argv: string[]): ParsedArgs | 'help' {
  const names = new Set([...COMMON, 'help', ...Object.values(COMMANDS).flatMap((c) => c.options)]);
  const options = Object.fromEntries(
    [...names].map((name) => [name, { type: FLAGS.has(name) ? 'boolean' : 'string' } as const]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: dashedValuesAsPositionals(argv),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as ParsedArgs['values'];
  const words = parsed.positionals;
  if (values.help === true || words[0] === 'help') return 'help';
  if (words.length === 0) throw new UsageError('a command is required');
  const first = words[0]!;
  const command = GROUPS.has(first) ? `${first} ${words[1] ?? ''}`.trim() : first;
  const spec = COMMANDS[command];
  if (spec === undefined) {
    throw new UsageError(
      GROUPS.has(first) ? `${first} needs a subcommand` : `unknown command ${first}`,
    );
  }
  const positionals = words.slice(command.split(' ').length);
  if (positionals.length !== spec.positionals) {
    throw new UsageError(
      `${command} takes ${spec.positionals} argument(s), got ${positionals.length}`,
    );
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || COMMON.includes(name) || spec.options.includes(name)) continue;
    throw new UsageError(`${command} does not take --${name}`);
  }
  return { command, positionals, values };
}
