// What every domain operation shares: the store, the clock, the two sealing secrets (new keys),
// and the license signing keys (opened once, then kept in memory for the life of the Issuer).

import type { LicenseKeys } from '../keys/license-keys.js';
import type { License, Operator } from '../records.js';
import type { LicensorStore } from '../store/ports.js';
import { clipText, wellFormed } from '../text.js';

export interface IssuerContext {
  store: LicensorStore;
  /** Seals license keys (LICENSOR_KEY_PASSPHRASE). */
  passphrase: string | undefined;
  /** Seals status keys (LICENSOR_STATUS_KEY_PASSPHRASE, the verify service's secret). */
  statusPassphrase: string | undefined;
  now: () => number;
  licenseKeys: LicenseKeys;
}

export function nowSeconds(context: Pick<IssuerContext, 'now'>): number {
  return Math.floor(context.now() / 1000);
}

/**
 * The license as its whole log leads to: first writes the records of any transaction of this
 * license that was stored but not applied (a crash between the writes of a commit).
 */
export async function currentLicense(
  context: IssuerContext,
  licenseId: string,
): Promise<License | null> {
  for (const pending of await context.store.listUnappliedTransactions(licenseId)) {
    await context.store.applyTransaction(pending);
  }
  return context.store.getLicense(licenseId);
}

export function checkOperator(operator: Operator): Operator {
  if (typeof operator !== 'string' || operator.trim() === '') return 'unknown';
  // Cut on code points, well-formed: it goes into audit entries, whose bytes are hashed.
  return clipText(wellFormed(operator.trim()), 200);
}
