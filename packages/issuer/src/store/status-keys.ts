// The verify service's way to its signing keys: status-purpose keys only, asked for by purpose
// in the store query, so no license-purpose private key is ever read into its memory.

import type { Ed25519KeyPair } from '@licensor/token';
import { loadKeyPairs } from '../keys/load-keys.js';
import type { LicensorStore } from './ports.js';

export async function loadStatusKeys(
  store: Pick<LicensorStore, 'readPrivateKeys' | 'dataDir'>,
  passphrase: string | undefined,
): Promise<Ed25519KeyPair[]> {
  const stored = await store.readPrivateKeys('status');
  return loadKeyPairs(
    store.dataDir,
    stored,
    'status',
    passphrase ?? process.env.LICENSOR_KEY_PASSPHRASE,
  );
}
