// "Upgrade": a license key is applied only if every rule holds: a trusted license-purpose key
// signed it, it is bound to this installation, it is newer than the token in force (no replay,
// no rollback, not even to an older key of another license), it was not issued in the future,
// and it answers a challenge this installation
// made and still holds (a key delivered by the online service may skip that, chal null, but must
// continue the license in force; it may never answer a request closed here). The challenge is consumed; the state is replaced in one write.

import { challengeHash, type LicenseClaims, normaliseToken, verifyLicense } from '@licensor/token';
import { type Clock, readClock } from './clock.js';
import type { Context } from './context.js';
import { assertCoversProduct, assertKeyOfProduct } from './entitlements.js';
import {
  ChallengeExpiredError,
  ChallengeRequiredError,
  ChallengeUnknownError,
  InputInvalidError,
  LicenseFromFutureError,
  LicenseOlderError,
  LicenseOtherInstallationError,
  LicenseOtherLicenseError,
  RevisionNotNewerError,
} from './errors.js';
import { currentInfo } from './info.js';
import { advanceTrust, assertKeepsKeysInUse, beyond } from './keyset.js';
import { assertOneLicense, readPastedKey, unquoted } from './pasted-key.js';
import { loadSnapshot, type PendingChallenge, type Snapshot, saveState } from './snapshot.js';
import type { StoredState } from './store/store.js';
import { splitBundle, tokensOf } from './trust.js';
import type { ApplyResult } from './types.js';

/** How the token arrived: pasted by an operator, or inside a signed status. */
export type Delivery = 'operator' | 'online';

export interface Accepted {
  state: StoredState;
  claims: LicenseClaims;
  /** The license key that signed it. */
  kid: string;
  answered: PendingChallenge | null;
}

