// Applying the vendor's signed key sets by hand (offline: `licensor trust <paste>`, or the key
// sets that come in one paste with a license key) and showing what is trusted. The online
// check applies them too (verify-online.ts). Every refusal leaves the state as it was.
import { armourBlocks, isLicensorError } from '@licensor/token';
import { readClock } from './clock.js';
import type { Context } from './context.js';
import { KeysetInvalidError } from './errors.js';
import {
  advanceTrust,
  assertKeepsKeysInUse,
  beyond,
  describeTrust,
  type InstallationTrust,
  type TrustedKey,
} from './keyset.js';
import { unquoted } from './pasted-key.js';
import { type Snapshot, saveState } from './snapshot.js';

/** What `applyKeysets` gives back. */
export interface TrustResult {
  /** The key set version trusted now. */
  keysetVersion: number;
  /** The version trusted before. */
  previousVersion: number;
  /** The versions applied by this call, in order. */
  applied: number[];
  keys: TrustedKey[];
}

/** What `getTrust` gives back: the key set version trusted and its keys. */
export interface TrustInfo {
  /** 0: only the keys the installation shipped with. */
  keysetVersion: number;
  keys: TrustedKey[];
}

/** A paste split into the key set tokens and the license key it may carry (one block each). */
export interface Bundle {
  keysets: string[];
  /** The text of the license key: the whole paste when it holds no key set block. */
  license: string;
}

function blocksOf(pasted: string): ReturnType<typeof armourBlocks> | null {
  try {
    return armourBlocks(pasted);
  } catch {
    return null;
  }
}

/**
 * A license key with the key set versions it needs (armour blocks `LICENSOR KEY SET` before
 * `LICENSOR LICENSE`, as `licensor-issuer issue` prints them). Anything else is passed on whole,
 * to be read (and refused) as a license key.
 */
export function splitBundle(pasted: string): Bundle {
  const blocks = typeof pasted === 'string' ? blocksOf(pasted) : null;
  if (blocks === null) return { keysets: [], license: pasted };
  const keysets = blocks.filter((block) => block.kind === 'keyset').map((block) => block.token);
  const licenses = blocks.filter((block) => block.kind === 'license');
  if (keysets.length === 0 || licenses.length !== 1 || keysets.length + 1 !== blocks.length) {
    return { keysets: [], license: pasted };
  }
  return { keysets, license: licenses[0]!.token };
}

/** The key set tokens in a paste: armour blocks, or one compact token. */
export function keysetsIn(pasted: unknown): string[] {
  if (typeof pasted !== 'string' || pasted.trim() === '') {
    throw new KeysetInvalidError(
      'Paste the vendor key set (the -----BEGIN LICENSOR KEY SET----- block or its compact text). Nothing was changed.',
    );
  }
  let blocks: ReturnType<typeof armourBlocks>;
  try {
    // Key sets quoted in an e-mail reply (`> ` before each line) read as the key sets.
    blocks = armourBlocks(unquoted(pasted));
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    throw new KeysetInvalidError(
      `This is not a vendor key set (${error.code}: ${error.message}). Paste it again exactly as sent. Nothing was changed.`,
      error.code,
    );
  }
  const other = blocks.find((block) => block.kind !== undefined && block.kind !== 'keyset');
  if (other !== undefined) {
    throw new KeysetInvalidError(
      `The paste holds a ${other.kind} block, not only key sets. A license key (with the key sets before it) is applied with Upgrade (licensor apply). Nothing was changed.`,
    );
  }
  return blocks.map((block) => block.token);
}

/** The versions a step applied: those of `next` beyond `current`. */
function newVersions(current: InstallationTrust, next: InstallationTrust): number[] {
  return next.applied.slice(current.applied.length).map((keyset) => keyset.claims.seq);
}

/** Applies pasted key sets: verified in order, persisted in one atomic write, or refused whole. */
export async function applyKeysets(
  context: Context,
  snapshot: Snapshot,
  pasted: unknown,
): Promise<TrustResult> {
  // `keys export --keyset` gives every version: those already held are skipped. A paste that
  // brings nothing newer is refused (ERR_KEYSET_STALE: an older copy is never applied again).
  const tokens = keysetsIn(pasted);
  const fresh = beyond(snapshot.trust, tokens);
  const trust = advanceTrust(context, snapshot.trust, fresh.length > 0 ? fresh : tokens);
  assertKeepsKeysInUse(trust, snapshot.keysInUse);
  const clock = readClock(context, snapshot.stored);
  await saveState(context, { ...snapshot.stored, keysets: tokensOf(trust) }, clock);
  return {
    keysetVersion: trust.seq,
    previousVersion: snapshot.trust.seq,
    applied: newVersions(snapshot.trust, trust),
    keys: describeTrust(trust).keys,
  };
}

/** What the state keeps of a trust: the chain of applied versions. */
export function tokensOf(trust: InstallationTrust): string[] {
  return trust.applied.map((keyset) => keyset.token);
}

export function trustInfo(snapshot: Snapshot): TrustInfo {
  const { seq, keys } = describeTrust(snapshot.trust);
  return { keysetVersion: seq, keys };
}

export function auditDetail(result: TrustResult): string {
  return `key set version ${result.keysetVersion} (was ${result.previousVersion}; applied ${result.applied.join(', ')})`;
}
