// Reads a check request's claims before its signature can be verified: the license id says
// which record (and so which installation key) to verify with. The token package parses it
// under the same strict rules as verifyCheck (no duplicate members, valid UTF-8, the claim
// schema), so the two paths that follow (verify with the bound key, or answer UNKNOWN) refuse
// the same malformed claims the same way. Nothing read here is trusted until verifyCheck has
// checked the signature over these same bytes: verifyDecodedCheck checks it over what was read
// here, so the token is read and its claims parsed once per check (#15.5).
import { type DecodedCheck, decodeCheckUnverified } from '@licensor/token';

/** The request's kid (the installation id it names) and claims, in the order verifyCheck refuses. */
export function peekCheck(token: string): DecodedCheck {
  return decodeCheckUnverified(token);
}
