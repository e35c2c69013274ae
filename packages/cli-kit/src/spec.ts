// What a command line is made of: the CLI, its commands and their options. One spec drives the
// parsing, the checks and the help text, so the three cannot drift apart.

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** How the value is shown in help: `--data DIR`. Defaults to VALUE. */
  value?: string;
  /** One letter: `-h`. */
  short?: string;
  /** May be given more than once (the values are collected in order). */
  multiple?: boolean;
  /** One line or a few sentences; wrapped to the terminal width of the help text. */
  help: string;
}

export type Options = Record<string, OptionSpec>;

export interface CommandSpec {
  /** One or two words: `init`, `keys rotate`. */
  name: string;
  /** Names of its positional arguments, shown in help; their number is checked. */
  args?: readonly string[];
  /** One line for the list of commands. */
  summary: string;
  /** More text for `<cli> <command> --help`. */
  details?: string;
  /** Options this command takes besides the common ones. */
  options?: Options;
}

export interface CliSpec {
  /** The binary: `licensor-issuer`. */
  name: string;
  version: string;
  /** What the CLI is, one sentence. */
  summary: string;
  commands: readonly CommandSpec[];
  /** Options every command takes (`--help` and `--version` are added by the kit). */
  common?: Options;
  /** Closing paragraphs of the main help: environment, exit codes. */
  footer?: string;
  /**
   * Arguments that begin with a dash and yet are positional values (an armoured block, a key
   * id that happens to begin with `-`). The value after a string option is always its value.
   */
  dashedValue?: (arg: string) => boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export type ParsedCommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'run'; command: string; positionals: string[]; values: OptionValues };
