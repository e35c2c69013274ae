// SHA-256 for thumbprints and challenge hashes: node:crypto where the runtime has it (about 15x
// faster on a challenge-sized input, #15.5), @noble/hashes everywhere else; the same digest.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { nodeCrypto } from './node-crypto.js';

export function sha256(bytes: Uint8Array): Uint8Array {
  if (nodeCrypto === undefined) return nobleSha256(bytes);
  const digest = nodeCrypto.createHash('sha256').update(bytes).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

/** The portable implementation, for the test that both give one digest. */
export { nobleSha256 };
