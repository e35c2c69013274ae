// The issuer's license signing keys: the active one is read from the key store and opened with
// the issuing passphrase once, then kept in memory for the life of the Issuer. Everything that
// signs a license asks `active()` once, before it reads the records it decides on.

import type { Ed25519KeyPair } from '@licensor/token';
import { NotInitialisedError } from '../errors.js';
import type { KeyStore, StoreHandle } from '../store/ports.js';
import { loadKeyPair } from './load-keys.js';

export class LicenseKeys {
  readonly #store: KeyStore & Pick<StoreHandle, 'dataDir'>;
  readonly #passphrase: string | undefined;
  readonly #opened = new Map<string, Ed25519KeyPair>();

  constructor(store: KeyStore & Pick<StoreHandle, 'dataDir'>, passphrase: string | undefined) {
    this.#store = store;
    this.#passphrase = passphrase;
  }

  /** The key that signs licenses now: the newest non-retired one, opened once. */
  async active(): Promise<Ed25519KeyPair> {
    const [newest] = await this.#store.readPrivateKeys('license');
    if (newest === undefined) throw new NotInitialisedError();
    const cached = this.#opened.get(newest.kid);
    if (cached !== undefined) return cached;
    const pair = await loadKeyPair(this.#store.dataDir, newest, 'license', this.#passphrase);
    this.#opened.set(pair.kid, pair);
    return pair;
  }

  /** A key this Issuer just created: no need to open it again. */
  remember(pair: Ed25519KeyPair): void {
    this.#opened.set(pair.kid, pair);
  }

  /** A key that no longer signs: drop it from memory. */
  forget(kid: string): void {
    this.#opened.delete(kid);
  }
}
