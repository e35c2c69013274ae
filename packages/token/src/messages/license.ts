// License tokens (the "license key"): signed by a vendor license-purpose key named by `kid`,
// verified against the SDK's keyring. A status-purpose key is refused.

import { type LicenseClaims, validateLicenseClaims } from '../claims/license.js';
import { headerKid, readCompactJws } from '../jws/header.js';
import { MAX_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJws, signCompactJwsWith } from '../jws/sign.js';
import type { JwsSigner } from '../jws/signer.js';
import { verifyReadJws } from '../jws/verify.js';
import type { Keyring } from '../keyring.js';
import type { Ed25519KeyPair } from '../keys.js';
import { parseJsonObject } from '../lib/json.js';

export interface VerifiedLicense {
  claims: LicenseClaims;
  /** The license-purpose key that signed it. */
  kid: string;
  /** The normalised compact token. */
  token: string;
}

const RULES = {
  typ: TYP.license,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: 'kid',
  armour: 'license',
} as const;

export function signLicense(claims: LicenseClaims, issuingKey: Ed25519KeyPair): string {
  const validated = validateLicenseClaims(claims);
  const header = { alg: 'EdDSA', typ: TYP.license, kid: issuingKey.kid };
  return signCompactJws(header, validated, issuingKey, MAX_TOKEN_LENGTH);
}

/** signLicense through a signer (e.g. a key in an HSM): the same token for the same key. */
export async function signLicenseWith(claims: LicenseClaims, signer: JwsSigner): Promise<string> {
  const validated = validateLicenseClaims(claims);
  const header = { alg: 'EdDSA', typ: TYP.license, kid: signer.kid };
  return signCompactJwsWith(header, validated, signer, MAX_TOKEN_LENGTH);
}

export function verifyLicense(token: string, keyring: Keyring): VerifiedLicense {
  const jws = readCompactJws(token, RULES);
  const kid = headerKid(jws.header.kid);
  const verified = verifyReadJws(jws, keyring.get(kid, 'license'));
  const claims = validateLicenseClaims(parseJsonObject(verified.payload, 'license payload'));
  return { claims, kid, token: verified.token };
}
