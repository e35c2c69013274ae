// Turns stored private halves into key pairs. Shared by the issuer (license keys) and by the
// store entry point (status keys for the verify service): it is handed keys of one purpose,
// already filtered by the store's query, and checks the purpose again before using any.

import { type Ed25519KeyPair, type KeyPurpose, keyPairFromSeed } from '@licensor/token';
import { KeyFileError, PassphraseRequiredError, PassphraseWrongError } from '../errors.js';
import type { StoredPrivateKey } from '../store/ports.js';
import { readKeyFile } from './key-files.js';
import { keyAad, openSecret } from './seal.js';

export async function loadKeyPair(
  dataDir: string,
  stored: StoredPrivateKey,
  purpose: KeyPurpose,
  passphrase: string | undefined,
): Promise<Ed25519KeyPair> {
  if (stored.purpose !== purpose) {
    throw new KeyFileError(`key ${stored.kid} is a ${stored.purpose} key, not a ${purpose} key`);
  }
  if (stored.protection === 'pkcs11') {
    throw new KeyFileError(
      `key ${stored.kid} is in the HSM token "${stored.hsm.token}": it signs there and is never loaded into memory`,
    );
  }
  let seed: Uint8Array;
  if (stored.protection === 'file') {
    seed = readKeyFile(dataDir, purpose, stored.kid);
  } else {
    if (passphrase === undefined || passphrase === '')
      throw new PassphraseRequiredError(stored.kid, purpose);
    const opened = await openSecret(stored.sealed, passphrase, keyAad(purpose, stored.kid));
    if (opened === undefined) throw new PassphraseWrongError(stored.kid, purpose);
    seed = opened;
  }
  const pair = keyPairFromSeed(seed);
  if (pair.kid !== stored.kid) {
    throw new KeyFileError(`the private key stored for ${stored.kid} belongs to key ${pair.kid}`);
  }
  return pair;
}

export async function loadKeyPairs(
  dataDir: string,
  stored: StoredPrivateKey[],
  purpose: KeyPurpose,
  passphrase: string | undefined,
): Promise<Ed25519KeyPair[]> {
  const pairs: Ed25519KeyPair[] = [];
  for (const key of stored) pairs.push(await loadKeyPair(dataDir, key, purpose, passphrase));
  return pairs;
}
