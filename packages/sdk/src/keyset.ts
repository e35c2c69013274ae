// The vendor keys this installation trusts now: the keys it shipped with (the `trust` given to
// createLicensor, the "anchor"), advanced by the signed key sets (licensor-keyset+jwt) it has
// applied. Each applied version is verified against the keys the one before it lists, the first
// against the anchor, and must be newer (advanceKeysets in @licensor/token): a chain in the
// spirit of TUF's root rotation. The chain is kept in the sealed state and walked again at every
// load, so an edited or forged version in the state is ERR_STATE_TAMPERED, never new trust.
//
// What is trusted: the keys of the newest applied version, plus the anchor's keys that no
// applied version revoked (a CMS release that ships newer keys adds to the chain; it never
// brings back a key the vendor revoked).
import {
  advanceKeysets,
  isLicensorError,
  type KeyPurpose,
  Keyring,
  type KeyringJwk,
  type KeysetKeyState,
  normaliseToken,
  type VerifiedKeyset,
  VersionUnsupportedError,
  verifyKeyset,
} from '@licensor/token';
import type { Context } from './context.js';
import {
  KeysetDropsKeyInUseError,
  KeysetInvalidError,
  KeysetOtherProductError,
  KeysetStaleError,
  KeysetUntrustedError,
  StateTamperedError,
} from './errors.js';

export interface InstallationTrust {
  /** Version of the newest key set applied; 0 when only the shipped keys are trusted. */
  seq: number;
  /** The keys trusted now: every stored token is verified against these. */
  keyring: Keyring;
  /** The applied versions that chain from the shipped keys, oldest first (what the state keeps). */
  applied: VerifiedKeyset[];
  /** Says which keyring a memoised verification was made under. */
  id: string;
}

/** A key the installation trusts, as `getTrust` shows it. */
export interface TrustedKey {
  kid: string;
  purpose: KeyPurpose;
  /** Its state in the newest key set; 'shipped' for a key only the shipped keys hold. */
  state: KeysetKeyState | 'shipped';
}

/** A signed token the installation keeps, and the key it depends on. */
export interface KeyInUse {
  what: string;
  kid: string;
  purpose: KeyPurpose;
}

function anchorTrust(context: Context): InstallationTrust {
  return { seq: 0, keyring: context.keyring, applied: [], id: 'shipped' };
}

/** The anchor's keys that no applied version revoked, and the newest version's keys. */
function trustFrom(context: Context, applied: VerifiedKeyset[]): InstallationTrust {
  const latest = applied.at(-1);
  if (latest === undefined) return anchorTrust(context);
  const revoked = new Set(applied.flatMap((keyset) => keyset.claims.revoked));
  const keys: KeyringJwk[] = latest.claims.keys.map(({ state: _state, ...key }) => key);
  const listed = new Set(keys.map((key) => key.kid));
  for (const key of context.keyring.toJwks().keys) {
    if (!listed.has(key.kid) && !revoked.has(key.kid)) keys.push(key);
  }
  return {
    seq: latest.claims.seq,
    keyring: Keyring.fromJwks({ keys }),
    applied,
    id: `${latest.claims.seq}:${latest.token.slice(-43)}`,
  };
}

function verifiesUnder(token: string, keyring: Keyring): boolean {
  try {
    verifyKeyset(token, keyring);
    return true;
  } catch {
    return false;
  }
}

function tampered(error: unknown): StateTamperedError {
  return new StateTamperedError(
    `The stored vendor key sets do not chain from the trusted keys (${isLicensorError(error) ? `${error.code}: ${error.message}` : String(error)}). The state was edited: restore it from a backup.`,
    isLicensorError(error) ? error.code : undefined,
  );
}

/**
 * Every stored version, the ones the shipped keys no longer verify included, as applied: the
 * first signed by a license key it lists itself (as every key set is), each later one signed
 * by a key the one before lists and newer. A version edited, forged or put in anywhere breaks it.
 */
