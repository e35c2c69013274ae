// What the tests of the reports written after each batch of check records share
// (src/state/keyset-reports.test.ts, src/state/revision-reports.test.ts): a check record that
// carries the reports, and a logger whose lines the test reads.
import { pino } from 'pino';
import type { CheckRecord } from '../../src/store-port.js';

/**
 * The n-th check record (license lic_n, installation inst_n, at 1000 + n, VALID), with the
 * license revision and the key set version it reports, when given.
 */
export function record(n: number, reports: { rev?: number; keyset?: number } = {}): CheckRecord {
  return {
    id: `chk_${n}`,
    at: 1_000 + n,
    licenseId: `lic_${n}`,
    installationId: `inst_${n}`,
    sdkVersion: '0.2.0',
    credentialsInUse: n,
    outcome: 'VALID',
    ...(reports.rev === undefined ? {} : { rev: reports.rev }),
    ...(reports.keyset === undefined ? {} : { keyset: reports.keyset }),
  };
}

/** A logger at level warn, and the lines it wrote, parsed. */
export function logged() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}
