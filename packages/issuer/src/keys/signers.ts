// A stored license key as a signer: the issuer signs through `JwsSigner.sign` and never needs
// to know whether the key is a seed it decrypted or a key that lives in an HSM.

import { type JwsSigner, signerFromKeyPair } from '@licensor/token';
import type { StoredPrivateKey } from '../store/ports.js';
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