function assertStoredChain(tokens: readonly string[]): void {
  try {
    const keys = unverifiedSegment(tokens[0]!, 1)?.keys;
    const first = verifyKeyset(tokens[0]!, Keyring.fromJwks({ keys }));
    advanceKeysets({ seq: first.claims.seq, keyring: first.keyring }, tokens.slice(1));
  } catch (error) {
    throw tampered(error);
  }
}

/**
 * The trust a stored chain gives. The stored versions must chain among themselves (an edited or
 * forged one is ERR_STATE_TAMPERED wherever it is). The walk starts at the first stored version
 * the shipped keys verify (a newer CMS release may ship keys that verify only later versions);
 * when none does, the shipped keys were replaced on purpose (`--replace-trust`) and they alone
 * are trusted.
 */
export function storedTrust(context: Context, tokens: readonly string[]): InstallationTrust {
  if (tokens.length === 0) return anchorTrust(context);
  const key = tokens.join('\n');
  const cached = context.trustCache;
  if (cached !== null && cached.key === key) return cached.trust;
  assertStoredChain(tokens);
  const start = tokens.findIndex((token) => verifiesUnder(token, context.keyring));
  let trust: InstallationTrust;
  if (start < 0) trust = anchorTrust(context);
  else {
    try {
      const { applied } = advanceKeysets({ seq: 0, keyring: context.keyring }, tokens.slice(start));
      trust = trustFrom(context, applied);
    } catch (error) {
      throw tampered(error);
    }
  }
  context.trustCache = { key, trust };
  return trust;
}

const FORGED = new Set(['ERR_SIGNATURE_INVALID', 'ERR_KID_UNKNOWN', 'ERR_KEY_WRONG_PURPOSE']);

/** A token error while applying key sets, as the SDK's refusal in the operator's words. */
function refusal(error: unknown, position: string): unknown {
  if (!isLicensorError(error)) return error;
  if (error instanceof VersionUnsupportedError) {
    // A genuine set (its signature held) of a format this SDK does not read: not a bad paste.
    return new VersionUnsupportedError(
      error.version,
      `${position} is in a newer format than this SDK reads (${error.message}). Nothing was changed: update the product (its Licensor SDK) to a release that reads it, then apply the key set again.`,
    );
  }
  if (error.code === 'ERR_KEYSET_STALE') {
    return new KeysetStaleError(
      `${position} is not newer than the vendor key set this installation trusts (${error.message}). Nothing was changed; an older key set is never applied again.`,
      error.code,
    );
  }
  if (FORGED.has(error.code)) {
    return new KeysetUntrustedError(
      `${position} is not signed by a license key this installation trusts (${error.code}: ${error.message}): it is forged, or it skips a version. Apply the vendor's key sets in order (licensor-issuer keys export --keyset gives them all). Nothing was changed.`,
      error.code,
    );
  }
  return new KeysetInvalidError(
    `${position} is not a whole vendor key set (${error.code}: ${error.message}): it is cut short, changed, or not a key set. Paste it again exactly as the vendor sent it. Nothing was changed.`,
    error.code,
  );
}

/**
 * Follows key set versions from the trust held now: each must verify under the keys the one
 * before lists and be newer. All or nothing: one bad version refuses them all.
 */
export function advanceTrust(
  context: Context,
  current: InstallationTrust,
  tokens: readonly string[],
): InstallationTrust {
  if (tokens.length === 0) {
    throw new KeysetInvalidError('No vendor key set was given. Nothing was changed.');
  }
  const normalised = tokens.map((token, index) => {
    try {
      return normaliseToken(token, 'keyset');
    } catch (error) {
      throw refusal(error, keysetPosition(index, tokens.length));
    }
  });
  // An installation still on the keys shipped with the product may run a release built after
  // the vendor revoked a key: the shipped keys (every key not revoked, at build time) then
  // verify only the versions after the revoke, never version 1. The walk starts at the first
  // version they verify; the ones before it are signed by keys this installation never trusted,
  // and nothing they list is trusted. Once a version is applied, the chain is followed strictly.
  const from =
    current.applied.length === 0
      ? Math.max(
          0,
          normalised.findIndex((token) => verifiesUnder(token, current.keyring)),
        )
      : 0;
  const walked = normalised.slice(from);
  let applied: VerifiedKeyset[];
  try {
    applied = advanceKeysets({ seq: current.seq, keyring: current.keyring }, walked).applied;
  } catch (error) {
    throw refusal(error, failedPosition(context, current, walked, from, normalised.length));
  }
  // A product's own set (key set format 2, #12.1) is for that product's installations only.
  const foreign = applied.find(
    (keyset) => keyset.claims.scope !== undefined && keyset.claims.scope !== context.product.name,
  );
  if (foreign !== undefined) {
    throw new KeysetOtherProductError(
      `Key set version ${foreign.claims.seq} is the key set of the product ${foreign.claims.scope}, not of ${context.product.name} that this installation runs. Nothing was changed: apply the key sets of ${context.product.name} (licensor-issuer keys export --keyset --product "${context.product.name}").`,
    );
  }
  return trustFrom(context, [...current.applied, ...applied]);
}

