// The issuer's license signing keys, as signers: the active one is read from the key store and
// opened once (a seed decrypted with the issuing passphrase, or a handle to a key in an HSM),
// then kept for the life of the Issuer. Everything that signs a license asks `active()` once,
// before it reads the records it decides on.

import type { JwsSigner } from '@licensor/token';
import { NotInitialisedError } from '../errors.js';
import type { KeyStore, StoreHandle } from '../store/ports.js';
import { openLicenseSigner } from './signers.js';

export class LicenseKeys {
  readonly #store: KeyStore & Pick<StoreHandle, 'dataDir'>;
  readonly #passphrase: string | undefined;
  readonly #opened = new Map<string, JwsSigner>();

  constructor(store: KeyStore & Pick<StoreHandle, 'dataDir'>, passphrase: string | undefined) {
    this.#store = store;
    this.#passphrase = passphrase;
  }

  /** The key that signs licenses now: the newest non-retired one, opened once. */
  async active(): Promise<JwsSigner> {
    const [newest] = await this.#store.readPrivateKeys('license');
    if (newest === undefined) throw new NotInitialisedError();
    const cached = this.#opened.get(newest.kid);
    if (cached !== undefined) return cached;
    const signer = await openLicenseSigner(this.#store.dataDir, newest, this.#passphrase);
    this.#opened.set(signer.kid, signer);
    return signer;
  }

  /** A key this Issuer just created: no need to open it again. */
  remember(signer: JwsSigner): void {
    this.#opened.set(signer.kid, signer);
  }

  /** A key that no longer signs: drop it from memory. */
  forget(kid: string): void {
    this.#opened.delete(kid);
  }
}
