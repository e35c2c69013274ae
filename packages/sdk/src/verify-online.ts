// "Verify License": a check signed by the installation key goes to the verify service; the signed
// status that comes back must be from a status-purpose key, about this license and installation,
// and answer the check just sent, its nonce and its time (read-status.ts). Its time and outcome
// become Last verify time and result, its time the trusted time (also below one recorded before:
// the latest answer is the vendor's word), and a newer token it carries is applied. When the exchange
// fails the result says why, the failure is recorded, and the grace rules decide the state: this
// never throws for an outage.
import {
  isLicensorError,
  type LicenseClaims,
  type LicensorError,
  newNonce,
  type StatusClaims,
  signCheck,
} from '@licensor/token';
import { acceptLicense } from './apply.js';
import { checkUrl, postCheck } from './check-request.js';
import { type Clock, readClock, statusLagTolerance, timeText } from './clock.js';
import { type Context, checkOptionKeys, verifyTimeout } from './context.js';
import { InputInvalidError, NoLicenseError } from './errors.js';
import { currentInfo, describeLicense } from './info.js';
import {
  advanceTrust,
  assertKeepsKeysInUse,
  beyond,
  type InstallationTrust,
  type KeyInUse,
  unverifiedSegment,
} from './keyset.js';
import { type ReadStatus, readStatus } from './read-status.js';
import { closeDeclined } from './requests.js';
import { loadSnapshot, type Snapshot, saveState } from './snapshot.js';
import type { StoredState } from './store/store.js';
import { tokensOf } from './trust.js';
import type { LicenseInfo, VerifyResult } from './types.js';
import { SDK_VERSION } from './version.js';

export interface VerifyOptions {
  /** Overrides the verifyUrl of createLicensor. */
  url?: string;
  /** Credentials the CMS manages now; default: the `credentialsInUse` hook of createLicensor. */
  credentialsInUse?: number;
  /**
   * How long to wait for the service (whole milliseconds, 1 to MAX_VERIFY_TIMEOUT_MS = 60 000);
   * default: verifyTimeoutMs of createLicensor.
   */
  timeoutMs?: number;
}

interface Settled {
  claims: StatusClaims;
  state: StoredState;
  appliedRevision: number | null;
  deliveredTokenRefused: VerifyResult['deliveredTokenRefused'];
  /** The keys the license and statuses kept after this check were signed by. */
  keysInUse: KeyInUse[];
}

