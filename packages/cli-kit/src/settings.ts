// Settings a server is started with: a value from an option or else an environment variable,
// read one way by `licensor-verify serve` and `licensor-portal serve`. An option wins over the
// variable; an option given an empty value is a usage error (leave it out for the default); a
// variable set to the empty string counts as unset (a variable left blank in a unit file or a
// compose file). A variable's value is read without the spaces around it. Every refusal is a
// UsageError naming the option or the variable the value came from, what it takes and what it
// was given, never read as the default.

import { UsageError } from './usage-error.js';

/** The environment as a process sees it. */
export type SettingEnv = Readonly<Record<string, string | undefined>>;

/** A value and the name to blame for it (`--port` or `LICENSOR_VERIFY_PORT`). */
export interface Setting {
  value: string;
  name: string;
}

/** A variable's value, or undefined when it is unset or set to the empty string. */
export function envSetting(env: SettingEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The option's value when given (empty refused), else the variable's (empty = unset; spaces
 * around it dropped), else undefined; with the name of where it came from.
 */
export function pickSetting(
  values: Readonly<Record<string, unknown>>,
  option: string,
  env: SettingEnv,
  variable: string,
): Setting | undefined {
  const given = values[option];
  if (typeof given === 'string') {
    if (given.trim() === '') {
      throw new UsageError(`--${option} must not be empty; leave it out for the default`);
    }
    return { value: given, name: `--${option}` };
  }
  const fromEnv = envSetting(env, variable);
  return fromEnv === undefined ? undefined : { value: fromEnv.trim(), name: variable };
}

/** The words a switch takes for on, and for off (any case). */
export const SWITCH_ON_WORDS = ['on', 'true', 'yes', '1'] as const;
export const SWITCH_OFF_WORDS = ['off', 'false', 'no', '0'] as const;

/** An on/off value: on/true/yes/1 or off/false/no/0 in any case; anything else refused. */
export function switchValue(text: string, name: string, fallback: boolean): boolean {
  const lower = text.trim().toLowerCase();
  if ((SWITCH_ON_WORDS as readonly string[]).includes(lower)) return true;
  if ((SWITCH_OFF_WORDS as readonly string[]).includes(lower)) return false;
  throw new UsageError(
    `${name} must be ${SWITCH_ON_WORDS.join(', ')} or ${SWITCH_OFF_WORDS.join(', ')} (any case; default ${fallback ? 'on' : 'off'}); got "${text}"`,
  );
}

/** A switch variable: unset or empty is `fallback`; else as switchValue. */
export function switchSetting(env: SettingEnv, name: string, fallback: boolean): boolean {
  const raw = envSetting(env, name);
  return raw === undefined ? fallback : switchValue(raw, name, fallback);
}

/** pino's levels, the most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Spellings other tooling gives LOG_LEVEL (syslog, Python, Java), read as pino's level. */
const LOG_LEVEL_SYNONYMS: Readonly<Record<string, LogLevel>> = { warning: 'warn' };

/** What a log level setting takes, for a refusal. */
export const LOG_LEVEL_ACCEPTED = `one of ${LOG_LEVELS.join(', ')} (any case; warning = warn)`;

/** The level a text names (pino's names in any case, `warning` for `warn`), or null. */
export function parseLogLevel(text: string): LogLevel | null {
  const lower = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(lower)) return lower as LogLevel;
  return Object.hasOwn(LOG_LEVEL_SYNONYMS, lower) ? LOG_LEVEL_SYNONYMS[lower]! : null;
}

/** A log level from a setting; a UsageError naming the levels when it names none. */
export function logLevelValue(text: string, name: string): LogLevel {
  const level = parseLogLevel(text);
  if (level === null) throw new UsageError(`${name} must be ${LOG_LEVEL_ACCEPTED}; got "${text}"`);
  return level;
}
