// A stored license key as a signer: the issuer signs through `JwsSigner.sign` and never needs
// to know whether the key is a seed it decrypted or a key that lives in an HSM.

import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { type JwsSigner, type PublicJwk, signerFromKeyPair } from '@licensor/token';
import { KeyFileError, NotInitialisedError } from '../errors.js';
import type { HsmKeyLocation } from '../records.js';
import type { KeyStore, StoredPrivateKey, StoreHandle } from '../store/ports.js';
import { loadKeyPair } from './load-keys.js';
import { openHsmSigner, probeHsmKey } from './pkcs11/keys.js';

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
 * A probe signature before a key may sign (`keys activate`): random bytes signed by `signer` and
 * verified under the public key the store records. A key in an HSM is looked up on the token
 * again (exactly one private key under its label, not a handle remembered) and signs there.
 * Throws a typed error (ERR_HSM_* for a key in an HSM) when the key cannot sign as recorded.
 */
export async function probeLicenseKey(
  record: { kid: string; publicKey: PublicJwk; hsm?: HsmKeyLocation },
  signer: JwsSigner,
): Promise<void> {
  if (record.hsm !== undefined) {
    await probeHsmKey({ kid: record.kid, ...record.hsm, publicKey: record.publicKey });
    return;
  }
  const message = randomBytes(32);
  const signature = await signer.sign(message);
  const key = createPublicKey({ key: { ...record.publicKey }, format: 'jwk' });
  if (signature.length !== 64 || !verify(null, message, key, signature)) {
    throw new KeyFileError(
      `the private key opened for ${record.kid} does not sign as ${record.kid}: its signature does not verify under the recorded public key`,
    );
  }
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