/** The state after a status read under `trust`: recorded, with the license it delivers applied. */
function settle(
  context: Context,
  snapshot: Snapshot,
  trust: InstallationTrust,
  status: ReadStatus,
  mayApplyLicense: boolean,
): Settled {
  const { claims } = status;
  const kept = (what: string) => snapshot.keysInUse.filter((key) => key.what === what);
  // The last VALID status stays beside a newer non-VALID one: grace and the check deadline of a
  // subscription count from it. When key sets the vendor signed (applied with this status, which
  // the new keys verify) no longer trust its key, it vouches for nothing any more and is dropped:
  // grace then counts from the license token. Only the license in force must keep its key.
  // Only a status that decides by itself (REVOKED, SUSPENDED, EXPIRED) may drop it: an UNKNOWN
  // one would leave a subscription's grace counted from the token's issue (expired at once), so
  // key sets that drop its key are refused with it, as before, and the license stays in grace.
  // It is kept also when signed somewhat later than this answer (up to statusLagTolerance): a
  // node of the service that lags another answers later checks with earlier times, and grace
  // never counts from a time later than the latest answer's (license-state.ts). One signed later
  // still (a bad status key, or a service whose clock jumped) carries a time the vendor's latest
  // word undoes: it is dropped, so that answers after it cannot keep renewing grace from it.
  const lastValid = snapshot.lastValidStatus;
  const lastValidBefore =
    lastValid === null || lastValid.iat <= claims.iat + statusLagTolerance(context);
  const decidesAlone = claims.outcome !== 'VALID' && claims.outcome !== 'UNKNOWN';
  const lastValidKept =
    lastValidBefore &&
    (!decidesAlone ||
      kept('last valid verify status').every((key) => trust.keyring.has(key.kid, key.purpose)));
  const lastValidStatus =
    claims.outcome === 'VALID'
      ? status.token
      : lastValidKept
        ? snapshot.stored.lastValidStatus
        : null;
  const recorded: StoredState = {
    ...snapshot.stored,
    lastStatus: status.token,
    lastValidStatus,
    // This answer is the vendor's latest word on the time, even below one recorded before: a
    // time signed far ahead (by a bad status key, or a service whose clock jumped) is undone by
    // the next genuine check. Only the local readings tell a clock set back (clock.ts).
    statusTime: claims.iat,
    trustedTime: claims.iat,
    // A signed time replaces the local readings: a clock that was wrong and is fixed recovers.
    observedTime: claims.iat,
    clockOffset: offsetOf(context, claims),
  };
  // The attempt's time is read with the offset this status measured.
  const at = attemptTime(readClock(context, recorded));
  let state: StoredState = {
    ...recorded,
    license: appliedBy(recorded.license, at),
    lastAttempt: { at, ok: true, code: null, message: null },
  };
  let licenseKeys = kept('license in force');
  const statusKey: KeyInUse = { what: 'verify status', kid: status.kid, purpose: 'status' };
  const validKeys =
    claims.outcome === 'VALID'
      ? [{ ...statusKey, what: 'last valid verify status' }]
      : lastValidKept
        ? kept('last valid verify status')
        : [];
  let appliedRevision: number | null = null;
  let deliveredTokenRefused: VerifyResult['deliveredTokenRefused'] = null;
  if (claims.license !== null && !mayApplyLicense) {
    // The service sends the newest token it has; usually that is the one already in force.
    if (claims.rev !== snapshot.license?.rev) {
      deliveredTokenRefused = {
        code: 'ERR_NOT_AUTHORIZED',
        message: `The service delivered license revision ${claims.rev}, but changing the license needs an operator with the System Administrator role: it was not applied. Run Verify License as a System Administrator to apply it.`,
      };
    }
  } else if (claims.license !== null) {
    try {
      const accepted = acceptLicense(
        context,
        { ...snapshot, stored: state, trust },
        claims.license,
        'online',
        readClock(context, state),
      );
      state = accepted.state;
      appliedRevision = accepted.claims.rev;
      licenseKeys = [{ what: 'license in force', kid: accepted.kid, purpose: 'license' }];
    } catch (error) {
      if (!isLicensorError(error)) throw error;
      // The service sends the newest token it has; usually that is the one already in force.
      if (!(error.code === 'ERR_REVISION_NOT_NEWER' && claims.rev === snapshot.license?.rev)) {
        deliveredTokenRefused = { code: error.code, message: error.message };
      }
    }
  }
  return {
    claims,
    state,
    appliedRevision,
    deliveredTokenRefused,
    keysInUse: [...licenseKeys, statusKey, ...validKeys],
  };
}

/**
 * The license in force was applied before this check: dated no later than it. One applied while
 * the trusted time was ahead of this answer would be dated in the future, and the failed checks
 * after it would not count (license-state.ts).
 */
function appliedBy(license: StoredState['license'], at: number): StoredState['license'] {
  return license !== null && license.appliedAt > at ? { ...license, appliedAt: at } : license;
}

/** The `kid` of a status's header, read before its signature is checked (null if unreadable). */
function statusSigner(body: string): string | null {
  const kid = unverifiedSegment(body, 0)?.kid;
  return typeof kid === 'string' ? kid : null;
}

/** The key set tokens a status relays (its v2 `keysets`), read before its signature is checked. */
function relayedKeysets(body: string): string[] {
  const keysets = unverifiedSegment(body, 1)?.keysets;
  return Array.isArray(keysets) ? keysets.filter((token) => typeof token === 'string') : [];
}

/**
 * When a check was attempted, for Last check attempt: the local reading corrected by the offset
 * measured, never below the trusted time, and never the highest local reading remembered
 * (which may be a clock that ran ahead and was set right since: a time in the future).
 */
function attemptTime(clock: Clock): number {
  return Math.max(clock.local, clock.trusted);
}

/** Failures where the service gave no answer: the license goes on as the grace rules say. */
const OUTAGES = new Set(['ERR_VERIFY_UNREACHABLE', 'ERR_VERIFY_TIMEOUT', 'ERR_VERIFY_HTTP']);

