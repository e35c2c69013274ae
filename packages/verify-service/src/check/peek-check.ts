// Reads a check request's claims before its signature can be verified: the license id says
// which record (and so which installation key) to verify with. The token package parses it
// under the same strict rules as verifyCheck (no duplicate members, valid UTF-8, the claim
// schema), so the two paths that follow (verify with the bound key, or answer UNKNOWN) refuse
// the same malformed claims the same way. Nothing read here is trusted until verifyCheck has
// checked the signature over these same bytes.
import { type CheckClaims, decodeCheckUnverified } from '@licensor/token';

/** `token` has passed readCheckKid: three segments, a check header, under the size cap. */
export function peekCheck(token: string): CheckClaims {
  return decodeCheckUnverified(token).claims;
}
