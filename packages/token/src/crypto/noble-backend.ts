// The portable Ed25519 implementation and the reference: @noble/ed25519 in strict mode
// (zip215: false), made synchronous by giving it @noble/hashes' SHA-512.

import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Ed25519Backend } from './backend.js';

ed.hashes.sha512 = sha512;

export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  publicKey: (seed) => ed.getPublicKey(seed),
  sign: (message, seed) => ed.sign(message, seed),
  verify(signature, message, publicKey) {
    if (!ed.verify(signature, message, publicKey, { zip215: false })) return false;
    // noble checks the cofactored equation [8]R = [8]([S]B - [k]A); OpenSSL the cofactorless
    // R = [S]B - [k]A. With a prime-order A (policy) they differ only when R has a small-order
    // component, so refusing such an R makes the two agree.
    return ed.Point.fromBytes(signature.subarray(0, 32), false).isTorsionFree();
  },
};
