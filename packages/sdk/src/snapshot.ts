// Loading the installation: its key (made on first use), the state document, and the signed
// tokens in it verified again. A stored token that no longer verifies means the state was edited
// (or the trust file changed): every operation is refused with ERR_STATE_TAMPERED until it is
// restored, so an edited state can never raise the license it holds.
import {
  type ChallengeClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  isLicensorError,
  jwkThumbprint,
  keyPairFromSeed,
  type LicenseClaims,
  type StatusClaims,
  toPublicJwk,
  verifyChallenge,
  verifyLicense,
  verifyStatus,
} from '@licensor/token';
import { anchorFromTrail } from './audit-chain.js';
import { type Clock, readClock, statusLagTolerance } from './clock.js';
import type { Context } from './context.js';
import {
  InstallationKeyMissingError,
  type SdkError,
  StateForeignError,
  StateMissingError,
  StateTamperedError,
} from './errors.js';
import { type InstallationTrust, type KeyInUse, storedTrust } from './keyset.js';
import type { StoredClosedRequest, StoredPendingChallenge, StoredState } from './store/store.js';
import { initialState, parseStoredState, sealState, stateSealHolds } from './stored-state.js';
import type { AuditEntry, OperatorAction } from './types.js';

export interface PendingChallenge {
  stored: StoredPendingChallenge;
  claims: ChallengeClaims;
}

/** A request closed without a key, its challenge verified again like a pending one. */
export interface ClosedChallenge {
  stored: StoredClosedRequest;
  claims: ChallengeClaims;
}

export interface Snapshot {
  stored: StoredState;
  installation: Ed25519KeyPair;
  installationId: string;
  license: LicenseClaims | null;
  pending: PendingChallenge[];
  closed: ClosedChallenge[];
  lastStatus: StatusClaims | null;
  lastValidStatus: StatusClaims | null;
  /** The vendor keys trusted now: the shipped keys advanced by the applied key sets. */
  trust: InstallationTrust;
  /** The keys the stored license and statuses depend on (a key set may not drop them). */
  keysInUse: KeyInUse[];
}

function tampered(what: string, error?: unknown): SdkError {
  const cause = isLicensorError(error) ? ` (${error.code}: ${error.message})` : '';
  return new StateTamperedError(
    `The stored ${what} does not verify${cause}. The state was edited, or the trusted keys changed: restore the state from a backup, or use the vendor's current JWKS as --trust.`,
    isLicensorError(error) ? error.code : undefined,
  );
}

function keyPairOf(context: Context, seed: Uint8Array): Ed25519KeyPair {
  const cached = context.installation;
  if (cached !== null && Buffer.from(cached.privateKey).equals(seed)) return cached;
  context.installation = keyPairFromSeed(seed);
  return context.installation;
}

function installationIdOf(keyPair: Ed25519KeyPair): string {
  return jwkThumbprint(toPublicJwk(keyPair.publicKey));
}

async function loadInstallationKey(
  context: Context,
  stateExists: boolean,
): Promise<Ed25519KeyPair> {
  const seed = await context.store.loadInstallationKey();
  if (seed !== null) return keyPairOf(context, seed);
  if (stateExists) {
    throw new InstallationKeyMissingError(
      'The license state exists but the installation key is missing. Restore the key file from a backup; a new key would be a new installation that needs a new license.',
    );
  }
  // Neither key nor state: a first run, unless this object or the audit trail knew one.
  const lost = await lostInstallation(context, 'key and state');
  if (lost !== null) throw lost;
  const keyPair = generateKeyPair();
  try {
    await context.store.saveInstallationKey(keyPair.privateKey);
  } catch (error) {
    // Another process made the key first (first use by two processes at once): use that one.
    const theirs = await context.store.loadInstallationKey();
    if (theirs === null) throw error;
    return keyPairOf(context, theirs);
  }
  context.installation = keyPair;
  return keyPair;
}

/** Successful changes: each wrote the state before its audit entry was appended. */
const CHANGES: ReadonlySet<OperatorAction> = new Set([
  'challenge',
  'apply',
  'activate',
  'trust',
  'cancel',
  'verify',
]);

