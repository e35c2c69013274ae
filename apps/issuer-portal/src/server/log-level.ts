// LOG_LEVEL for createPortalApp's default logger, read as the CLI reads it (which refuses a
// wrong one at start, exit 2) and as the verify service does: @licensor/cli-kit's rule, pino's
// level names in any case and `warning` for `warn`.
import { LOG_LEVEL_ACCEPTED, type LogLevel, parseLogLevel } from '@licensor/cli-kit';

/** LOG_LEVEL of this environment (unset or empty: info); throws naming the accepted levels. */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return 'info';
  const level = parseLogLevel(value);
  if (level === null) throw new Error(`LOG_LEVEL must be ${LOG_LEVEL_ACCEPTED}; got "${value}"`);
  return level;
}
