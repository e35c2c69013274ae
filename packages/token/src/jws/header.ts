// Reads and checks a compact JWS up to its protected header: size cap, pasted-text
// normalisation, three segments, strict base64url and JSON, then the header rules (alg, typ,
// forbidden and unknown parameters). No key or signature work happens here, so callers can
// route on `kid` (readCheckKid) before paying for a signature check.

import {
  Base64urlInvalidError,
  InputTooLargeError,
  JwsAlgInvalidError,
  JwsHeaderForbiddenError,
  JwsMalformedError,
  JwsTypInvalidError,
  KidUnknownError,
} from '../errors.js';
import { base64urlDecode, isBase64urlOfLength } from '../lib/base64url.js';
import { type JsonObject, parseJsonObject } from '../lib/json.js';
import { type ArmourKind, normaliseToken } from '../normalise.js';

export interface HeaderRules {
  /** Expected `typ`; when undefined, `typ` may be absent (generic JWS only). */
  typ?: string | undefined;
  /** Cap on the input's length, checked first. */
  maxLength: number;
  /** The header member that names the key; undefined when the caller supplies the key. */
  keyHeader?: 'kid' | 'jwk' | undefined;
  /** Kind of armour block accepted around the token; null: none; undefined: any. */
  armour?: ArmourKind | null | undefined;
}

export interface CompactJws {
  /** The normalised compact token. */
  token: string;
  header: JsonObject;
  /** `header.payload`, the signed text. */
  signingInput: string;
  payloadSegment: string;
  signatureSegment: string;
}

// Parameters that would make a verifier fetch keys, trust an embedded certificate, change how
// the payload is read, or demand extensions: never honoured, always refused.
const FORBIDDEN = ['crit', 'b64', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'jwk', 'zip', 'enc'];

/** Room for armour lines, line breaks every 64 characters and text around a block. */
const pastedCap = (maxLength: number) => Math.ceil(maxLength * 1.25) + 1024;

function tooLarge(length: number, maxLength: number): InputTooLargeError {
  return new InputTooLargeError(
    `the token is ${length} characters, over the cap of ${maxLength} for this message`,
  );
}

export function readCompactJws(input: string, rules: HeaderRules): CompactJws {
  if (typeof input !== 'string') throw new JwsMalformedError('a token must be a string');
  // The cap is the compact token's (what signing allows); the text as given may hold the same
  // token wrapped and armoured, so it is bounded more loosely before it is read.
  if (input.length > pastedCap(rules.maxLength)) throw tooLarge(input.length, rules.maxLength);
  const token = normaliseToken(input, rules.armour);
  if (token.length > rules.maxLength) throw tooLarge(token.length, rules.maxLength);
  const [first, second] = splitCompact(token);
  const headerSegment = token.slice(0, first);
  const header = parseJsonObject(base64urlDecode(headerSegment, 'JWS header'), 'JWS header');
  checkHeader(header, rules);
  return {
    token,
    header,
    signingInput: token.slice(0, second),
    payloadSegment: token.slice(first + 1, second),
    signatureSegment: token.slice(second + 1),
  };
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SEGMENT_NAMES = ['header', 'payload', 'signature'];

/**
 * Checks that a normalised token is three non-empty base64url segments and returns the
 * positions of its two dots. Only the alphabet is checked here, not the decoding.
 */
export function splitCompact(token: string): [number, number] {
  if (token === '') throw new JwsMalformedError('the token is empty; paste the whole token');
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (
    first <= 0 ||
    second <= first + 1 ||
    second === token.length - 1 ||
    token.includes('.', second + 1)
  ) {
    throw new JwsMalformedError(
      'the token is not three non-empty parts separated by dots; paste the whole token',
    );
  }
  const segments = [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
  segments.forEach((segment, index) => {
    if (!SEGMENT.test(segment)) {
      throw new Base64urlInvalidError(
        `the JWS ${SEGMENT_NAMES[index]} is not base64url (only A-Z a-z 0-9 - _ without padding); use the token exactly as issued`,
      );
    }
  });
  return [first, second];
}

function checkHeader(header: JsonObject, rules: HeaderRules): void {
  if (header.alg !== 'EdDSA') {
    throw new JwsAlgInvalidError(
      header.alg === undefined
        ? 'the JWS header has no "alg"; Licensor tokens use "EdDSA"'
        : `the JWS header "alg" is ${JSON.stringify(header.alg)}; only "EdDSA" is accepted`,
    );
  }
  const typ = header.typ;
  const typAccepted =
    rules.typ === undefined ? typ === undefined || typeof typ === 'string' : typ === rules.typ;
  if (!typAccepted) {
    throw new JwsTypInvalidError(
      typ === undefined
        ? `the JWS header has no "typ"; expected "${rules.typ}"`
        : rules.typ === undefined
          ? `the JWS header "typ" is ${JSON.stringify(typ)}, not a string`
          : `the JWS header "typ" is ${JSON.stringify(typ)}, expected "${rules.typ}": this is another kind of message`,
    );
  }
  for (const name of Object.keys(header)) {
    if (name === 'alg' || name === 'typ' || name === rules.keyHeader) continue;
    const forbidden = FORBIDDEN.includes(name);
    throw new JwsHeaderForbiddenError(
      name,
      forbidden
        ? `the JWS header parameter "${name}" is not allowed in Licensor tokens`
        : `the JWS header parameter "${name}" is not known to Licensor tokens`,
    );
  }
}

const KID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The header `kid`, or ERR_KID_UNKNOWN when it is missing or cannot be a key id (Licensor
 * kids are RFC 7638 thumbprints; with `thumbprint`, exactly that: 43 base64url characters).
 */
export function headerKid(kid: unknown, thumbprint = false): string {
  if (typeof kid !== 'string' || kid === '') {
    throw new KidUnknownError(
      'the JWS header has no "kid"; the token does not name its signing key',
    );
  }
  if (thumbprint ? !isBase64urlOfLength(kid, 32) : !KID.test(kid)) {
    throw new KidUnknownError(
      `the JWS header "kid" is not a ${thumbprint ? 'installation id (a key thumbprint)' : 'key id'}`,
    );
  }
  return kid;
}
