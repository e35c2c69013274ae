// Verifies a compact JWS under Licensor's rules and hands back the payload bytes. The payload
// segment is decoded only after the signature holds: nothing an unauthenticated sender wrote
// beyond the header is parsed.

import { verifyEd25519 } from '../crypto/backend.js';
import { SignatureInvalidError } from '../errors.js';
import { base64urlDecode } from '../lib/base64url.js';
import type { JsonObject } from '../lib/json.js';
import { asciiBytes } from '../lib/utf8.js';
import { type CompactJws, type HeaderRules, readCompactJws } from './header.js';
import { MAX_TOKEN_LENGTH } from './limits.js';

export interface VerifyJwsOptions extends HeaderRules {
  /** The public key that must have signed, chosen from the checked header. */
  key: (header: JsonObject) => Uint8Array;
}

export interface VerifiedJws {
  /** The normalised compact token. */
  token: string;
  header: JsonObject;
  /** The decoded payload bytes (not parsed). */
  payload: Uint8Array;
  publicKey: Uint8Array;
}

export function verifyCompactJws(input: string, options: VerifyJwsOptions): VerifiedJws {
  const jws = readCompactJws(input, options);
  return verifyReadJws(jws, options.key(jws.header));
}

/** Checks the signature of an already read JWS, then decodes its payload. */
export function verifyReadJws(jws: CompactJws, publicKey: Uint8Array): VerifiedJws {
  checkReadJwsSignature(jws, publicKey);
  const payload = base64urlDecode(jws.payloadSegment, 'JWS payload');
  return { token: jws.token, header: jws.header, payload, publicKey };
}

/**
 * Checks the signature of an already read JWS over its signing input, and nothing more (for a
 * caller that decoded the same payload segment already, see verifyDecodedCheck).
 */
export function checkReadJwsSignature(jws: CompactJws, publicKey: Uint8Array): void {
  const signature = base64urlDecode(jws.signatureSegment, 'JWS signature');
  if (signature.length !== 64) {
    throw new SignatureInvalidError(
      `the signature is ${signature.length} bytes, not 64; the token is damaged or not from Licensor`,
    );
  }
  if (!verifyEd25519(signature, asciiBytes(jws.signingInput), publicKey)) {
    throw new SignatureInvalidError(
      'the signature does not hold: the token was changed or not signed by this key',
    );
  }
}

export interface GenericJwsOptions {
  /** The Ed25519 public key that must have signed. */
  publicKey: Uint8Array;
  /** Expected `typ`; when omitted, `typ` may be absent. */
  typ?: string;
  /** Cap on the input's length; default MAX_TOKEN_LENGTH. */
  maxLength?: number;
}

/**
 * Verifies any compact EdDSA JWS with one given key under the same rules as the four messages
 * (strict base64url and JSON header, no crit/b64/jku/x5u/x5c/jwk, size cap, canonical
 * signature). No `kid` or other parameters are allowed in the header. Returns the raw payload.
 */
export function verifyJws(
  token: string,
  options: GenericJwsOptions,
): { header: JsonObject; payload: Uint8Array; token: string } {
  const {
    header,
    payload,
    token: compact,
  } = verifyCompactJws(token, {
    typ: options.typ,
    maxLength: options.maxLength ?? MAX_TOKEN_LENGTH,
    key: () => options.publicKey,
  });
  return { header, payload, token: compact };
}
