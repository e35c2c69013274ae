// Ed25519 keys as Licensor uses them: a key pair is a 32-byte seed, its public key and its key
// id; public keys travel as JWK (RFC 8037) and are named by their RFC 7638 thumbprint.

import { publicKeyFromSeed } from './crypto/backend.js';
import { assertPublicKeyBytes, assertUsablePublicKey } from './crypto/ed25519-policy.js';
import { KeyInvalidError } from './errors.js';
import { base64urlDecode, base64urlEncode } from './lib/base64url.js';
import { bytesEqual } from './lib/bytes.js';
import { sha256 } from './lib/sha256.js';
import { utf8Encode } from './lib/utf8.js';

export type KeyPurpose = 'license' | 'status';

export interface Ed25519KeyPair {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  publicKey: Uint8Array;
  /** The 32-byte RFC 8032 seed. */
  privateKey: Uint8Array;
}

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

export function generateKeyPair(): Ed25519KeyPair {
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  return keyPairFromSeed(seed);
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new KeyInvalidError('an Ed25519 seed (private key) must be 32 bytes');
  }
  const privateKey = Uint8Array.from(seed);
  const publicKey = publicKeyFromSeed(privateKey);
  return { kid: jwkThumbprint(toPublicJwk(publicKey)), publicKey, privateKey };
}

export function toPublicJwk(publicKey: Uint8Array): PublicJwk {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new KeyInvalidError('an Ed25519 public key must be 32 bytes');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(publicKey) };
}

/**
 * The public key of a JWK `{kty: "OKP", crv: "Ed25519", x}`. Other members (kid, use, …) are
 * allowed; a private part `d` is refused so a secret is never handled as a public key.
 */
export function publicKeyFromJwk(jwk: unknown): Uint8Array {
  const publicKey = publicKeyBytesFromJwk(jwk);
  assertUsablePublicKey(publicKey);
  return publicKey;
}

/**
 * The same under the byte rules alone (length, canonical encoding, not of small order): whether
 * `x` is a point at all is left to the verification that uses the key at once, which refuses a
 * key that is no point with ERR_KEY_INVALID (verifyEd25519). Only for a key that signs the very
 * token it arrives in (a challenge's `jwk`), never for a key kept to verify later tokens.
 */
export function publicKeyBytesFromJwk(jwk: unknown): Uint8Array {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new KeyInvalidError('a JWK must be a JSON object');
  }
  const { kty, crv, x, d } = jwk as Record<string, unknown>;
  if (kty !== 'OKP' || crv !== 'Ed25519') {
    throw new KeyInvalidError('the JWK is not an Ed25519 key (expected kty "OKP", crv "Ed25519")');
  }
  if (d !== undefined) {
    throw new KeyInvalidError('the JWK holds a private key ("d"); give the public JWK only');
  }
  if (typeof x !== 'string' || x.length !== 43) {
    throw new KeyInvalidError('the JWK member "x" must be 43 base64url characters');
  }
  let publicKey: Uint8Array;
  try {
    publicKey = base64urlDecode(x, 'JWK member "x"');
  } catch (error) {
    throw new KeyInvalidError(
      `the JWK member "x" is not canonical base64url: ${(error as Error).message}`,
    );
  }
  assertPublicKeyBytes(publicKey);
  return publicKey;
}

/** RFC 7638 thumbprint: base64url(SHA-256({"crv","kty","x"} in that order, no spaces)). */
export function jwkThumbprint(jwk: PublicJwk): string {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(jwk.x)}}`;
  return base64urlEncode(sha256(utf8Encode(canonical)));
}

const checkedPairs = new WeakSet<Ed25519KeyPair>();

/** Throws ERR_KEY_INVALID unless the seed, public key and kid of a pair belong together. */
export function assertKeyPair(keyPair: Ed25519KeyPair): void {
  if (checkedPairs.has(keyPair)) return;
  const { kid, publicKey, privateKey } = keyPair ?? {};
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new KeyInvalidError('the key pair has no 32-byte private key (seed)');
  }
  if (!(publicKey instanceof Uint8Array) || !bytesEqual(publicKeyFromSeed(privateKey), publicKey)) {
    throw new KeyInvalidError("the key pair's public key does not belong to its private key");
  }
  if (kid !== jwkThumbprint(toPublicJwk(publicKey))) {
    throw new KeyInvalidError("the key pair's kid is not the thumbprint of its public key");
  }
  checkedPairs.add(keyPair);
}
