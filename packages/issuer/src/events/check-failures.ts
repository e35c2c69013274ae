// check.failed: the verify service records each refused check of a license that exists as a
// fact whose id is fixed by the license, the reason and the hour. Any number of service
// instances, and any number of refusals (a flood of forged checks), make one fact per license
// and reason per hour; the issuer side turns each fact into one event.

import { createHash } from 'node:crypto';
import type { CheckFailure } from '../store/event-sources-port.js';

/** Refusals of one license for one reason within this window make one fact (and one event). */
export const CHECK_FAILURE_WINDOW_MS = 3_600_000;

/** The reason of a check signed by an installation the license is not bound to (UNKNOWN). */
export const UNKNOWN_INSTALLATION = 'UNKNOWN_INSTALLATION';

export function checkFailureOf(refused: {
  licenseId: string;
  installationId: string;
  reason: string;
  at: number;
}): CheckFailure {
  const window = Math.floor(refused.at / CHECK_FAILURE_WINDOW_MS);
  const digest = createHash('sha256')
    .update(`${refused.licenseId}\u0000${refused.reason}\u0000${window}`)
    .digest('base64url')
    .slice(0, 27);
  return {
    id: `chf_${digest}`,
    at: refused.at,
    licenseId: refused.licenseId,
    installationId: refused.installationId.slice(0, 100),
    reason: refused.reason.slice(0, 64),
  };
}
