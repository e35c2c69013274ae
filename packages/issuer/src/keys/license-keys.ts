// The issuer's license signing keys, as signers: the active one is read from the key store and
// opened once (a seed decrypted with the issuing passphrase, or a handle to a key in an HSM),
// then kept for the life of the Issuer. Everything that signs a license asks `active()` once,
// before it reads the records it decides on.
//
// Which keys sign (the vendor's active key, each product's) is read from the store once per key
// set version (`perKeysetVersion`), not once per issue: every change of a key's state publishes a
// new version, so one indexed read of the newest version number tells whether what was read is
// still what signs, in this process or after another one (the CLI, another portal) changed keys.
// A key change in this process drops it at once. The one window: another process that crashed
// between writing a key's new state and publishing the version leaves this process signing with
// the key it read (still trusted: an activation retires the old key, it does not revoke it) until
// a version is published (repeating the interrupted command publishes it).

import type { JwsSigner } from '@licensor/token';
import { NotInitialisedError } from '../errors.js';
import type { KeyStore, StoreHandle } from '../store/ports.js';
import { openLicenseSigner } from './signers.js';

export class LicenseKeys {
  readonly #store: KeyStore & Pick<StoreHandle, 'dataDir'>;
  readonly #passphrase: string | undefined;
  readonly #opened = new Map<string, JwsSigner>();
  /** Moves with every key change in this process: a value read across one is not kept. */
  #generation = 0;
  #perKeyset: { version: number; generation: number; value: unknown } | null = null;

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

  /**
   * What `read` makes of the signing keys, read once per key set version: kept while the store's
   * newest version is the one it was read under and no key changed in this process meanwhile.
   * With no version published yet, read every time.
   */
  async perKeysetVersion<T>(read: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    const version = await this.#store.latestKeysetSeq();
    const kept = this.#perKeyset;
    if (kept !== null && kept.version === version && kept.generation === generation) {
      return kept.value as T;
    }
    const value = await read();
    if (version !== null && generation === this.#generation) {
      this.#perKeyset = { version, generation, value };
    }
    return value;
  }

  /** A key this Issuer just created: no need to open it again. */
  remember(signer: JwsSigner): void {
    this.#opened.set(signer.kid, signer);
    this.#changed();
  }

  /** A key that no longer signs: drop it from memory. */
  forget(kid: string): void {
    this.#opened.delete(kid);
    this.#changed();
  }

  #changed(): void {
    this.#generation++;
    this.#perKeyset = null;
  }
}
