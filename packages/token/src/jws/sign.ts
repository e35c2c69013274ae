// Produces a compact JWS over validated claims: header and payload as compact JSON, Ed25519
// over their base64url text. Signing is deterministic (RFC 8032), so equal inputs give equal
// tokens, whether the key is a seed in memory or a signer outside the process.

import { signEd25519 } from '../crypto/backend.js';
import { InputTooLargeError } from '../errors.js';
import { assertKeyPair, type Ed25519KeyPair } from '../keys.js';
import { base64urlEncode } from '../lib/base64url.js';
import { asciiBytes, utf8Encode } from '../lib/utf8.js';
import { type JwsSigner, signWith } from './signer.js';

function signingInputOf(header: Record<string, unknown>, claims: object): string {
  return `${base64urlEncode(utf8Encode(JSON.stringify(header)))}.${base64urlEncode(
    utf8Encode(JSON.stringify(claims)),
  )}`;
}

function compact(signingInput: string, signature: Uint8Array, maxLength: number): string {
  const token = `${signingInput}.${base64urlEncode(signature)}`;
  if (token.length > maxLength) {
    throw new InputTooLargeError(
      `the signed token would be ${token.length} characters, over the cap of ${maxLength}; shorten the names in the claims`,
    );
  }
  return token;
}

export function signCompactJws(
  header: Record<string, unknown>,
  claims: object,
  keyPair: Ed25519KeyPair,
  maxLength: number,
): string {
  assertKeyPair(keyPair);
  const signingInput = signingInputOf(header, claims);
  return compact(
    signingInput,
    signEd25519(asciiBytes(signingInput), keyPair.privateKey),
    maxLength,
  );
}

/** The same token as signCompactJws, signed by a signer that may be outside the process. */
export async function signCompactJwsWith(
  header: Record<string, unknown>,
  claims: object,
  signer: JwsSigner,
  maxLength: number,
): Promise<string> {
  const signingInput = signingInputOf(header, claims);
  return compact(signingInput, await signWith(signer, asciiBytes(signingInput)), maxLength);
}
