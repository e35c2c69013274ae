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

  /** The key that signs licenses now (the store lists it first), opened once. */
  async active(): Promise<JwsSigner> {
    const [newest] = await this.#store.readPrivateKeys('license');
    if (newest === undefined) throw new NotInitialisedError();
    const cached = this.#opened.get(newest.kid);
    if (cached !== undefined) return cached;
    const signer = await openLicenseSigner(this.#store.dataDir, newest, this.#passphrase);
    this.#opened.set(signer.kid, signer);
    return signer;
  }

  /** The key that signs one product's licenses now (a catalogue id), opened once; null: none. */
  async activeOf(product: string): Promise<JwsSigner | null> {
    const [newest] = await this.#store.readPrivateKeys('license', product);
    if (newest === undefined) return null;
    return this.open(newest.kid, product);
  }

  /**
   * Opens a key that signs or is about to (active or next), once: before a key is activated,
   * this proves it opens with what this Issuer holds (passphrase, HSM). `product`: a key of
   * that product (catalogue id), not one of the vendor's own.
   */
  async open(kid: string, product?: string): Promise<JwsSigner> {
    const cached = this.#opened.get(kid);
    if (cached !== undefined) return cached;
    const stored = (await this.#store.readPrivateKeys('license', product ?? null)).find(
      (key) => key.kid === kid,
    );
    if (stored === undefined) throw new NotInitialisedError();
    const signer = await openLicenseSigner(this.#store.dataDir, stored, this.#passphrase);
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
