// "Verify License": a check signed by the installation key goes to the verify service; the signed
// status that comes back must be from a status-purpose key, about this license and installation,
// and echo the nonce just sent. Its time and outcome become Last verify time and result, and a
// newer token it carries is applied. When the exchange fails the result says why, the failure is
// recorded, and the grace rules decide the state: this never throws for an outage.
import {
  isLicensorError,
  type Keyring,
  type LicenseClaims,
  newNonce,
  type StatusClaims,
  signCheck,
  verifyStatus,
} from '@licensor/token';
import { acceptLicense } from './apply.js';
import { checkUrl, postCheck } from './check-request.js';
import { readClock } from './clock.js';
import type { Context } from './context.js';
import { SdkError } from './errors.js';
import { currentInfo } from './info.js';
import { loadSnapshot, type Snapshot, saveState } from './snapshot.js';
import type { StoredState } from './store/store.js';
import type { VerifyResult } from './types.js';
import { SDK_VERSION } from './version.js';

export interface VerifyOptions {
  /** Overrides the verifyUrl of createLicensor. */
  url?: string;
  credentialsInUse?: number;
  timeoutMs?: number;
}

function readStatus(
  keyring: Keyring,
  body: string,
  nonce: string,
  license: LicenseClaims,
  installationId: string,
  statusTime: number,
): { claims: StatusClaims; token: string } {
  let verified: ReturnType<typeof verifyStatus>;
  try {
    verified = verifyStatus(body.trim(), keyring);
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    throw new SdkError(
      'ERR_STATUS_INVALID',
      `The verify service's answer is not a valid status (${error.code}: ${error.message}). Check the verify URL and that the trusted keys are the vendor's current JWKS.`,
      error.code,
    );
  }
  const { claims } = verified;
  if (claims.nonce !== nonce) {
    throw new SdkError(
      'ERR_STATUS_MISMATCH',
      'The status answers another check request (nonce differs): it may be a replay. The result was not recorded.',
    );
  }
  if (claims.lid !== license.lid || claims.sub !== installationId) {
    throw new SdkError(
      'ERR_STATUS_MISMATCH',
      'The status is about another license or installation. The result was not recorded.',
    );
  }
  if (claims.iat < statusTime) {
    // Statuses only move forward (see snapshot.ts); one node of the service may lag another.
    throw new SdkError(
      'ERR_STATUS_MISMATCH',
      'The status is older than one this installation already recorded (the service clock is behind). The result was not recorded; try again.',
    );
  }
  return { claims, token: verified.token };
}

/** The offset a version 2 status measured, kept when beyond the tolerated skew (else 0). */
function offsetOf(context: Context, claims: StatusClaims): number {
  const skew = claims.skew ?? 0;
  return Math.abs(skew) > context.clockSkewSeconds ? skew : 0;
}

async function usage(context: Context, given: number | undefined): Promise<number> {
  const inUse = given ?? (await context.credentialsInUse());
  if (!Number.isSafeInteger(inUse) || inUse < 0) {
    throw new SdkError(
      'ERR_INPUT_INVALID',
      'credentialsInUse must be a whole number of at least 0.',
    );
  }
  return inUse;
}

export async function verifyOnline(
  context: Context,
  snapshot: Snapshot,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const license = snapshot.license;
  if (license === null) {
    throw new SdkError(
      'ERR_NO_LICENSE',
      'There is no license to verify. Apply a license key first.',
    );
  }
  const url = checkUrl(options.url ?? context.verifyUrl);
  const clock = readClock(context, snapshot.stored);
  const nonce = newNonce();
  const raw = Math.floor(context.nowMs() / 1000);
  const prev = snapshot.lastStatus?.chain;
  const check = signCheck(
    {
      v: 2,
      // The machine's own reading, uncorrected: the service measures the offset from it.
      iat: raw,
      nonce,
      lid: license.lid,
      rev: license.rev,
      sdk: SDK_VERSION,
      product: context.product,
      usage: { credentialsInUse: await usage(context, options.credentialsInUse) },
      // The chain value the last status handed out: the service sees a copy by it.
      ...(prev === undefined ? {} : { prev }),
    },
    snapshot.installation,
  );

  let status: { claims: StatusClaims; token: string };
  try {
    const body = await postCheck(context, url, check, options.timeoutMs ?? context.verifyTimeoutMs);
    status = readStatus(
      snapshot.trust.keyring,
      body,
      nonce,
      license,
      snapshot.installationId,
      snapshot.stored.statusTime,
    );
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    // A wrong URL is the CMS's configuration, not the service's outage: nothing is recorded.
    if (error.code === 'ERR_VERIFY_URL_WRONG') throw error;
    const failure = { code: error.code, message: error.message };
    const lastAttempt = { at: clock.effective, ok: false, ...failure };
    await saveState(context, { ...snapshot.stored, lastAttempt }, clock);
    const info = currentInfo(context, await loadSnapshot(context));
    return {
      ok: false,
      outcome: null,
      verifiedAt: null,
      error: failure,
      forked: false,
      appliedRevision: null,
      deliveredTokenRefused: null,
      keysetVersion: null,
      keysetRefused: null,
      info,
    };
  }

  const { claims } = status;
  let state: StoredState = {
    ...snapshot.stored,
    lastStatus: status.token,
    lastValidStatus: claims.outcome === 'VALID' ? status.token : snapshot.stored.lastValidStatus,
    lastAttempt: { at: clock.effective, ok: true, code: null, message: null },
    statusTime: claims.iat,
    trustedTime: Math.max(snapshot.stored.trustedTime, claims.iat),
    // A signed time replaces the local readings: a clock that was wrong and is fixed recovers.
    observedTime: claims.iat,
    clockOffset: offsetOf(context, claims),
  };
  let appliedRevision: number | null = null;
  let deliveredTokenRefused: VerifyResult['deliveredTokenRefused'] = null;
  if (claims.license !== null) {
    try {
      const accepted = acceptLicense(
        context,
        { ...snapshot, stored: state },
        claims.license,
        'online',
        readClock(context, state),
      );
      state = accepted.state;
      appliedRevision = accepted.claims.rev;
    } catch (error) {
      if (!isLicensorError(error)) throw error;
      // The service sends the newest token it has; usually that is the one already in force.
      if (!(error.code === 'ERR_REVISION_NOT_NEWER' && claims.rev === license.rev)) {
        deliveredTokenRefused = { code: error.code, message: error.message };
      }
    }
  }
  await saveState(context, state, clock);
  const info = currentInfo(context, await loadSnapshot(context));
  return {
    ok: true,
    outcome: claims.outcome,
    verifiedAt: claims.iat,
    error: null,
    forked: claims.forked === true,
    appliedRevision,
    deliveredTokenRefused,
    keysetVersion: null,
    keysetRefused: null,
    info,
  };
}