/** What a failed check means for the license, by its model and state (after the failure). */
function withoutCheck(info: LicenseInfo): string {
  if (info.type !== 'subscription' || info.term === null) {
    // A perpetual license needs no online check; a revoked or suspended one is not helped by it.
    return info.state === 'active'
      ? 'The perpetual license does not need the check: it stays usable.'
      : '';
  }
  const until = info.usableUntil;
  if (info.stateReason === 'clock-rollback') {
    return "The subscription is not usable while this server's clock is behind the latest time seen: set the clock right, then run Verify License again.";
  }
  if ((info.state === 'active' || info.state === 'grace') && until !== null) {
    return `The subscription stays usable until ${timeText(until)} (the end of its grace period) unless a check succeeds before then.`;
  }
  if (info.state === 'expired' && until !== null) {
    return `The subscription expired at ${timeText(until)}: it is usable again once a check succeeds (or a renewed license key is applied).`;
  }
  return `The license is ${info.state} (see View License).`;
}

/** The offset a version 2 status measured, kept when beyond the tolerated skew (else 0). */
function offsetOf(context: Context, claims: StatusClaims): number {
  const skew = claims.skew ?? 0;
  return Math.abs(skew) > context.clockSkewSeconds ? skew : 0;
}

async function usage(context: Context, given: number | undefined): Promise<number> {
  const inUse = given ?? (await context.credentialsInUse());
  if (!Number.isSafeInteger(inUse) || inUse < 0) {
    throw new InputInvalidError('credentialsInUse must be a whole number of at least 0.');
  }
  return inUse;
}

const VERIFY_OPTION_KEYS = ['url', 'credentialsInUse', 'timeoutMs'] as const;

/** A check signed and ready to send: what its answer must match. */
export interface PreparedCheck {
  url: URL;
  check: string;
  nonce: string;
  /** The machine's own reading the check was sent with (seconds). */
  raw: number;
  /** The license in force when the check was made: the status must be about it. */
  license: LicenseClaims;
  timeoutMs: number;
}

/** What the service answered: the body of a 200 answer, or why there was none. */
export type CheckAnswer = { body: string; error?: undefined } | { error: LicensorError };

/**
 * Verify License, first step: the options checked (nothing is recorded for bad ones), the check
 * signed for the license in force, chained to the last status (`prev`). Reads the state only.
 */
export async function prepareCheck(
  context: Context,
  snapshot: Snapshot,
  options: VerifyOptions = {},
): Promise<PreparedCheck> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InputInvalidError(
      'The verify options must be an object: { url?, credentialsInUse?, timeoutMs? }, or left out.',
    );
  }
  checkOptionKeys(options, VERIFY_OPTION_KEYS, 'verify');
  const timeoutMs =
    options.timeoutMs === undefined
      ? context.verifyTimeoutMs
      : verifyTimeout(options.timeoutMs, 'timeoutMs');
  const license = snapshot.license;
  if (license === null) {
    throw new NoLicenseError('There is no license to verify. Apply a license key first.');
  }
  const url = checkUrl(options.url ?? context.verifyUrl);
  const credentialsInUse = await usage(context, options.credentialsInUse);
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
      usage: { credentialsInUse },
      // The chain value the last status handed out: the service sees a copy by it.
      ...(prev === undefined ? {} : { prev }),
      // The vendor key set version trusted: the status relays the versions after it.
      keyset: snapshot.trust.seq,
    },
    snapshot.installation,
  );
  return { url, check, nonce, raw, license, timeoutMs };
}

/** Verify License, second step: the network exchange (no lock held; typed failures returned). */
export async function sendCheck(context: Context, prepared: PreparedCheck): Promise<CheckAnswer> {
  try {
    return { body: await postCheck(context, prepared.url, prepared.check, prepared.timeoutMs) };
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    return { error };
  }
}

/**
 * Verify License, last step, on the state as it is now (read again under the lock: a license,
 * challenge or key set applied meanwhile is kept): the status read and recorded, or the failure.
 * Verifies of one installation run one at a time (licensor.ts), so the check chain and the
 * statuses are those the check was made from.
 */