function checkRevision(
  claims: LicenseClaims,
  current: LicenseClaims | null,
  delivery: Delivery,
): void {
  if (delivery === 'online' && (current === null || current.lid !== claims.lid)) {
    throw new LicenseOtherLicenseError(
      'The online service delivered a token for another license than the one in force; it was not applied.',
    );
  }
  if (current !== null && current.lid === claims.lid && claims.rev <= current.rev) {
    throw new RevisionNotNewerError(
      claims.rev === current.rev
        ? `This license key (revision ${claims.rev}) is already applied.`
        : `This license key is revision ${claims.rev}, older than revision ${current.rev} in force. Ask the vendor for a new key.`,
    );
  }
  // Across license ids the vendor's issue time orders the keys: an older key of another license
  // (kept from before the vendor replaced it) must not roll the installation back.
  if (current !== null && claims.iat < current.iat) {
    throw new LicenseOlderError(
      `This license key was issued at ${iso(claims.iat)}, before the license in force (issued at ${iso(current.iat)}). Ask the vendor for a new key.`,
    );
  }
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function findAnsweredChallenge(
  claims: LicenseClaims,
  snapshot: Snapshot,
  clock: Clock,
  delivery: Delivery,
): PendingChallenge | null {
  if (claims.chal === null) {
    if (delivery === 'online') return null;
    throw new ChallengeRequiredError(
      'This license key answers no challenge, so it can only arrive through the online check. Run Verify License, or send a new challenge to the vendor.',
    );
  }
  const answered = snapshot.pending.find(
    (pending) => challengeHash(pending.stored.token) === claims.chal,
  );
  if (answered === undefined) {
    // A request closed here (cancelled, or declined by the vendor) is refused however its key
    // arrives: the vendor is not told of a cancel, and the service may deliver the key later.
    const closed = snapshot.closed.find(
      (entry) => challengeHash(entry.stored.token) === claims.chal,
    );
    if (closed !== undefined) {
      const how =
        closed.stored.outcome === 'rejected'
          ? 'the vendor declined it'
          : `${closed.stored.closedBy} cancelled it here`;
      throw new ChallengeUnknownError(
        `This license key answers request ${closed.stored.id}, which is closed: ${how}. Make a new request and send it to the vendor.`,
      );
    }
    // Delivered online, a key may answer a challenge consumed or expired long ago: it continues
    // the license in force (checkRevision).
    if (delivery === 'online') return null;
    throw new ChallengeUnknownError(
      'This license key answers a challenge this installation does not hold: it was already used, made by another installation, or expired long ago. Send a new challenge to the vendor.',
    );
  }
  if (answered.claims.exp < clock.effective) {
    throw new ChallengeExpiredError(
      `The challenge this key answers expired at ${new Date(answered.claims.exp * 1000).toISOString()}. Send a new challenge to the vendor.`,
    );
  }
  return answered;
}

/** Checks a license token against every rule; returns the state to store if it holds. */
export function acceptLicense(
  context: Context,
  snapshot: Snapshot,
  pasted: unknown,
  delivery: Delivery,
  clock: Clock,
): Accepted {
  if (typeof pasted !== 'string') throw new InputInvalidError('The license key must be text.');
  // A key an operator pasted is refused in the operator's words; one the service delivered, as is.
  const { claims, token, kid } =
    delivery === 'operator'
      ? readPastedKey(pasted, snapshot.trust.keyring)
      : verifyLicense(normaliseToken(pasted, 'license'), snapshot.trust.keyring);
  if (claims.sub !== snapshot.installationId) {
    throw new LicenseOtherInstallationError(
      `This license key is bound to installation ${claims.sub}, not to this one (${snapshot.installationId}). Send this installation's challenge to the vendor.`,
    );
  }
  if (claims.iat > clock.effective + context.clockSkewSeconds) {
    throw new LicenseFromFutureError(
      `This license key was issued at ${new Date(claims.iat * 1000).toISOString()}, in the future of this machine's clock. Check the system clock.`,
    );
  }
  assertCoversProduct(claims, context.product);
  assertKeyOfProduct(snapshot.trust.keyring, kid, context.product);
  checkRevision(claims, snapshot.license, delivery);
  const answered = findAnsweredChallenge(claims, snapshot, clock, delivery);
  // The answered challenge is consumed; a switch request for the model now in force is done.
  const done = (pending: PendingChallenge) =>
    pending === answered ||
    (pending.claims.request.kind === 'model-switch' &&
      pending.claims.request.model === claims.model);
  const pending = snapshot.pending.filter((entry) => !done(entry)).map((entry) => entry.stored);
  const state: StoredState = {
    ...snapshot.stored,
    license: { token, appliedAt: clock.effective },
    pending,
    trustedTime: Math.max(snapshot.stored.trustedTime, claims.iat),
  };
  return { state, claims, kid, answered };
}

export async function applyLicenseKey(
  context: Context,
  snapshot: Snapshot,
  pasted: unknown,
): Promise<ApplyResult> {
  const clock = readClock(context, snapshot.stored);
  // A key quoted in an e-mail reply (`> ` before each line) reads as the key itself.
  const text = unquoted(pasted as string);
  assertOneLicense(text);
  // A key may come with the key set versions it needs: applied first, in the same write.
  const bundle = splitBundle(text);
  const fresh = beyond(snapshot.trust, bundle.keysets);
  const trust = fresh.length === 0 ? snapshot.trust : advanceTrust(context, snapshot.trust, fresh);
  const accepted = acceptLicense(
    context,
    { ...snapshot, trust },
    bundle.license,
    'operator',
    clock,
  );
  let state = accepted.state;
  if (trust !== snapshot.trust) {
    assertKeepsKeysInUse(trust, [
      { what: 'license key being applied', kid: accepted.kid, purpose: 'license' },
      ...snapshot.keysInUse.filter((key) => key.purpose === 'status'),
    ]);
    state = { ...state, keysets: tokensOf(trust) };
  }
  await saveState(context, state, clock);
  const info = currentInfo(context, await loadSnapshot(context));
  return {
    keysetVersion: trust === snapshot.trust ? null : trust.seq,
    licenseId: accepted.claims.lid,
    revision: accepted.claims.rev,
    transactionId: accepted.claims.jti,
    answeredChallenge: accepted.answered?.claims.jti ?? null,
    info,
  };
}
