// The input rules of Licensor's Ed25519 (RFC 8032 verification, strict): node:crypto
// (OpenSSL) and @noble/ed25519 (strict mode) disagree on non-canonical encodings and
// small-order keys, so these are refused before any signature work:
// - a public key must be a canonical encoding of a point on the curve that is not of small
//   order. The encoding and small-order rules are byte comparisons, as libsodium makes them
//   (the eight points of small order have seven encodings with the sign bit masked); whether
//   the bytes are a point at all is decided by the verification itself, which decodes the key
//   (a verification with a key that is no point fails), and, only when a verification fails or
//   a key is imported without a signature, by decoding it here (a square root in pure JS,
//   about 0.2 ms; the full check, cached per key);
// - a signature's S must be below the group order L, and its R a canonical point encoding:
//   cheap byte comparisons on every verify.
// Both backends then decide by the cofactorless equation R = [S]B - [k]A (see noble-backend).

import { Point } from '@noble/ed25519';
import { KeyInvalidError } from '../errors.js';
import { base64urlEncode } from '../lib/base64url.js';
import { RecentCache } from '../lib/recent-cache.js';

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** True when the 32 little-endian bytes at `offset` encode a number below L. */
function isBelowL(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[offset + i]!;
    const l = L_LE[i]!;
    if (b < l) return true;
    if (b > l) return false;
  }
  return false; // equal to L
}

/**
 * True when the 32 bytes at `offset` are a canonical point encoding as far as bytes tell:
 * y < p = 2^255 - 19, and no sign bit on the two points whose x is 0 (y = 1 and y = p - 1).
 */
function isCanonicalEncoding(bytes: Uint8Array, offset: number): boolean {
  const top = bytes[offset + 31]! & 0x7f;
  const signBit = bytes[offset + 31]! & 0x80;
  let middleAllFf = top === 0x7f;
  let middleAllZero = top === 0;
  for (let i = 1; i < 31; i++) {
    const b = bytes[offset + i]!;
    if (b !== 0xff) middleAllFf = false;
    if (b !== 0) middleAllZero = false;
  }
  const low = bytes[offset]!;
  if (middleAllFf && low >= 0xed) return false; // y >= p
  if (signBit !== 0 && middleAllFf && low === 0xec) return false; // y = p - 1, x = 0
  if (signBit !== 0 && middleAllZero && low === 0x01) return false; // y = 1, x = 0
  return true;
}

// The encodings of the eight points of small order (the torsion subgroup), the sign bit (bit
// 255) masked: y = 0 (order 4, both x), y = 1 (the identity), the two y of order 8 (both x),
// y = p - 1 (order 2), and y = p and y = p + 1 (0 and 1 again, not canonical). libsodium's
// ge25519_has_small_order holds the same seven.
const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Uint8Array.from(hex.match(/../g)!, (byte) => Number.parseInt(byte, 16)));

/** True when 32 bytes encode a point of small order, whatever their sign bit. */
export function isSmallOrderEncoding(publicKey: Uint8Array): boolean {
  for (const known of SMALL_ORDER_ENCODINGS) {
    let differ = (publicKey[31]! & 0x7f) ^ known[31]!;
    for (let i = 0; i < 31 && differ === 0; i++) differ |= publicKey[i]! ^ known[i]!;
    if (differ === 0) return true;
  }
  return false;
}

/**
 * The byte rules of a public key (length, canonical encoding, not of small order): why the
 * key is refused, or null. What they leave open is whether the bytes are a point at all.
 */
export function publicKeyBytesProblem(publicKey: Uint8Array): string | null {
  if (publicKey.length !== 32) return `is ${publicKey.length} bytes, not 32`;
  if (!isCanonicalEncoding(publicKey, 0)) return 'is not a canonical point encoding';
  if (isSmallOrderEncoding(publicKey)) return 'is a small-order point';
  return null;
}

/** Throws ERR_KEY_INVALID unless `publicKey` passes the byte rules (publicKeyBytesProblem). */
export function assertPublicKeyBytes(publicKey: Uint8Array): void {
  const problem = publicKeyBytesProblem(publicKey);
  if (problem !== null) throw new KeyInvalidError(`the Ed25519 public key ${problem}`);
}

/** True when a 64-byte signature has a canonical R and S < L. */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  return signature.length === 64 && isBelowL(signature, 32) && isCanonicalEncoding(signature, 0);
}

// The check decodes the point (a square root in pure JS), so accepted keys are remembered by
// instance and, for callers that decode a fresh copy of a key each time (a service reading
// installation keys from its store), by value.
const acceptedKeys = new WeakSet<Uint8Array>();
const acceptedByValue = new RecentCache<string, true>(65_536);

/**
 * Why a 32-byte string is not a usable Ed25519 public key, or null when it is: the byte rules,
 * then the point decoded (the full check, as every key was checked before #15.5).
 */
export function publicKeyProblem(publicKey: Uint8Array): string | null {
  const bytes = publicKeyBytesProblem(publicKey);
  if (bytes !== null) return bytes;
  let point: Point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return 'is not a point on Ed25519';
  }
  if (point.isSmallOrder()) return 'is a small-order point';
  return null;
}

/**
 * Records a key the full check would accept without running it: one that passed the byte rules
 * and verified a signature (so the backend decoded it as a point). A later full check of the
 * same key (a challenge decoded again for its claims) is then a cache hit.
 */
export function rememberUsablePublicKey(publicKey: Uint8Array): void {
  if (acceptedKeys.has(publicKey)) return;
  acceptedKeys.add(publicKey);
  acceptedByValue.set(base64urlEncode(publicKey), true);
}

/**
 * Throws ERR_KEY_INVALID unless `publicKey` is a canonical Ed25519 point not of small order.
 * Remembers accepted keys (by instance and by value), so the cost is paid once per key.
 */
export function assertUsablePublicKey(publicKey: Uint8Array): void {
  if (acceptedKeys.has(publicKey)) return;
  const value = publicKey.length === 32 ? base64urlEncode(publicKey) : '';
  if (value !== '' && acceptedByValue.get(value) === true) {
    acceptedKeys.add(publicKey);
    return;
  }
  const problem = publicKeyProblem(publicKey);
  if (problem !== null) throw new KeyInvalidError(`the Ed25519 public key ${problem}`);
  acceptedKeys.add(publicKey);
  acceptedByValue.set(value, true);
}
