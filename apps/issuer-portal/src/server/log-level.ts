// LOG_LEVEL, read the same way by the CLI (which refuses a wrong one at start, exit 2) and by
// createPortalApp's default logger: pino's level names in any case, and `warning` for `warn`
// (the spelling of syslog, Python and Java), as the verify service reads it.

/** pino's levels, the most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SYNONYMS: Readonly<Record<string, LogLevel>> = { warning: 'warn' };

/** The level a LOG_LEVEL value names, or null when it names none. */
export function parseLogLevel(text: string): LogLevel | null {
  const lower = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(lower)) return lower as LogLevel;
  return Object.hasOwn(SYNONYMS, lower) ? SYNONYMS[lower]! : null;
}

/** What LOG_LEVEL takes, for a refusal. */
export const LOG_LEVEL_ACCEPTED = `one of ${LOG_LEVELS.join(', ')} (any case; warning = warn)`;

/** LOG_LEVEL of this environment (unset or empty: info); throws naming the accepted levels. */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return 'info';
  const level = parseLogLevel(value);
  if (level === null) throw new Error(`LOG_LEVEL must be ${LOG_LEVEL_ACCEPTED}; got "${value}"`);
  return level;
}
