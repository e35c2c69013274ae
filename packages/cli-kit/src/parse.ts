// Parsing a command line against its spec, on node:util parseArgs. Before parseArgs sees the
// arguments, the kit decides what each dash means, so every mistake is a UsageError in the
// kit's own words (never parseArgs' text): an unknown option, a command that does not take an
// option, a value missing, the wrong number of arguments. The word after a string option is
// its value whatever it looks like (`--credentials -5` is a value, checked and refused as one).

import { parseArgs } from 'node:util';
import { formatCommandHelp, formatHelp, HELP_OPTION, VERSION_OPTION } from './help.js';
import type { CliSpec, CommandSpec, Options, OptionValues, ParsedCommandLine } from './spec.js';
import { UsageError } from './usage-error.js';

/** Every option any command takes; one name has one type across the CLI. */
function allOptions(cli: CliSpec): Options {
  const all: Options = { ...cli.common, help: HELP_OPTION, version: VERSION_OPTION };
  for (const command of cli.commands) {
    for (const [name, option] of Object.entries(command.options ?? {})) {
      const seen = all[name];
      if (seen !== undefined && (seen.type !== option.type || seen.multiple !== option.multiple)) {
        throw new TypeError(`${cli.name}: option --${name} has two types`);
      }
      all[name] ??= option;
    }
  }
  return all;
}

const isArmoured = (arg: string) => arg.startsWith('-----BEGIN');

/** The arguments with every option in `--name=value` form and dashed values behind `--`. */
function normalise(cli: CliSpec, argv: readonly string[], options: Options): string[] {
  const shorts = new Map(
    Object.entries(options)
      .filter(([, option]) => option.short !== undefined)
      .map(([name, option]) => [option.short!, name]),
  );
  const flags: string[] = [];
  const positionals: string[] = [];
  // A value option given twice would silently take the last (`--credentials 50 … --credentials
  // 60` issued 60): which one was meant is the user's to say.
  const given = new Set<string>();
  const once = (name: string) => {
    if (given.has(name)) throw new UsageError(`--${name} is given twice; give it once`);
    given.add(name);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (isArmoured(arg) || cli.dashedValue?.(arg) === true) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const name = long
      ? arg.slice(2, eq === -1 ? undefined : eq)
      : arg.length === 2
        ? shorts.get(arg.slice(1))
        : undefined;
    const option = name === undefined ? undefined : options[name];
    if (name === undefined || option === undefined) {
      throw new UsageError(`unknown option ${long && eq !== -1 ? arg.slice(0, eq) : arg}`);
    }
    if (option.type === 'boolean') {
      if (long && eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.push(`--${name}`);
      continue;
    }
    if (option.multiple !== true) once(name);
    if (long && eq !== -1) {
      flags.push(arg);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) {
      throw new UsageError(`--${name} needs a value (${option.value ?? 'VALUE'})`);
    }
    flags.push(`--${name}=${value}`);
    i += 1;
  }
  return positionals.length === 0 ? flags : [...flags, '--', ...positionals];
}

function findCommand(cli: CliSpec, words: string[]): { command: CommandSpec; used: number } {
  const [first, second] = words;
  if (first === undefined) {
    throw new UsageError(
      `a command is required: ${[...new Set(cli.commands.map((c) => c.name.split(' ')[0]))].join(', ')}`,
    );
  }
  const group = cli.commands.filter((c) => c.name.startsWith(`${first} `));
  // A word may be a command and a group both (`requests`, `requests cancel`).
  const alone = cli.commands.find((c) => c.name === first);
  if (group.length > 0) {
    const command = group.find((c) => c.name === `${first} ${second}`);
    if (command !== undefined) return { command, used: 2 };
    if (alone !== undefined) return { command: alone, used: 1 };
    const names = group.map((c) => c.name.split(' ')[1]).join(', ');
    throw new UsageError(
      second === undefined
        ? `${first} needs a subcommand: ${names}`
        : `unknown command "${first} ${second}"; ${first} takes ${names}`,
    );
  }
  if (alone === undefined) throw new UsageError(`unknown command "${first}"`);
  return { command: alone, used: 1 };
}

/** The command a `help` or `--help` is about, when the words name one. */
function helpTarget(cli: CliSpec, words: string[]): CommandSpec | undefined {
  try {
    return findCommand(cli, words).command;
  } catch {
    return undefined;
  }
}

export function parseCommandLine(cli: CliSpec, argv: readonly string[]): ParsedCommandLine {
  const options = allOptions(cli);
  let args: string[];
  try {
    args = normalise(cli, argv, options);
  } catch (error) {
    // An unknown or doubled option of a command the line names: that command's help says what
    // it takes (the words before any option name it, as they are typed: `inspect @c --bogus`).
    if (error instanceof UsageError && error.command === undefined) {
      const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
      const words = firstOption === -1 ? [...argv] : argv.slice(0, firstOption);
      error.command = helpTarget(cli, words)?.name;
    }
    throw error;
  }
  const parsed = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(options).map(([name, option]) => [
        name,
        { type: option.type, ...(option.multiple ? { multiple: true } : {}) },
      ]),
    ),
    allowPositionals: true,
    strict: true,
  });
  const values = parsed.values as OptionValues;
  const words = parsed.positionals;
  if (values.version === true) return { kind: 'version', text: `${cli.name} ${cli.version}\n` };
  if (values.help === true || words[0] === 'help') {
    const target = helpTarget(cli, words[0] === 'help' ? words.slice(1) : words);
    return {
      kind: 'help',
      text: target === undefined ? formatHelp(cli) : formatCommandHelp(cli, target),
    };
  }
  const { command, used } = findCommand(cli, words);
  const allowed = new Set([
    ...Object.keys(cli.common ?? {}),
    ...Object.keys(command.options ?? {}),
  ]);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !allowed.has(name)) {
      throw new UsageError(`${command.name} does not take --${name}`, command.name);
    }
  }
  const positionals = words.slice(used);
  const expected = command.args ?? [];
  if (positionals.length !== expected.length) {
    const wanted = expected.length === 0 ? 'no arguments' : expected.join(' ');
    throw new UsageError(
      `${command.name} takes ${wanted}; got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p.length > 40 ? `${p.slice(0, 37)}...` : p)).join(' ')}`,
      command.name,
    );
  }
  return { kind: 'run', command: command.name, positionals, values };
}
