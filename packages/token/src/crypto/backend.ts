// One synchronous Ed25519 interface over two implementations: node:crypto where it exists (8-11x
// faster) and @noble/ed25519 everywhere else. Both sit behind the same policy checks, so the
// choice changes speed, never an answer. Tests and the benchmark pick one explicitly.

import {
  assertPublicKeyBytes,
  assertUsablePublicKey,
  isCanonicalSignature,
} from './ed25519-policy.js';
import { nobleBackend } from './noble-backend.js';
import { nodeBackend } from './node-backend.js';

export type Ed25519BackendName = 'node' | 'noble';

export interface Ed25519Backend {
  readonly name: Ed25519BackendName;
  /** Public key of a 32-byte RFC 8032 seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  sign(message: Uint8Array, seed: Uint8Array): Uint8Array;
  /** Raw verification; the caller has already applied the policy checks. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

let active: Ed25519Backend = nodeBackend ?? nobleBackend;

/** Which implementation signs and verifies now. */
export function getEd25519Backend(): Ed25519BackendName {
  return active.name;
}

/**
 * Chooses the implementation: `auto` (the default) is node:crypto when available, noble
 * otherwise. Asking for `node` where node:crypto is missing throws a TypeError.
 */
export function setEd25519Backend(name: Ed25519BackendName | 'auto'): void {
  if (name === 'noble') active = nobleBackend;
  else if (name === 'auto') active = nodeBackend ?? nobleBackend;
  else if (nodeBackend === undefined) throw new TypeError('node:crypto is not available here');
  else active = nodeBackend;
}

export function currentBackend(): Ed25519Backend {
  return active;
}

/**
 * Ed25519 verification under Licensor's rules: RFC 8032 with a canonical R, S < L, a canonical
 * public key not of small order, decided by the cofactorless equation. Throws ERR_KEY_INVALID
 * for an unusable key; returns false for a signature that does not hold.
 */
export function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  // The byte rules first (libsodium's): no point decoding in JS on the way to a good answer.
  // A verification that holds decoded the key, so it is a point; one that fails may have
  // failed because the key is no point, which is then named as before (ERR_KEY_INVALID).
  assertPublicKeyBytes(publicKey);
  if (isCanonicalSignature(signature) && rawVerify(signature, message, publicKey)) return true;
  assertUsablePublicKey(publicKey);
  return false;
}

/** The backend's answer; a key it cannot decode is a signature that does not hold. */
function rawVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return active.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

export function signEd25519(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return active.sign(message, seed);
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return active.publicKey(seed);
}
