// The verify service's way to its signing keys: status-purpose keys only, asked for by purpose
// in the store query, so no license-purpose private key is ever read into its memory. They are
// sealed under their own secret, LICENSOR_STATUS_KEY_PASSPHRASE, never the issuing one.

import type { Ed25519KeyPair } from '@licensor/token';
import { loadKeyPairs } from '../keys/load-keys.js';
import type { KeyStore, StoreHandle } from './ports.js';

export async function loadStatusKeys(
  store: Pick<KeyStore, 'readPrivateKeys'> & Pick<StoreHandle, 'dataDir'>,
  passphrase: string | undefined,
): Promise<Ed25519KeyPair[]> {
  const stored = await store.readPrivateKeys('status');
  return loadKeyPairs(
    store.dataDir,
    stored,
    'status',
    passphrase ?? process.env.LICENSOR_STATUS_KEY_PASSPHRASE,
  );
}
