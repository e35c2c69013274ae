import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './parse.js';
import type { CliSpec } from './spec.js';
import { formatUsageError, isUsageError, type UsageError } from './usage-error.js';
import { wholeNumber } from './values.js';

const cli: CliSpec = {
  name: 'demo',
  version: '1.2.3',
  summary: 'a demo of the kit.',
  common: {
    data: { type: 'string', value: 'DIR', help: 'data folder' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  commands: [
    { name: 'init', summary: 'make a store' },
    {
      name: 'approve',
      args: ['REQUEST_ID'],
      summary: 'approve a request',
      details: 'A switch to subscription starts a term (default 365 days).',
      options: {
        'term-days': { type: 'string', value: 'D', help: 'term in days (default 365)' },
        credentials: { type: 'string', value: 'N', help: 'credentials' },
      },
    },
    { name: 'keys list', summary: 'list keys' },
    { name: 'requests', summary: 'list requests' },
    { name: 'requests cancel', args: ['ID'], summary: 'cancel one' },
    { name: 'keys retire', args: ['KID'], summary: 'retire a key' },
  ],
  footer: 'exit codes: 0 done, 1 refused, 2 usage error',
  dashedValue: (arg) => /^-[A-Za-z0-9_-]{42}$/.test(arg),
};

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(cli, argv);
  } catch (error) {
    if (isUsageError(error)) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('gives the command, its arguments and its options', () => {
    expect(
      parseCommandLine(cli, ['approve', 'req_1', '--term-days', '90', '--json', '--data=x']),
    ).toEqual({
      kind: 'run',
      command: 'approve',
      positionals: ['req_1'],
      values: { 'term-days': '90', json: true, data: 'x' },
    });
    expect(parseCommandLine(cli, ['keys', 'list'])).toMatchObject({ command: 'keys list' });
    // A word that is a command and a group both.
    expect(parseCommandLine(cli, ['requests'])).toMatchObject({ command: 'requests' });
    expect(parseCommandLine(cli, ['requests', 'cancel', 'x'])).toMatchObject({
      command: 'requests cancel',
      positionals: ['x'],
    });
  });

  it('takes the word after a string option as its value, even when it begins with a dash', () => {
    expect(parseCommandLine(cli, ['approve', 'r', '--credentials', '-5'])).toMatchObject({
      values: { credentials: '-5' },
    });
    // ...so the value check, not the parser, answers: in the operator's words.
    expect(() => wholeNumber('-5', '--credentials', { min: 1, max: 10 })).toThrow(
      '--credentials must be a whole number from 1 to 10; got "-5"',
    );
  });

  it('reads an armoured block and a dashed key id as arguments', () => {
    const kid = `-${'a'.repeat(42)}`;
    expect(parseCommandLine(cli, ['keys', 'retire', kid])).toMatchObject({ positionals: [kid] });
    const armoured = '-----BEGIN LICENSOR X-----\nabc\n-----END LICENSOR X-----';
    expect(parseCommandLine(cli, ['approve', armoured])).toMatchObject({
      positionals: [armoured],
    });
    expect(parseCommandLine(cli, ['approve', '-'])).toMatchObject({ positionals: ['-'] });
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'a command is required: init, approve, keys, requests'],
    [['keys'], 'keys needs a subcommand: list, retire'],
    [['keys', 'burn'], 'unknown command "keys burn"; keys takes list, retire'],
    [['init', '--colour', 'blue'], 'unknown option --colour'],
    [['init', '-x'], 'unknown option -x'],
    [['init', '--term-days', '3'], 'init does not take --term-days'],
    [['approve', 'r', '--term-days'], '--term-days needs a value (D)'],
    [['init', '--json=yes'], '--json takes no value'],
    [['approve'], 'approve takes REQUEST_ID; got none'],
    [['init', 'extra'], 'init takes no arguments; got "extra"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });

  it('prints the error and one line on where the help is, not the whole help', () => {
    const error = usageError(['approve']);
    expect(formatUsageError(cli, error)).toBe(
      'error: ERR_USAGE: approve takes REQUEST_ID; got none\nSee `demo approve --help`.\n',
    );
    expect(formatUsageError(cli, usageError(['frob']))).toBe(
      'error: ERR_USAGE: unknown command "frob"\nSee `demo --help`.\n',
    );
    expect(JSON.parse(formatUsageError(cli, error, true))).toEqual({
      error: { code: 'ERR_USAGE', message: 'approve takes REQUEST_ID; got none' },
    });
  });

  it('refuses a value option given twice (which one was meant), and points an unknown one at the command it follows', () => {
    const twice = usageError(['approve', 'req_1', '--credentials', '50', '--credentials=60']);
    expect(twice.message).toBe('--credentials is given twice; give it once');
    expect(formatUsageError(cli, twice)).toContain('See `demo approve --help`.');
    const unknown = usageError(['approve', 'req_1', '--bogus']);
    expect(unknown.message).toBe('unknown option --bogus');
    expect(formatUsageError(cli, unknown)).toContain('See `demo approve --help`.');
    // Before any command word: the CLI's own help.
    expect(formatUsageError(cli, usageError(['--bogus', 'approve']))).toContain(
      'See `demo --help`.',
    );
    // A switch given twice is harmless: it says the same thing twice.
    expect(parseCommandLine(cli, ['init', '--json', '--json'])).toMatchObject({ kind: 'run' });
  });

  it('answers --version and -V with the name and version', () => {
    expect(parseCommandLine(cli, ['--version'])).toEqual({ kind: 'version', text: 'demo 1.2.3\n' });
    expect(parseCommandLine(cli, ['approve', '-V'])).toMatchObject({ kind: 'version' });
  });

  it('gives one help format: the commands, then the options of every command', () => {
    const help = parseCommandLine(cli, ['--help']);
    expect(help.kind).toBe('help');
    const text = (help as { text: string }).text;
    expect(text).toMatch(
      /^demo 1\.2\.3: a demo of the kit\.\n\nusage: demo <command> \[options\]\n/,
    );
    expect(text).toMatch(/\n {2}approve REQUEST_ID +approve a request\n/);
    expect(text).toMatch(/\n {2}keys retire KID +retire a key\n/);
    expect(text).toMatch(/options of every command:\n {2}--data DIR +data folder\n/);
    expect(text).toMatch(/\n {2}-h, --help +this help/);
    expect(text).toMatch(/\n {2}-V, --version +print the version\n/);
    expect(text.endsWith('exit codes: 0 done, 1 refused, 2 usage error\n')).toBe(true);
    expect(parseCommandLine(cli, ['-h'])).toEqual(help);
  });

  it('gives a command its own help, with its options and their defaults', () => {
    for (const argv of [
      ['approve', '--help'],
      ['help', 'approve'],
      ['approve', 'r', '-h'],
    ]) {
      const help = parseCommandLine(cli, argv);
      expect(help.kind).toBe('help');
      const text = (help as { text: string }).text;
      expect(text).toMatch(/^usage: demo approve REQUEST_ID \[options\]\n\napprove a request\n/);
      expect(text).toMatch(/starts a term \(default 365 days\)/);
      expect(text).toMatch(/options:\n {2}--term-days D +term in days \(default 365\)\n/);
    }
    expect(parseCommandLine(cli, ['keys', 'list', '--help'])).toMatchObject({
      text: expect.stringMatching(/^usage: demo keys list\n/),
    });
  });
});
