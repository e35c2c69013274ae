// What each signing key signed and who has picked up which signed key set (#11): the Signing
// keys page, `GET /api/v1/keys/usage`, `licensor-issuer keys list`. And the key sets a key
// carries to its installation: an answer to a challenge gets the versions after the one the
// challenge says it trusts (refused when no such version was published), an online renewal or
// re-issue those after the one its installation last reported.

import {
  type ChallengeClaims,
  decodeChallengeUnverified,
  type VerifiedChallenge,
  verifyChallenge,
} from '@licensor/token';
import { KeyNotFoundError, KeysetUnknownError } from '../errors.js';
import type { Finding, IssueResult, KeyUsage, SigningKeyUsage } from '../facade.js';
import type { SigningKeyRecord } from '../records.js';
import type { KeysetReport } from '../store/key-usage-port.js';
import type { IssuerContext } from './context.js';
import { keysetsAfter } from './signing-keys.js';

/** Every key with what it signed, and the installations per key set version. */
export async function keyUsage(context: IssuerContext): Promise<KeyUsage> {
  const keys = await context.store.listSigningKeys();
  const [signed, trust, keysets] = await Promise.all([
    signedBy(context, keys),
    context.store.keyUsage.countInstallationsByKeyset(),
    context.store.listKeysets(0),
  ]);
  const newest = keysets.at(-1)?.seq ?? 0;
  const counts = new Map(trust.map((t) => [t.keyset, t.installations]));
  return {
    keys: signed,
    newestKeyset: newest,
    // Version 0 is the keys an installation shipped with; every published version is listed.
    keysets: [0, ...keysets.map((k) => k.seq)].map((seq) => ({
      seq,
      installations: counts.get(seq) ?? 0,
      publishedAt: keysets.find((k) => k.seq === seq)?.createdAt ?? null,
    })),
    installationsReporting: trust.reduce((sum, t) => sum + t.installations, 0),
    installationsOnNewest: counts.get(newest) ?? 0,
  };
}

/** One key's counts; ERR_KEY_NOT_FOUND for a kid this store does not hold. */
export async function keyUsageOf(context: IssuerContext, kid: string): Promise<SigningKeyUsage> {
  const key = (await context.store.listSigningKeys()).find((k) => k.kid === kid);
  if (key === undefined) throw new KeyNotFoundError(kid);
  return (await signedBy(context, [key]))[0]!;
}

async function signedBy(
  context: IssuerContext,
  keys: readonly SigningKeyRecord[],
): Promise<SigningKeyUsage[]> {
  // Status keys sign statuses, never a license token: nothing to count.
  const licenseKids = keys.filter((k) => k.purpose === 'license').map((k) => k.kid);
  const counts = new Map(
    (await context.store.keyUsage.countSignedByKeys(licenseKids)).map((c) => [c.kid, c]),
  );
  return keys.map((key) => ({
    ...key,
    tokens: counts.get(key.kid)?.tokens ?? 0,
    licenses: counts.get(key.kid)?.licenses ?? 0,
  }));
}

/**
 * A challenge's claims read without verifying it, for the key set version its installation
 * trusts (`keyset`, undefined: format 1). Undefined when it is not a challenge at all: issuing
 * refuses it with its own error.
 */
export function unverifiedClaimsOf(challenge: string): ChallengeClaims | undefined {
  try {
    return decodeChallengeUnverified(challenge).claims;
  } catch {
    return undefined;
  }
}

/**
 * The challenge verified, or undefined when it does not verify: `issue` then verifies it again
 * and refuses it with the verification's own error, after its checks of the terms and the
 * operator, as it always did.
 */
export function verifiedOrUndefined(challenge: string): VerifiedChallenge | undefined {
  try {
    return verifyChallenge(challenge);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a version above the newest published (ERR_KEYSET_UNKNOWN), before anything is
 * written: no installation can trust a version this issuer never signed.
 */
export async function assertKeysetPublished(
  context: IssuerContext,
  trusted: number | undefined,
): Promise<void> {
  if (trusted === undefined || trusted === 0) return;
  const newest = (await context.store.listKeysets(0)).at(-1)?.seq ?? 0;
  if (trusted > newest) throw new KeysetUnknownError(trusted, newest);
}

/** What the inspection says about the key set a format 2 challenge reports. */
export async function keysetFindings(
  context: IssuerContext,
  trusted: number | undefined,
): Promise<Finding[]> {
  if (trusted === undefined) return [];
  const newest = (await context.store.listKeysets(0)).at(-1)?.seq ?? 0;
  if (trusted > newest) {
    return [
      {
        kind: 'keyset-unknown',
        message: `the installation says it trusts key set version ${trusted}, and this issuer has published up to version ${newest}: issuing is refused (ERR_KEYSET_UNKNOWN); it trusts another issuer's key sets, or its stored state was altered`,
      },
    ];
  }
  if (trusted < newest) {
    return [
      {
        kind: 'keyset-behind',
        message:
          trusted === 0
            ? `the installation trusts the keys shipped with the product (key set version 0), the usual case at first; its key carries the published versions 1 to ${newest} before it (the portal's key text, licensor-issuer issue --armour): send it whole`
            : `the installation trusts key set version ${trusted} of ${newest}: send its key armoured (the portal's key text, licensor-issuer issue --armour), which carries the versions it lacks before the key`,
      },
    ];
  }
  return [];
}

/**
 * An answer to a challenge (issue, approval): records the version the challenge reports for
 * its installation, and carries the versions after it. A format 1 challenge gets none.
 */
export async function answerWithKeysets<T extends IssueResult>(
  context: IssuerContext,
  result: T,
  claims: ChallengeClaims | undefined,
): Promise<T> {
  const trusted = claims?.keyset;
  if (claims === undefined || trusted === undefined) return result;
  const made = claims.iat * 1000;
  const report: KeysetReport = {
    installationId: result.transaction.installationId,
    keyset: trusted,
    // The challenge's own time, never later than now: a newer online check's report stands.
    at: Math.min(made, context.now()),
    source: 'challenge',
  };
  await context.store.keyUsage.recordKeysetReports([report]);
  // The versions of the challenge's product (its own key set where it has one, #12.1).
  const { product } = claims;
  return { ...result, keysets: await keysetsAfter(context, trusted, product.name) };
}

/**
 * A key delivered online (renewal, re-issue): the versions after the one its installation last
 * reported (from version 0 when it never reported one). A version 1 license goes to an SDK that
 * reads no key set: none.
 */
export async function deliverWithKeysets<T extends IssueResult>(
  context: IssuerContext,
  result: T,
): Promise<T> {
  if (licenseVersionOf(result.token) < 2) return result;
  const { installationId } = result.transaction;
  const report = await context.store.keyUsage.getKeysetReport(installationId);
  // The versions of the installation's product (its own key set where it has one, #12.1).
  const product = (await context.store.getInstallation(installationId))?.product.name;
  return { ...result, keysets: await keysetsAfter(context, report?.keyset ?? 0, product) };
}

function licenseVersionOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return typeof payload.v === 'number' ? payload.v : 1;
}
