// The one help format of the three CLIs: `<cli> --help` lists the commands and the common
// options; `<cli> <command> --help` shows that command, its arguments and every option it takes.

import type { CliSpec, CommandSpec, OptionSpec, Options } from './spec.js';

const WIDTH = 100;
/** Column where descriptions start, unless a label is longer. */
const COLUMN = 28;

export const HELP_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'h',
  help: 'this help; `COMMAND --help` for one command',
};
export const VERSION_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'V',
  help: 'print the version',
};

/** Words of `text` in lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}

/** `  label   description`, the description wrapped under itself. */
function row(label: string, description: string): string {
  const column = Math.max(COLUMN, label.length + 4);
  const text = wrap(description, WIDTH - column);
  if (label.length + 4 > COLUMN + 12) {
    // A long label (a command with many arguments) gets the description on the next lines.
    return [`  ${label}`, ...text.map((line) => `${' '.repeat(COLUMN)}${line}`)].join('\n');
  }
  return text
    .map((line, i) => (i === 0 ? `  ${label}`.padEnd(column) + line : ' '.repeat(column) + line))
    .join('\n');
}

function optionLabel(name: string, option: OptionSpec): string {
  const long = option.type === 'string' ? `--${name} ${option.value ?? 'VALUE'}` : `--${name}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

function optionRows(options: Options): string[] {
  return Object.entries(options).map(([name, option]) =>
    row(optionLabel(name, option), option.help),
  );
}

export function commandUsage(cli: CliSpec, command: CommandSpec): string {
  const args = (command.args ?? []).join(' ');
  const options = command.options === undefined ? '' : ' [options]';
  return `${cli.name} ${command.name}${args === '' ? '' : ` ${args}`}${options}`;
}

function commonOptions(cli: CliSpec): Options {
  return { ...cli.common, help: HELP_OPTION, version: VERSION_OPTION };
}

export function formatHelp(cli: CliSpec): string {
  const sections = [
    `${cli.name} ${cli.version}: ${cli.summary}`,
    `usage: ${cli.name} <command> [options]`,
    [
      'commands:',
      ...cli.commands.map((command) =>
        row(`${command.name}${command.args ? ` ${command.args.join(' ')}` : ''}`, command.summary),
      ),
    ].join('\n'),
    ['options of every command:', ...optionRows(commonOptions(cli))].join('\n'),
  ];
  if (cli.footer !== undefined) sections.push(cli.footer.trimEnd());
  return `${sections.join('\n\n')}\n`;
}

export function formatCommandHelp(cli: CliSpec, command: CommandSpec): string {
  const about = [command.summary, command.details]
    .filter((text): text is string => text !== undefined)
    .flatMap((text) => wrap(text, WIDTH))
    .join('\n');
  const sections = [`usage: ${commandUsage(cli, command)}`, about];
  if (command.options !== undefined) {
    sections.push(['options:', ...optionRows(command.options)].join('\n'));
  }
  sections.push(['options of every command:', ...optionRows(commonOptions(cli))].join('\n'));
  return `${sections.join('\n\n')}\n`;
}