/** Whether an audit entry records a change that wrote the state (a recorded check included). */
function recordsChange(entry: AuditEntry): boolean {
  if (!CHANGES.has(entry.action)) return false;
  return (
    entry.outcome === 'ok' ||
    (entry.outcome === 'failed' && entry.action === 'verify' && entry.code !== null)
  );
}

/** How many entries of the trail record changes that wrote the state. */
export function changesIn(entries: readonly AuditEntry[]): number {
  return entries.filter(recordsChange).length;
}

/**
 * Why a store without a state (or without key and state) is not a first run, or null when it
 * is one: this object loaded or wrote one before (the folder went away while the CMS runs), the
 * installation key's seal mark says a sealed state was written, or the audit trail records
 * changes. Such a store is never initialised again: a new, empty installation would silently
 * replace the license in force (README, Storage).
 */
async function lostInstallation(
  context: Context,
  missing: 'state' | 'key and state',
): Promise<StateMissingError | null> {
  const refusal = (evidence: string) =>
    new StateMissingError(
      `The license state is missing (${missing} gone), but ${evidence}. Restore the whole state folder from a backup (installation-key.json, state.json and audit.jsonl together); nothing was written. A new installation would need a new license key.`,
    );
  if (context.installation !== null && missing === 'key and state') {
    return refusal(
      `this CMS process was using installation ${installationIdOf(context.installation)}: the state folder was removed while it runs`,
    );
  }
  if (context.stateSeen) {
    return refusal('this CMS process read it before: it was removed while the CMS runs');
  }
  if (missing === 'state' && (await context.store.loadSealMark?.()) === true) {
    return refusal('the installation key says this installation wrote sealed states');
  }
  const changes = changesIn(await context.store.loadAudit());
  if (changes > 0) {
    return refusal(`the audit trail records ${changes} change${changes === 1 ? '' : 's'} of it`);
  }
  return null;
}

/** Refuses a missing state of an installation that had one (see lostInstallation). */
export async function assertStateNotLost(context: Context): Promise<void> {
  const lost = await lostInstallation(context, 'state');
  if (lost !== null) throw lost;
}

/** The installation's key pair, made on first use (as loadSnapshot does). */
export async function installationKeyOf(context: Context): Promise<Ed25519KeyPair> {
  const raw = await context.store.loadState().catch(() => undefined);
  return loadInstallationKey(context, raw !== null);
}

/** Verifies a stored token once per Licensor object and trust: the text is the key. */
function memoised<T>(
  context: Context,
  trust: InstallationTrust,
  kind: string,
  token: string,
  verify: () => T,
): T {
  const key = `${kind}:${trust.id}:${token}`;
  const known = context.verified.get(key);
  if (known !== undefined) return known as T;
  const result = verify();
  if (context.verified.size >= 256) context.verified.clear();
  context.verified.set(key, result);
  return result;
}

function verifyStored(
  stored: StoredState,
  context: Context,
  installationId: string,
  trust: InstallationTrust,
) {
  let license: LicenseClaims | null = null;
  const keysInUse: KeyInUse[] = [];
  if (stored.license !== null) {
    try {
      const token = stored.license.token;
      const verified = memoised(context, trust, 'license', token, () =>
        verifyLicense(token, trust.keyring),
      );
      license = verified.claims;
      keysInUse.push({ what: 'license in force', kid: verified.kid, purpose: 'license' });
    } catch (error) {
      throw tampered('license token', error);
    }
    if (license.sub !== installationId)
      throw tampered('license token (bound to another installation)');
  }
  const status = (token: string | null, what: string): StatusClaims | null => {
    if (token === null) return null;
    let claims: StatusClaims;
    try {
      const verified = memoised(context, trust, 'status', token, () =>
        verifyStatus(token, trust.keyring),
      );
      claims = verified.claims;
      keysInUse.push({ what, kid: verified.kid, purpose: 'status' });
    } catch (error) {
      throw tampered(what, error);
    }
    if (claims.sub !== installationId) throw tampered(`${what} (for another installation)`);
    return claims;
  };
  const ownChallenge = <T extends StoredPendingChallenge>(entry: T, what: string) => {
    let verified: ReturnType<typeof verifyChallenge>;
    try {
      verified = memoised(context, trust, 'challenge', entry.token, () =>
        verifyChallenge(entry.token),
      );
    } catch (error) {
      throw tampered(what, error);
    }
    if (
      verified.installationId !== installationId ||
      verified.claims.jti !== entry.id ||
      verified.claims.exp !== entry.expiresAt
    ) {
      throw tampered(`${what} (not made by this installation)`);
    }
    return { stored: entry, claims: verified.claims };
  };
  const pending = stored.pending.map((entry) => ownChallenge(entry, 'pending challenge'));
  const closed = stored.closed.map((entry) => ownChallenge(entry, 'closed request'));
  const lastStatus = status(stored.lastStatus, 'verify status');
  const lastValidStatus = status(stored.lastValidStatus, 'last valid verify status');
  checkStatusOrder(
    stored,
    license,
    lastStatus,
    lastValidStatus,
    context.clockSkewSeconds,
    statusLagTolerance(context),
  );
  return { license, pending, closed, lastStatus, lastValidStatus, trust, keysInUse };
}

