// Revoke, suspend, resume: a change of a license's state, recorded as a transaction. No new
// token is signed; the verify service answers the next check with the new state.

import { newId } from '@licensor/token';
import { InputInvalidError, LicenseNotFoundError, LicenseStateError } from '../errors.js';
import type { LicenseChange } from '../facade.js';
import type { License, LicenseState, Operator, StateTransaction } from '../records.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext } from './context.js';

export type StateChange = 'revoke' | 'suspend' | 'resume';

const TARGET: Record<StateChange, LicenseState> = {
  revoke: 'revoked',
  suspend: 'suspended',
  resume: 'active',
};

/** The states each change may start from. */
/** Each change as the message says it was done ("it cannot be suspended"). */
const DONE: Record<StateChange, string> = {
  revoke: 'revoked',
  suspend: 'suspended',
  resume: 'resumed',
};

const FROM: Record<StateChange, readonly LicenseState[]> = {
  revoke: ['active', 'suspended'],
  suspend: ['active'],
  resume: ['suspended'],
};

export function checkReason(reason: string | undefined): string | null {
  if (reason === undefined) return null;
  if (typeof reason !== 'string' || reason.length > 1000) {
    throw new InputInvalidError('reason', 'must be text of at most 1000 characters');
  }
  return reason.trim() === '' ? null : reason.trim();
}

/** The transaction that moves `license` to the state `change` leads to, at `at`. */
export function stateTransaction(
  license: License,
  change: StateChange,
  at: number,
  who: string,
  why: string | null,
): StateTransaction {
  const id = newId('txn');
  const licenseAfter: License = {
    ...license,
    state: TARGET[change],
    stateReason: change === 'resume' ? null : why,
    latestTransactionId: id,
    seq: license.seq + 1,
    updatedAt: at,
  };
  return {
    id,
    kind: change,
    at,
    operator: who,
    licenseId: license.id,
    customerId: license.customerId,
    installationId: license.installationId,
    seq: licenseAfter.seq,
    revision: null,
    challengeHash: null,
    challengeId: null,
    requestId: null,
    terms: null,
    token: null,
    kid: null,
    reason: why,
    licenseAfter,
    customerAfter: null,
    installationAfter: null,
    applied: false,
  };
}

export async function changeLicenseState(
  context: IssuerContext,
  change: StateChange,
  licenseId: string,
  operator: Operator,
  reason?: string,
): Promise<LicenseChange> {
  const who = checkOperator(operator);
  const why = checkReason(reason);
  const committed = await commitWithRetry(context, `license ${licenseId}`, async () => {
    const license = await currentLicense(context, licenseId);
    if (license === null) throw new LicenseNotFoundError(licenseId);
    if (!FROM[change].includes(license.state)) {
      throw new LicenseStateError(
        license.state,
        `license ${licenseId} is ${license.state}: it cannot be ${DONE[change]}`,
      );
    }
    return stateTransaction(license, change, context.now(), who, why);
  });
  if (committed.status !== 'committed') throw new Error('a state change has no challenge');
  return { license: committed.transaction.licenseAfter!, transaction: committed.transaction };
}
