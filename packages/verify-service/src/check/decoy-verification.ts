// The UNKNOWN path has no installation key to verify with, but must not answer measurably
// faster than the VALID path (that would tell a caller which license ids exist). It spends one
// Ed25519 verification of the request's own signing input against a key nobody holds. The result
// is thrown away: this is a cost, not a check.
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';

export type DecoyVerification = (token: string) => void;

export function createDecoyVerification(): DecoyVerification {
  const decoy: KeyObject = generateKeyPairSync('ed25519').publicKey;
  return (token) => {
    const lastDot = token.lastIndexOf('.');
    const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
    if (signature.length !== 64) return;
    verify(null, Buffer.from(token.slice(0, lastDot), 'latin1'), decoy, signature);
  };
}