/**
 * The latest status is kept with its time (`statusTime`), and the last VALID one beside it is an
 * earlier answer: not signed later than the latest one beyond the lag tolerated between nodes of
 * the service (verify-online.ts drops one that was). A latest status older than either, or none
 * where one was recorded, was put back by an edit (to undo a REVOKED one). Each token still
 * verifies, so this is the only way to see it.
 */
function checkStatusOrder(
  stored: StoredState,
  license: LicenseClaims | null,
  lastStatus: StatusClaims | null,
  lastValidStatus: StatusClaims | null,
  skewSeconds: number,
  lagSeconds: number,
): void {
  const latest = lastStatus?.iat ?? null;
  const partlyRestored = () =>
    new StateTamperedError(
      'The stored verify status is older than one this installation already recorded: the state was edited or partly restored. Restore the whole state from a backup, then run Verify License.',
    );
  const recorded = stored.statusTime > 0 || lastValidStatus !== null;
  if (
    recorded &&
    (latest === null ||
      latest < stored.statusTime ||
      (lastValidStatus !== null && latest + lagSeconds < lastValidStatus.iat))
  ) {
    throw partlyRestored();
  }
  // The trusted time only ever comes from the license token and the statuses this state holds
  // (each replaces an older one): a trusted time later than all of them was vouched for by a
  // status that is no longer here. Tolerance: issuer and service clocks may differ a little.
  const explained = Math.max(latest ?? 0, license?.iat ?? 0) + skewSeconds;
  if (stored.trustedTime > explained) throw partlyRestored();
}

/**
 * Why a state without a seal (format 1, an SDK before seals) is an edit, or null when it is one
 * that SDK could have written and this installation never sealed: it is then read once and sealed
 * at the next change or audit entry (audit-chain.ts), and one written after that is a seal that
 * was stripped.
 */
async function unsealedStateRefusal(
  context: Context,
  parsed: ReturnType<typeof parseStoredState>,
): Promise<StateTamperedError | null> {
  // Format 1 held none of these: only a sealing SDK writes them.
  const { clockOffset, keysets, closed } = parsed.state;
  if (parsed.sealedMembers || clockOffset !== 0 || keysets.length > 0 || closed.length > 0) {
    return new StateTamperedError(
      'The stored license state has no seal, but holds what only a sealing SDK writes: the seal was stripped by hand. Restore the whole state from a backup.',
    );
  }
  // The mark beside the installation key, left by the first sealed write (store.ts).
  if ((await context.store.loadSealMark?.()) === true) {
    return new StateTamperedError(
      'The stored license state has no seal, but this installation already wrote sealed states (its installation key says so): the state was edited by hand. Restore the whole state from a backup.',
    );
  }
  const chained = (await context.store.loadAudit()).some((entry) => entry.link !== null);
  if (!chained) return null;
  return new StateTamperedError(
    'The stored license state has no seal, but this installation already wrote sealed states: the state was edited by hand. Restore the whole state from a backup.',
  );
}

/**
 * A state is sealed with the installation's key (seal.ts): a field edited or copied in from an
 * older state breaks the seal. A format-1 state: unsealedStateRefusal.
 */