export async function recordCheck(
  context: Context,
  snapshot: Snapshot,
  prepared: PreparedCheck,
  answer: CheckAnswer,
  /**
   * Whether a license revision the status delivers is applied (the `apply` action: changing the
   * license needs the System Administrator role, as applying a key by hand does). The status and
   * the key sets it relays are recorded for anyone who may verify.
   */
  mayApplyLicense = true,
): Promise<VerifyResult> {
  const { license, nonce, raw } = prepared;
  const clock = readClock(context, snapshot.stored);
  let settled: Settled | undefined;
  let keysetRefused: VerifyResult['keysetRefused'] = null;
  // Whether keysetRefused is about the relayed key sets (not the status read under them).
  let keysetAtFault = false;
  let keysetVersion: number | null = null;
  try {
    if (answer.error !== undefined) throw answer.error;
    const body = answer.body;
    const read = (under: InstallationTrust) =>
      settle(
        context,
        snapshot,
        under,
        readStatus(under.keyring, body, nonce, license, snapshot.installationId, raw),
        mayApplyLicense,
      );
    // Key set versions the status relays are verified on their own (signed by the vendor's
    // license keys, chained from the keys trusted now), before the status: it may be signed by
    // a status key that only the newest version announces.
    const relayed = beyond(snapshot.trust, relayedKeysets(body));
    if (relayed.length > 0) {
      try {
        keysetAtFault = true;
        const trust = advanceTrust(context, snapshot.trust, relayed);
        // A status signed by a key trusted now that the new versions drop: they strand it.
        const signer = statusSigner(body);
        if (signer !== null && snapshot.trust.keyring.has(signer, 'status')) {
          assertKeepsKeysInUse(trust, [
            { what: 'status just received', kid: signer, purpose: 'status' },
          ]);
        }
        keysetAtFault = false;
        const candidate = read(trust);
        keysetAtFault = true;
        // Nothing the installation keeps may be left signed by a key it no longer trusts.
        assertKeepsKeysInUse(trust, candidate.keysInUse);
        candidate.state = { ...candidate.state, keysets: tokensOf(trust) };
        settled = candidate;
        keysetVersion = trust.seq;
      } catch (error) {
        if (!isLicensorError(error)) throw error;
        // Not applied: the status is read under the keys trusted before.
        keysetRefused = { code: error.code, message: error.message };
      }
    }
    settled ??= read(snapshot.trust);
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    // A wrong URL is the CMS's configuration, not the service's outage: nothing is recorded.
    if (error.code === 'ERR_VERIFY_URL_WRONG') throw error;
    const at = attemptTime(clock);
    const recorded = (message: string) => ({
      ...snapshot.stored,
      lastAttempt: { at, ok: false, code: error.code, message },
    });
    // The service gave no answer: what that means for the license is said by its model and
    // state (a subscription's grace date; nothing about grace for a perpetual license).
    const outlook = OUTAGES.has(error.code)
      ? withoutCheck(describeLicense(context, { ...snapshot, stored: recorded('') }, clock))
      : '';
    const failure = {
      code: error.code,
      message: outlook === '' ? error.message : `${error.message} ${outlook}`,
    };
    await saveState(context, recorded(failure.message), clock);
    const info = currentInfo(context, await loadSnapshot(context));
    return {
      ok: false,
      outcome: null,
      verifiedAt: null,
      error: failure,
      forked: false,
      appliedRevision: null,
      deliveredTokenRefused: null,
      rejectedRequests: [],
      keysetVersion: null,
      // A refusal of the relayed key sets is worth telling only when it is about them.
      keysetRefused: keysetAtFault ? keysetRefused : null,
      info,
    };
  }

  const { claims, appliedRevision, deliveredTokenRefused } = settled;
  // Requests the vendor declined (status v2 `rejected`): closed with this status (#16.14).
  const declined = closeDeclined(snapshot, settled.state, claims);
  const state = declined.state;
  // Read against the state just settled: the offset this status measured corrects the local
  // reading saved as observed (the old offset would save a clock that ran ahead uncorrected,
  // and the next reading, corrected, would look set back).
  await saveState(context, state, readClock(context, state));
  const info = currentInfo(context, await loadSnapshot(context));
  return {
    ok: true,
    outcome: claims.outcome,
    verifiedAt: claims.iat,
    error: null,
    forked: claims.forked === true,
    appliedRevision,
    deliveredTokenRefused,
    rejectedRequests: declined.rejected,
    keysetVersion,
    keysetRefused,
    info,
  };
}