function keysetPosition(index: number, count: number): string {
  return count === 1 ? 'The key set' : `Key set ${index + 1} of ${count}`;
}

/** Which of the given versions the walk stopped at, for the message. */
function failedPosition(
  context: Context,
  current: InstallationTrust,
  tokens: readonly string[],
  skipped = 0,
  count = tokens.length,
): string {
  let trust = current;
  for (const [index, token] of tokens.entries()) {
    try {
      trust = trustFrom(context, [
        ...trust.applied,
        ...advanceKeysets({ seq: trust.seq, keyring: trust.keyring }, [token]).applied,
      ]);
    } catch {
      return keysetPosition(skipped + index, count);
    }
  }
  return keysetPosition(skipped, count);
}

/**
 * Refuses new trust that would leave a token the installation keeps unverifiable: the license
 * in force, the newest status, the last VALID status. A vendor that revokes such a key delivers
 * a replacement in the same step (a re-signed license with the status, or in the bundle).
 */
export function assertKeepsKeysInUse(trust: InstallationTrust, inUse: readonly KeyInUse[]): void {
  for (const key of inUse) {
    if (!trust.keyring.has(key.kid, key.purpose)) {
      throw new KeysetDropsKeyInUseError(
        `Key set version ${trust.seq} no longer trusts ${key.kid}, the ${key.purpose} key that signed the ${key.what}, and brings no replacement. Nothing was changed: ask the vendor for a license key signed by its current key, then apply the key set again (or run Verify License, which delivers both).`,
      );
    }
  }
}

/** The trusted keys with their states, for display. */
export function describeTrust(trust: InstallationTrust): { seq: number; keys: TrustedKey[] } {
  const states = new Map(
    (trust.applied.at(-1)?.claims.keys ?? []).map((key) => [key.kid, key.state]),
  );
  return {
    seq: trust.seq,
    keys: trust.keyring.toJwks().keys.map((key) => ({
      kid: key.kid,
      purpose: key.purpose,
      state: states.get(key.kid) ?? 'shipped',
    })),
  };
}

/**
 * A compact token's header (0) or payload (1) as JSON, read before any check: only to choose
 * what to verify next, never trusted (null when unreadable).
 */
export function unverifiedSegment(token: string, index: 0 | 1): Record<string, unknown> | null {
  try {
    const segment = token.trim().split('.')[index] ?? '';
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The version number a key set token claims, read before any check (null when unreadable). */
function claimedSeq(token: string): number | null {
  let compact: string;
  try {
    compact = normaliseToken(token, 'keyset');
  } catch {
    return null;
  }
  const seq = unverifiedSegment(compact, 1)?.seq;
  return typeof seq === 'number' ? seq : null;
}

/**
 * The delivered versions this installation does not hold yet. Key sets that come along with
 * something else (a status, a license key) may repeat versions already applied: those are
 * skipped, not refused. A token whose version cannot be read is kept, to be refused.
 */
export function beyond(current: InstallationTrust, tokens: readonly string[]): string[] {
  return tokens.filter((token) => {
    const seq = claimedSeq(token);
    return seq === null || seq > current.seq;
  });
}
