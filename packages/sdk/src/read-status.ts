// The status a check got back, read: signed by a trusted status key, about this license and
// installation, and answering this very check (its nonce and its time). Anything else is refused
// before it can change the state. Such a status is the vendor's fresh answer: it is recorded even
// when it is older than the one recorded before (one node of the service may lag another, and a
// time signed too far ahead by a bad key or a clock that jumped must be undone by the next one).
import {
  isLicensorError,
  type Keyring,
  type LicenseClaims,
  type StatusClaims,
  VersionUnsupportedError,
  verifyStatus,
} from '@licensor/token';
import { StatusInvalidError, StatusMismatchError } from './errors.js';

export type ReadStatus = ReturnType<typeof readStatus>;

/**
 * Reads the service's answer to the check sent with `nonce` at `checkTime` (its `iat`, the
 * machine's own reading), refusing what does not answer it.
 */
export function readStatus(
  keyring: Keyring,
  body: string,
  nonce: string,
  license: LicenseClaims,
  installationId: string,
  checkTime: number,
): { claims: StatusClaims; token: string; kid: string } {
  let verified: ReturnType<typeof verifyStatus>;
  try {
    verified = verifyStatus(body.trim(), keyring);
  } catch (error) {
    if (error instanceof VersionUnsupportedError) {
      // Signed by a trusted status key, in a format this SDK does not read: named as such.
      throw new VersionUnsupportedError(
        error.version,
        `The verify service answered with a status of a newer format than this SDK reads (${error.message}). The result was not recorded: update the product (its Licensor SDK) to a release that reads it.`,
      );
    }
    if (!isLicensorError(error)) throw error;
    throw new StatusInvalidError(
      `The verify service's answer is not a valid status (${error.code}: ${error.message}). Check the verify URL and that the trusted keys are the vendor's current JWKS.`,
      error.code,
    );
  }
  const { claims } = verified;
  if (claims.nonce !== nonce) {
    throw new StatusMismatchError(
      'The status answers another check request (nonce differs): it may be a replay. The result was not recorded.',
    );
  }
  if (claims.lid !== license.lid || claims.sub !== installationId) {
    throw new StatusMismatchError(
      'The status is about another license or installation. The result was not recorded.',
    );
  }
  assertAnswersCheckTime(claims, checkTime);
  return { claims, token: verified.token, kid: verified.kid };
}

/**
 * A status must answer the check just sent in time as well as by nonce: its time becomes the
 * installation's trusted time (until the next status), so one signed far ahead without an
 * offset to match is not an answer to this check. The service signs `iat` = its time and, for a
 * version 2 check, `skew` = `iat` − the check's `iat`; so `iat − skew` is this check's time.
 *
 * The SDK only sends version 2 checks, and a service before format 2 cannot answer one (it
 * refuses the check), so a status without `skew` (version 1) never answers this check: only a
 * proxy holding the installation key could get one, by re-signing the check as version 1, and
 * the service answers such a check without stepping its check chain (no copy would be seen).
 */
function assertAnswersCheckTime(claims: StatusClaims, checkTime: number): void {
  if (claims.v !== 2 || claims.skew === undefined) {
    throw new StatusMismatchError(
      `The status does not answer this check: it is of version ${claims.v}${claims.v === 2 ? ' without a clock offset' : ''}, but the check was of version 2, which the vendor's service answers with a version 2 status and its clock offset. Something between this server and the service answered in its place. The result was not recorded; check that the verify URL is the vendor's service (no proxy re-signing checks), then run Verify License again.`,
    );
  }
  if (claims.iat - claims.skew === checkTime) return;
  throw new StatusMismatchError(
    `The status does not answer this check's time: its time less its clock offset (${claims.iat - claims.skew}) is not the time the check was sent with (${checkTime}). It may be forged or replayed. The result was not recorded; check that the verify URL is the vendor's service, then run Verify License again.`,
  );
}
