// Reads a check request's claims before its signature can be verified: the license id says
// which record (and so which installation key) to verify with. The claims are validated against
// the schema here, so the two paths that follow (verify with the bound key, or answer UNKNOWN)
// refuse the same malformed claims the same way. Nothing read here is trusted until verifyCheck
// has checked the signature over these same bytes.
import {
  base64urlDecode,
  type CheckClaims,
  JsonInvalidError,
  validateCheckClaims,
} from '@licensor/token';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** `token` has passed readCheckKid: three segments, a check header, under the size cap. */
export function peekCheck(token: string): CheckClaims {
  const start = token.indexOf('.') + 1;
  const payload = base64urlDecode(token.slice(start, token.indexOf('.', start)));
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(payload));
  } catch {
    throw new JsonInvalidError('The check payload is not JSON.');
  }
  return validateCheckClaims(parsed);
}
