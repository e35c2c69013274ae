// A stored license key as a signer: the issuer signs through `JwsSigner.sign` and never needs
// to know whether the key is a seed it decrypted or a key that lives in an HSM.

import { type JwsSigner, signerFromKeyPair } from '@licensor/token';
import { NotInitialisedError } from '../errors.js';
import type { KeyStore, StoredPrivateKey, StoreHandle } from '../store/ports.js';
import { loadKeyPair } from './load-keys.js';
import { openHsmSigner } from './pkcs11/keys.js';

export async function openLicenseSigner(
  dataDir: string,
  stored: StoredPrivateKey,
  passphrase: string | undefined,
): Promise<JwsSigner> {
  if (stored.protection === 'pkcs11') {
    return openHsmSigner({ kid: stored.kid, ...stored.hsm, publicKey: stored.publicKey });
  }
  return signerFromKeyPair(await loadKeyPair(dataDir, stored, 'license', passphrase));
}

/**
 * The signer of the store's active license key, opened now (not cached): for tools and the
 * benchmark. The Issuer itself keeps its signers in LicenseKeys.
 */
export async function activeLicenseSigner(
  store: KeyStore & Pick<StoreHandle, 'dataDir'>,
  passphrase?: string,
): Promise<JwsSigner> {
  const [newest] = await store.readPrivateKeys('license');
  if (newest === undefined) throw new NotInitialisedError();
  return openLicenseSigner(store.dataDir, newest, passphrase === '' ? undefined : passphrase);
}
