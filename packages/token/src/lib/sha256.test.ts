// node:crypto's SHA-256 and @noble/hashes' give one digest on every input, so a thumbprint or a
// challenge hash does not depend on where it is computed (a browser has only noble).

import { describe, expect, it } from 'vitest';
import { nodeCrypto } from './node-crypto.js';
import { nobleSha256, sha256 } from './sha256.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('sha256', () => {
  it('runs on node:crypto here', () => {
    expect(nodeCrypto).toBeDefined();
  });

  it('gives the FIPS 180-2 digest of "abc" and of the empty input', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('agrees with noble on every length from 0 to 300 bytes and on a 64 KiB input', () => {
    const inputs = Array.from({ length: 301 }, (_, n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff),
    );
    inputs.push(Uint8Array.from({ length: 65_536 }, (_, i) => (i * 7) & 0xff));
    for (const input of inputs) {
      const digest = sha256(input);
      expect(digest.constructor).toBe(Uint8Array);
      expect(hex(digest), `length ${input.length}`).toBe(hex(nobleSha256(input)));
    }
  });

  it('hashes a view at an offset as its own bytes', () => {
    const whole = Uint8Array.from({ length: 100 }, (_, i) => i);
    const view = whole.subarray(10, 60);
    expect(hex(sha256(view))).toBe(hex(nobleSha256(Uint8Array.from(view))));
  });
});
