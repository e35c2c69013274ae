// The portable Ed25519 implementation and the reference: @noble/ed25519 in strict mode
// (zip215: false), made synchronous by giving it @noble/hashes' SHA-512.
//
// noble checks the cofactored equation [8]R = [8]([S]B - [k]A), OpenSSL the cofactorless
// R = [S]B - [k]A. After the policy checks (canonical R and A, S < L, A not of small order)
// they still differ when R or A has a small-order component, so a signature noble accepts is
// confirmed with the cofactorless equation: both backends then give one answer on every input.

import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../lib/bytes.js';
import type { Ed25519Backend } from './backend.js';

ed.hashes.sha512 = sha512;

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** RFC 8032 5.1.7 step 3, cofactorless: [S]B - [k]A encodes to exactly R. */
function cofactorlessHolds(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const r = signature.subarray(0, 32);
  const hashed = new Uint8Array(64 + message.length);
  hashed.set(r);
  hashed.set(publicKey, 32);
  hashed.set(message, 64);
  const k = littleEndian(sha512(hashed)) % L;
  const s = littleEndian(signature.subarray(32, 64));
  const a = ed.Point.fromBytes(publicKey, false);
  const expected = ed.Point.BASE.multiply(s, false).subtract(a.multiply(k, false));
  return bytesEqual(expected.toBytes(), r);
}

export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  publicKey: (seed) => ed.getPublicKey(seed),
  sign: (message, seed) => ed.sign(message, seed),
  verify(signature, message, publicKey) {
    return (
      ed.verify(signature, message, publicKey, { zip215: false }) &&
      cofactorlessHolds(signature, message, publicKey)
    );
  },
};
