// The vendor keys a verifier trusts: a JWKS whose keys are each marked for `license` or
// `status` use, so that a status key (held by the online service) can never pass as a key that
// issues licenses. A license key may belong to one product (`product`: the name its SDK reports):
// it signs licenses of that product only, and the SDK of another product refuses what it signed.

import { productName } from './claims/schema.js';
import {
  ClaimsInvalidError,
  KeyInvalidError,
  KeyringInvalidError,
  KeyWrongPurposeError,
  KidUnknownError,
} from './errors.js';
import {
  jwkThumbprint,
  type KeyPurpose,
  type PublicJwk,
  publicKeyFromJwk,
  toPublicJwk,
} from './keys.js';

export interface KeyringJwk extends PublicJwk {
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
  purpose: KeyPurpose;
  /** A license key of one product: the product name its SDK reports (absent: the vendor's own). */
  product?: string;
}

export interface Jwks {
  keys: KeyringJwk[];
}

interface Entry {
  publicKey: Uint8Array;
  purpose: KeyPurpose;
  product?: string;
}

/** A key's product: a product name as the claims read it (`productName` in claims/schema). */
function productOfKey(value: unknown, index: number): string {
  try {
    return productName(value, `keys[${index}].product`);
  } catch (error) {
    if (error instanceof ClaimsInvalidError)
      throw new KeyringInvalidError(`keys[${index}].product ${error.reason}`);
    throw error;
  }
}

const PURPOSES: readonly KeyPurpose[] = ['license', 'status'];

export class Keyring {
  readonly #entries: Map<string, Entry>;

  private constructor(entries: Map<string, Entry>) {
    this.#entries = entries;
  }

  /** Reads a JWKS; throws ERR_KEYRING_INVALID (or ERR_KEY_INVALID for a bad key). */
  static fromJwks(jwks: unknown): Keyring {
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as Jwks).keys)) {
      throw new KeyringInvalidError('a keyring must be a JWKS: an object with a "keys" array');
    }
    const keys = (jwks as { keys: unknown[] }).keys;
    const entries = new Map<string, Entry>();
    keys.forEach((jwk, index) => {
      if (typeof jwk !== 'object' || jwk === null) {
        throw new KeyringInvalidError(`keys[${index}] is not a JWK object`);
      }
      const { kid, alg, use, purpose, product } = jwk as Record<string, unknown>;
      if (!PURPOSES.includes(purpose as KeyPurpose)) {
        throw new KeyringInvalidError(`keys[${index}] needs "purpose": "license" or "status"`);
      }
      if (product !== undefined && purpose !== 'license') {
        throw new KeyringInvalidError(
          `keys[${index}] is a ${String(purpose)} key with "product": only license keys belong to a product`,
        );
      }
      if (alg !== undefined && alg !== 'EdDSA') {
        throw new KeyringInvalidError(
          `keys[${index}] has "alg" ${JSON.stringify(alg)}, not "EdDSA"`,
        );
      }
      if (use !== undefined && use !== 'sig') {
        throw new KeyringInvalidError(`keys[${index}] has "use" ${JSON.stringify(use)}, not "sig"`);
      }
      let publicKey: Uint8Array;
      try {
        publicKey = publicKeyFromJwk(jwk);
      } catch (error) {
        if (error instanceof KeyInvalidError) {
          throw new KeyInvalidError(`keys[${index}]: ${error.message}`);
        }
        throw error;
      }
      const thumbprint = jwkThumbprint(toPublicJwk(publicKey));
      if (kid !== thumbprint) {
        throw new KeyringInvalidError(
          `keys[${index}] has "kid" ${JSON.stringify(kid)}, but its RFC 7638 thumbprint is ${thumbprint}`,
        );
      }
      add(entries, thumbprint, {
        publicKey,
        purpose: purpose as KeyPurpose,
        ...(product === undefined ? {} : { product: productOfKey(product, index) }),
      });
    });
    return Keyring.#checked(entries);
  }

  /** Builds a keyring from public keys; each kid is the key's thumbprint. */
  static of(
    entries: readonly { publicKey: Uint8Array; purpose: KeyPurpose; product?: string }[],
  ): Keyring {
    if (!Array.isArray(entries)) throw new KeyringInvalidError('Keyring.of needs an array');
    const map = new Map<string, Entry>();
    entries.forEach(({ publicKey, purpose, product }, index) => {
      if (!PURPOSES.includes(purpose)) {
        throw new KeyringInvalidError(`a key purpose must be "license" or "status"`);
      }
      if (product !== undefined && purpose !== 'license') {
        throw new KeyringInvalidError('only license keys belong to a product');
      }
      const jwk = toPublicJwk(publicKey);
      const checked = publicKeyFromJwk(jwk);
      add(map, jwkThumbprint(jwk), {
        publicKey: checked,
        purpose,
        ...(product === undefined ? {} : { product: productOfKey(product, index) }),
      });
    });
    return Keyring.#checked(map);
  }

  static #checked(entries: Map<string, Entry>): Keyring {
    if (entries.size === 0) throw new KeyringInvalidError('a keyring needs at least one key');
    return new Keyring(entries);
  }

  /**
   * The public key with this kid for this purpose. Throws ERR_KID_UNKNOWN, or
   * ERR_KEY_WRONG_PURPOSE when the kid is known for the other purpose. Do not modify the result.
   */
  get(kid: string, purpose: KeyPurpose): Uint8Array {
    const entry = this.#entries.get(kid);
    if (entry === undefined) {
      throw new KidUnknownError(
        `no key with kid ${JSON.stringify(kid)} in the keyring; update the vendor keyring`,
      );
    }
    if (entry.purpose !== purpose) {
      throw new KeyWrongPurposeError(
        `the key ${kid} is a ${entry.purpose} key and cannot verify a ${purpose} message`,
      );
    }
    return entry.publicKey;
  }

  has(kid: string, purpose?: KeyPurpose): boolean {
    const entry = this.#entries.get(kid);
    return entry !== undefined && (purpose === undefined || entry.purpose === purpose);
  }

  /** The product a license key belongs to (undefined: the vendor's own key, or unknown kid). */
  productOf(kid: string): string | undefined {
    return this.#entries.get(kid)?.product;
  }

  /** The kids in the keyring, optionally only those of one purpose. */
  kids(purpose?: KeyPurpose): string[] {
    return [...this.#entries]
      .filter(([, entry]) => purpose === undefined || entry.purpose === purpose)
      .map(([kid]) => kid);
  }

  toJwks(): Jwks {
    return {
      keys: [...this.#entries].map(([kid, { publicKey, purpose, product }]) => ({
        ...toPublicJwk(publicKey),
        kid,
        alg: 'EdDSA' as const,
        use: 'sig' as const,
        purpose,
        ...(product === undefined ? {} : { product }),
      })),
    };
  }
}

function add(entries: Map<string, Entry>, kid: string, entry: Entry): void {
  if (entries.has(kid)) {
    throw new KeyringInvalidError(`the key ${kid} appears twice in the keyring`);
  }
  entries.set(kid, entry);
}
