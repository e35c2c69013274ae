// Names the Ed25519 edge cases a (public key, signature) pair exercises, computed with noble's
// point arithmetic independently of the code under test, so vector tests can state which cases
// Licensor's rules must refuse and say why in the test name.

import { Point } from '@noble/ed25519';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function pointEdges(bytes: Uint8Array, name: string): string[] {
  const y = littleEndian(bytes) & ((1n << 255n) - 1n);
  if (y >= P) return [`non-canonical ${name}`];
  let point: Point;
  try {
    point = Point.fromBytes(bytes, false);
  } catch {
    try {
      Point.fromBytes(bytes, true);
      return [`non-canonical ${name}`];
    } catch {
      return [`${name} not on the curve`];
    }
  }
  if (point.isSmallOrder())
    return point.is0() ? [`${name} is the identity`] : [`small-order ${name}`];
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

/** Edges that Licensor's rules refuse whatever the equation says. */
export function isRefusedEdge(edge: string): boolean {
  return edge !== 'R is the identity';
}
