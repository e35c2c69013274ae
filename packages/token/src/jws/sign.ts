// Produces a compact JWS over validated claims: header and payload as compact JSON, Ed25519
// over their base64url text. Signing is deterministic (RFC 8032), so equal inputs give equal
// tokens.

import { signEd25519 } from '../crypto/backend.js';
import { InputTooLargeError } from '../errors.js';
import { assertKeyPair, type Ed25519KeyPair } from '../keys.js';
import { base64urlEncode } from '../lib/base64url.js';
import { asciiBytes, utf8Encode } from '../lib/utf8.js';

export function signCompactJws(
  header: Record<string, unknown>,
  claims: object,
  keyPair: Ed25519KeyPair,
  maxLength: number,
): string {
  assertKeyPair(keyPair);
  const signingInput = `${base64urlEncode(utf8Encode(JSON.stringify(header)))}.${base64urlEncode(
    utf8Encode(JSON.stringify(claims)),
  )}`;
  const signature = signEd25519(asciiBytes(signingInput), keyPair.privateKey);
  const token = `${signingInput}.${base64urlEncode(signature)}`;
  if (token.length > maxLength) {
    throw new InputTooLargeError(
      `the signed token would be ${token.length} characters, over the cap of ${maxLength}; shorten the names in the claims`,
    );
  }
  return token;
}
