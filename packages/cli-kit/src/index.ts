// @licensor/cli-kit (internal): the one command-line kit of `licensor`, `licensor-issuer`,
// `licensor-verify` and `licensor-portal`: a spec of commands and options parsed with node:util
// parseArgs, one help format, --help and --version everywhere, one usage-error shape, the value
// checks and the argument reading they share. It holds no licensing code, so the verify service can use it
// without importing anything of the issuer.

export { formatCommandHelp, formatHelp, wrap } from './help.js';
export {
  ArgumentFileError,
  type CliIo,
  InputTooLargeError,
  MAX_ARGUMENT_BYTES,
  type MemoryIo,
  memoryIo,
  processIo,
  readArgument,
  readBounded,
  runMain,
} from './io.js';
export { parseCommandLine } from './parse.js';
export {
  envSetting,
  LOG_LEVEL_ACCEPTED,
  LOG_LEVELS,
  type LogLevel,
  logLevelValue,
  parseLogLevel,
  pickSetting,
  type Setting,
  type SettingEnv,
  SWITCH_OFF_WORDS,
  SWITCH_ON_WORDS,
  switchSetting,
  switchValue,
} from './settings.js';
export type {
  CliSpec,
  CommandSpec,
  OptionSpec,
  Options,
  OptionValues,
  ParsedCommandLine,
} from './spec.js';
export { formatUsageError, isUsageError, UsageError } from './usage-error.js';
export { oneOf, type Range, required, text, wholeNumber } from './values.js';
