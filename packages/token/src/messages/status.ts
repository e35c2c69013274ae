// Statuses: the online service's signed answers, by a status-purpose key. A license-purpose
// key is refused here, as a status key is refused for licenses.

import { type StatusClaims, validateStatusClaims } from '../claims/status.js';
import { headerKid, readCompactJws } from '../jws/header.js';
import { MAX_STATUS_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJws } from '../jws/sign.js';
import { verifyReadJws } from '../jws/verify.js';
import type { Keyring } from '../keyring.js';
import type { Ed25519KeyPair } from '../keys.js';
import { parseJsonObject } from '../lib/json.js';

export interface VerifiedStatus {
  claims: StatusClaims;
  /** The status-purpose key that signed it. */
  kid: string;
  /** The normalised compact token. */
  token: string;
}

const RULES = {
  typ: TYP.status,
  maxLength: MAX_STATUS_TOKEN_LENGTH,
  keyHeader: 'kid',
  armour: null,
} as const;

export function signStatus(claims: StatusClaims, statusKey: Ed25519KeyPair): string {
  const validated = validateStatusClaims(claims);
  const header = { alg: 'EdDSA', typ: TYP.status, kid: statusKey.kid };
  return signCompactJws(header, validated, statusKey, MAX_STATUS_TOKEN_LENGTH);
}

export function verifyStatus(token: string, keyring: Keyring): VerifiedStatus {
  const jws = readCompactJws(token, RULES);
  const kid = headerKid(jws.header.kid);
  const verified = verifyReadJws(jws, keyring.get(kid, 'status'));
  const claims = validateStatusClaims(parseJsonObject(verified.payload, 'status payload'));
  return { claims, kid, token: verified.token };
}
