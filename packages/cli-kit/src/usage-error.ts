// The usage error (exit 2) and its one shape on the terminal: what is wrong, then one line on
// where the help is. Never the whole help text after an error.

import { isLicensorError, LicensorError } from '@licensor/token';
import type { CliSpec } from './spec.js';

/** A command line the CLI cannot run: exit 2. */
export class UsageError extends LicensorError {
  static readonly code = 'ERR_USAGE';
  /** The command the error is about, when known: its help is the one pointed at. */
  command: string | undefined;
  constructor(message: string, command?: string) {
    super(UsageError.code, message);
    this.command = command;
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return isLicensorError(error, UsageError.code);
}

/**
 * `error: ERR_USAGE: <what>` and a line naming the help to read; with `asJson` the error as
 * `{"error":{"code","message"}}` (for stdout, like every refusal with --json).
 */
export function formatUsageError(cli: CliSpec, error: UsageError, asJson = false): string {
  if (asJson) {
    return `${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`;
  }
  const where = error.command === undefined ? cli.name : `${cli.name} ${error.command}`;
  return `error: ERR_USAGE: ${error.message}\nSee \`${where} --help\`.\n`;
}