async function checkSeal(
  context: Context,
  parsed: ReturnType<typeof parseStoredState>,
  installation: Ed25519KeyPair,
): Promise<void> {
  if (parsed.seal === null) {
    const refusal = await unsealedStateRefusal(context, parsed);
    if (refusal !== null) throw refusal;
    return;
  }
  if (!stateSealHolds(parsed, installation.privateKey)) {
    throw new StateTamperedError(
      'The stored license state does not match its seal: it was edited by hand (a field changed, or copied in from another state). Restore the whole state from a backup; the SDK leaves it as it is.',
    );
  }
  // A sealed state whose key has no mark yet (sealed by an SDK before the mark): marked at its
  // first load, so that a seal stripped later is named even before this SDK writes a state. A
  // key file it cannot write (read-only) leaves the mark to the next write, and the load stands.
  try {
    await context.store.saveSealMark?.();
  } catch {
    // The next write tries again (writeState).
  }
}

export async function loadSnapshot(context: Context): Promise<Snapshot> {
  const raw = await context.store.loadState();
  const installation = await loadInstallationKey(context, raw !== null);
  const installationId = installationIdOf(installation);
  if (raw === null) {
    await assertStateNotLost(context);
    // Written by the first change, under the store's lock: a write here could race with one.
    const stored = initialState(installationId);
    return {
      stored,
      installation,
      installationId,
      license: null,
      pending: [],
      closed: [],
      lastStatus: null,
      lastValidStatus: null,
      trust: storedTrust(context, []),
      keysInUse: [],
    };
  }
  context.stateSeen = true;
  const parsed = parseStoredState(raw);
  const stored = parsed.state;
  if (stored.installationId !== installationId) {
    throw new StateForeignError(
      `The state belongs to installation ${stored.installationId}, but the installation key is ${installationId}. The key and the state come from different installations: restore the matching pair.`,
    );
  }
  const verified = verifyStored(
    stored,
    context,
    installationId,
    storedTrust(context, stored.keysets),
  );
  await checkSeal(context, parsed, installation);
  // Trusted time never goes below what the verified tokens themselves vouch for: the license and
  // the latest status (the last VALID one beside it is an earlier answer, which the latest one
  // may have corrected).
  const trustedTime = Math.max(
    stored.trustedTime,
    verified.license?.iat ?? 0,
    verified.lastStatus?.iat ?? 0,
  );
  const statusTime = Math.max(stored.statusTime, verified.lastStatus?.iat ?? 0);
  return {
    ...verified,
    stored: { ...stored, trustedTime, statusTime },
    installation,
    installationId,
  };
}

/** Writes a state sealed with the installation key; a format-1 state gets its audit anchor. */
export async function writeState(context: Context, state: StoredState): Promise<void> {
  const installation = context.installation ?? (await installationKeyOf(context));
  const seed = installation.privateKey;
  const audit = state.audit ?? (await anchorFromTrail(context, seed));
  await context.store.saveState(sealState({ ...state, audit }, seed));
  context.stateSeen = true;
  // After the sealed state is stored: a mark without it would refuse this installation's own
  // format-1 state. A crash in between leaves the mark to the next write.
  await context.store.saveSealMark?.();
}

/** Saves a changed state, dropping challenges that expired, in one atomic replace. */
export async function saveState(context: Context, state: StoredState, clock: Clock): Promise<void> {
  const pending = state.pending.filter((entry) => entry.expiresAt >= clock.effective);
  const observedTime = Math.max(state.observedTime, clock.local);
  await writeState(context, { ...state, pending, observedTime });
}

/** Local clock readings are remembered at most this often on reads, to keep reads cheap. */
const OBSERVE_EVERY_SECONDS = 60;

/**
 * Remembers the local clock if it moved on, so that winding it back later is detected even
 * when nothing else changed. Returns the clock to evaluate the snapshot at.
 */
export async function observeClock(context: Context, snapshot: Snapshot): Promise<Clock> {
  const clock = readClock(context, snapshot.stored);
  if (clock.local <= snapshot.stored.observedTime + OBSERVE_EVERY_SECONDS) return clock;
  await context.exclusive(async () => {
    const fresh = await loadSnapshot(context);
    if (clock.local > fresh.stored.observedTime) {
      await writeState(context, { ...fresh.stored, observedTime: clock.local });
    }
  });
  snapshot.stored = { ...snapshot.stored, observedTime: clock.local };
  return readClock(context, snapshot.stored);
}
