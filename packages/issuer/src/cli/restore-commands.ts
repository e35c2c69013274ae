// `licensor-issuer forks after-restore`: after the vendor restored the shared store from a
// backup, every installation that checked since the backup presents a chain value the restored
// store never saw, and each such check would open a fork (and, under `suspend`, be answered
// SUSPENDED). This opens a bounded window in which the first check of each of those installations
// re-anchors its chain instead (store/check-chain.ts, domain/forks.ts `afterRestore`).
//
// Registered beside FORK_COMMANDS / FORK_HANDLERS (spec.ts and commands.ts).

import {
  type CommandSpec,
  text as optionText,
  required,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import type { CommandOutput, CommandRun } from './commands.js';

const HOUR_MS = 3_600_000;

export const RESTORE_COMMANDS: CommandSpec[] = [
  {
    name: 'forks after-restore',
    summary:
      'after restoring the store from a backup: re-anchor the chain of each installation that checked since, once, for a while',
    details:
      'Run it once the restored store is in place, before or right after the verify service is back. ' +
      'For --hours (default 72), the first check of each installation whose chain came from the ' +
      'backup (no check newer than --since) continues its chain from what it presents instead of ' +
      'opening a fork; forks those installations opened after --since are closed. A second copy of ' +
      'an installation still forks at its next check, and once the window has passed every ' +
      'divergence is a fork again. Each re-anchor is listed by `forks list --status closed`; the ' +
      'command is audited as chains.after-restore.',
    options: {
      since: {
        type: 'string',
        value: 'TIME',
        help: 'when the restored backup was taken (ISO 8601, e.g. 2026-06-01T02:00:00Z); the start of the backup if it took a while',
      },
      hours: {
        type: 'string',
        value: 'N',
        help: 'how long the window stays open, 1 to 720 hours (default 72: three daily checks)',
      },
      reason: { type: 'string', value: 'TEXT', help: 'why (kept in the audit log)' },
    },
  },
];

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A date and a time with its zone (a bare date or a local time is ambiguous by hours) that
 * exists: Date.parse rolls 2026-02-30 over to 2 March and 24:00 to the next day; each field
 * must read back as given.
 */
export function timeOf(value: string): number {
  const parts = DATE_TIME.exec(value);
  const at = parts === null ? Number.NaN : Date.parse(value);
  if (parts !== null && !Number.isNaN(at)) {
    const [, year, month, day, hour, minute, second, sign, zoneHours, zoneMinutes] = parts;
    const offset =
      sign === undefined
        ? 0
        : (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
    // The wall-clock time in its own zone, read back from the instant.
    const local = new Date(at + offset * 60_000);
    const exists =
      local.getUTCFullYear() === Number(year) &&
      local.getUTCMonth() + 1 === Number(month) &&
      local.getUTCDate() === Number(day) &&
      local.getUTCHours() === Number(hour) &&
      local.getUTCMinutes() === Number(minute) &&
      local.getUTCSeconds() === Number(second ?? 0) &&
      Number(zoneHours ?? 0) <= 23 &&
      Number(zoneMinutes ?? 0) <= 59;
    if (exists) return at;
    throw new UsageError(
      `--since must be a date and time that exists, e.g. 2026-06-01T02:00:00Z; "${value}" does not (it would read as ${new Date(at).toISOString()})`,
    );
  }
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since must be a date and time with its zone, e.g. 2026-06-01T02:00:00Z; got "${value}"`,
    );
  }
  return at;
}

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Handler = (run: CommandRun) => Promise<CommandOutput>;

export const RESTORE_HANDLERS: Record<string, Handler> = {
  async 'forks after-restore'(run) {
    const since = timeOf(required(optionText(run.args.values, 'since'), '--since'));
    const hours = wholeNumber(optionText(run.args.values, 'hours'), '--hours', {
      min: 1,
      max: 720,
    });
    const reason = optionText(run.args.values, 'reason') ?? 'the store was restored from a backup';
    const result = await run.issuer.forks.afterRestore(
      { since, windowMs: (hours ?? 72) * HOUR_MS },
      run.operator,
      reason,
    );
    const closed =
      result.closedForks.length === 0
        ? ''
        : `closed ${result.closedForks.length} fork(s) opened since the backup: ${result.closedForks.join(', ')}\n`;
    return {
      value: result,
      text:
        `${result.marked} installation(s) checked last before ${when(since)}: the first check of each ` +
        `until ${when(result.until)} re-anchors its chain (listed by forks list --status closed)\n${closed}`,
    };
  },
};
