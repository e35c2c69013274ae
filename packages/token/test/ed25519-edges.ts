// A reference for the vector tests, written from RFC 8032 with noble's point arithmetic and
// independent of the code under test: the Ed25519 edge cases a (key, signature) pair
// exercises, which of them Licensor's rules refuse, and the cofactorless equation.

import { Point } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function decode(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

function pointEdges(bytes: Uint8Array, name: string): string[] {
  const y = littleEndian(bytes) & ((1n << 255n) - 1n);
  if (y >= P) return [`non-canonical ${name}`];
  const point = decode(bytes);
  if (point === undefined) {
    return decode(Uint8Array.from(bytes, (b, i) => (i === 31 ? b & 0x7f : b)))
      ? [`non-canonical ${name}`] // x = 0 with the sign bit set
      : [`${name} not on the curve`];
  }
  if (point.is0()) return [`${name} is the identity`];
  if (point.isSmallOrder()) return [`small-order ${name}`];
  if (!point.isTorsionFree()) return [`mixed-order ${name}`];
  return [];
}

/** The edges of a case: empty for an ordinary key and signature. */
export function ed25519Edges(publicKey: Uint8Array, signature: Uint8Array): string[] {
  if (publicKey.length !== 32) return ['public key not 32 bytes'];
  if (signature.length !== 64) return ['signature not 64 bytes'];
  const edges = [...pointEdges(publicKey, 'A'), ...pointEdges(signature.subarray(0, 32), 'R')];
  if (littleEndian(signature.subarray(32)) >= L) edges.push('S >= L');
  return edges;
}

/**
 * Edges Licensor refuses whatever the equation says: non-canonical encodings, S >= L, and a
 * public key that is not a point or is of small order. Mixed-order points and a small-order R
 * are left to the equation.
 */
export function isRefusedEdge(edge: string): boolean {
  return (
    edge.startsWith('non-canonical') ||
    edge === 'S >= L' ||
    edge.includes('bytes') ||
    edge === 'small-order A' ||
    edge === 'A is the identity' ||
    edge === 'A not on the curve'
  );
}

/** RFC 8032 5.1.7 with the cofactorless check: [S]B - [k]A encodes to exactly R. */
export function cofactorlessHolds(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): boolean {
  const a = decode(publicKey);
  if (a === undefined || signature.length !== 64) return false;
  const r = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false;
  const k = littleEndian(sha512(Uint8Array.from([...r, ...publicKey, ...message]))) % L;
  const expected = Point.BASE.multiply(s, false).subtract(a.multiply(k, false)).toBytes();
  return expected.every((byte, i) => byte === r[i]);
}

/** The answer Licensor's rules give: no refused edge and the cofactorless equation holds. */
export function licensorAnswer(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): boolean {
  return (
    !ed25519Edges(publicKey, signature).some(isRefusedEdge) &&
    cofactorlessHolds(publicKey, signature, message)
  );
}
