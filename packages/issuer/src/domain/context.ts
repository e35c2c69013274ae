// What every domain operation shares: the store, the clock, the passphrase, and the loaded
// license signing key (decrypted once, then kept in memory for the life of the Issuer).

import type { Ed25519KeyPair } from '@licensor/token';
import { NotInitialisedError } from '../errors.js';
import { loadKeyPair } from '../keys/load-keys.js';
import type { License, LicensorStore, Operator } from '../types.js';

export interface IssuerContext {
  store: LicensorStore;
  passphrase: string | undefined;
  now: () => number;
  licenseKeys: Map<string, Ed25519KeyPair>;
}

export function nowSeconds(context: IssuerContext): number {
  return Math.floor(context.now() / 1000);
}

/** The active license key: the newest non-retired one, decrypted once. */
export async function activeLicenseKey(context: IssuerContext): Promise<Ed25519KeyPair> {
  const [newest] = await context.store.readPrivateKeys('license');
  if (newest === undefined) throw new NotInitialisedError();
  const cached = context.licenseKeys.get(newest.kid);
  if (cached !== undefined) return cached;
  const pair = await loadKeyPair(context.store.dataDir, newest, 'license', context.passphrase);
  context.licenseKeys.set(pair.kid, pair);
  return pair;
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
  return operator.trim().slice(0, 200);
}
