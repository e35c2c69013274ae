// Choosing the Ed25519 backend, and the policy checks both backends share.

import { afterEach, describe, expect, it } from 'vitest';
import {
  getEd25519Backend,
  publicKeyFromSeed,
  setEd25519Backend,
  signEd25519,
  verifyEd25519,
} from './backend.js';

afterEach(() => setEd25519Backend('auto'));

describe('backend choice', () => {
  it('uses node:crypto in Node by default', () => {
    expect(getEd25519Backend()).toBe('node');
  });
  it('can be switched to noble and back', () => {
    setEd25519Backend('noble');
    expect(getEd25519Backend()).toBe('noble');
    setEd25519Backend('auto');
    expect(getEd25519Backend()).toBe('node');
  });
  it('gives identical signatures on both backends (RFC 8032 signing is deterministic)', () => {
    const seed = new Uint8Array(32).fill(9);
    const message = new TextEncoder().encode('licensor');
    setEd25519Backend('node');
    const fromNode = signEd25519(message, seed);
    setEd25519Backend('noble');
    expect(signEd25519(message, seed)).toEqual(fromNode);
  });
  it('refuses S + L, the malleated twin of a valid signature, on both backends', () => {
    const seed = new Uint8Array(32).fill(3);
    const message = Uint8Array.of(1, 2, 3);
    const publicKey = publicKeyFromSeed(seed);
    const signature = signEd25519(message, seed);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    s += L; // the same scalar mod L, so a verifier that skips the S < L check accepts it
    const malleated = Uint8Array.from(signature);
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(s & 255n);
      s >>= 8n;
    }
    for (const backend of ['node', 'noble'] as const) {
      setEd25519Backend(backend);
      expect(verifyEd25519(signature, message, publicKey)).toBe(true);
      expect(verifyEd25519(malleated, message, publicKey)).toBe(false);
    }
  });
  it('refuses a small-order public key with ERR_KEY_INVALID', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expect(() => verifyEd25519(new Uint8Array(64), new Uint8Array(0), identity)).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_INVALID' }),
    );
  });
});
