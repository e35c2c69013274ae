// What a license-key change means for the licenses in the field. After `keys activate`, every
// license whose newest token was signed by another key gets the same token re-signed by the new
// key (a `resign` transaction: next revision, same claims, `chal: null`), which the verify
// service hands to the installation at its next check. When a key is revoked, the licenses whose
// installations may still hold a token it signed are listed, with how each gets a new one.

import { type LicenseClaims, newId, signLicenseWith, validateLicenseClaims } from '@licensor/token';
import type { KeyDependent } from '../facade.js';
import { kidOfToken } from '../keys/token-kid.js';
import type { License, Operator, TokenTransaction } from '../records.js';
import { licensePages } from '../store/cursors.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext } from './context.js';
import { type LicenseSigning, licenseSigning } from './product-keys.js';

const PAGE = 500;

async function* licensesInForce(context: IssuerContext): AsyncGenerator<License> {
  // By cursor: a license re-signed meanwhile moves ahead of it, and none is skipped.
  for await (const page of licensePages((f) => context.store.listLicenses(f), {}, PAGE)) {
    for (const license of page) if (license.state !== 'revoked') yield license;
  }
}

/** The claims of a license's newest token, as stored (the issuer signed them). */
function payloadOf(license: License): LicenseClaims {
  return JSON.parse(
    Buffer.from(license.latestToken!.split('.')[1] ?? '', 'base64url').toString('utf8'),
  );
}

/** The newest token of `license`, re-signed: the next revision, the same claims. */
async function resignOne(
  license: License,
  signing: LicenseSigning,
  at: number,
  operator: Operator,
): Promise<TokenTransaction> {
  const payload = payloadOf(license);
  const transactionId = newId('txn');
  const revision = license.revision + 1;
  const claims = validateLicenseClaims({
    ...payload,
    jti: transactionId,
    rev: revision,
    iat: Math.floor(at / 1000),
    chal: null,
  });
  const key = signing.forClaims(claims);
  const token = await signLicenseWith(claims, key);
  const licenseAfter: License = {
    ...license,
    revision,
    latestToken: token,
    latestTransactionId: transactionId,
    seq: license.seq + 1,
    updatedAt: at,
  };
  return {
    id: transactionId,
    kind: 'resign',
    at,
    operator,
    licenseId: license.id,
    customerId: license.customerId,
    installationId: license.installationId!,
    seq: licenseAfter.seq,
    revision,
    challengeHash: null,
    challengeId: null,
    requestId: null,
    terms: null,
    token,
    kid: key.kid,
    reason: `re-signed by the new license key ${key.kid}`,
    licenseAfter,
    customerAfter: null,
    installationAfter: null,
    applied: false,
  };
}

/**
 * How many re-signs are in flight at once. On SQLite the issue writer's thread commits what
 * waits as one group with one sync of the log, so re-signs side by side share their syncs: one
 * at a time, each waited for its own sync (100,000 licenses took 8.5 min, 2 Dec). On MongoDB,
 * one at a time: every re-sign appends to the audit chain, whose writers that race retry.
 */
const RESIGN_IN_FLIGHT = { sqlite: 32, mongo: 1 } as const;

/** Thrown inside a retry whose license another writer already re-signed or revoked. */
const NOTHING_TO_RESIGN = Symbol('nothing to re-sign');

/**
 * Re-signs the newest token of every license in force that another key signed. Returns how
 * many were re-signed. Runs after a license key is activated; repeating it does nothing more.
 * A re-sign that fails stops the run (the ones in flight finish first) and throws: what was
 * re-signed stays, and repeating it re-signs the rest.
 */
export async function resignLicenses(context: IssuerContext, operator: Operator): Promise<number> {
  // Each token by the key its claims call for: a product's own key, or the vendor's.
  const key = await licenseSigning(context);
  const who = checkOperator(operator);
  const limit = RESIGN_IN_FLIGHT[context.store.kind];
  let count = 0;
  let failure: { error: unknown } | null = null;
  const running = new Set<Promise<void>>();
  const signedByNewKey = (license: License) =>
    license.latestToken !== null &&
    kidOfToken(license.latestToken) === key.forClaims(payloadOf(license)).kid;
  const resign = async (listed: License) => {
    const committed = await commitWithRetry(context, `license ${listed.id}`, async (attempt) => {
      const license = attempt === 0 ? listed : await currentLicense(context, listed.id);
      if (license === null) throw new Error(`license ${listed.id} disappeared`);
      // Another writer got there first (another run of the activation, a revoke, a new key).
      if (attempt > 0 && (license.state === 'revoked' || signedByNewKey(license))) {
        throw NOTHING_TO_RESIGN;
      }
      return resignOne(license, key, context.now(), who);
    }).catch((error: unknown) => {
      if (error === NOTHING_TO_RESIGN) return null;
      throw error;
    });
    if (committed?.status === 'committed') count++;
  };
  try {
    for await (const listed of licensesInForce(context)) {
      if (failure !== null) break;
      if (listed.installationId === null || listed.latestToken === null) continue;
      if (signedByNewKey(listed)) continue;
      const task: Promise<void> = resign(listed)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(task));
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
  } finally {
    // Also when reading a page failed: no re-sign is left writing once this returns or throws.
    await Promise.allSettled(running);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return count;
}

/**
 * Licenses whose installations may still hold a token signed by `kid`: the newest token on
 * record is still signed by it (only a new challenge helps: the installation must send one), or
 * a re-signed token waits on record and the installation has neither checked online since nor
 * been answered a challenge since (a key issued or approved for it, signed by a newer key).
 */
export async function dependentsOf(context: IssuerContext, kid: string): Promise<KeyDependent[]> {
  const dependents: KeyDependent[] = [];
  for await (const license of licensesInForce(context)) {
    if (license.installationId === null) continue;
    const latestKid = kidOfToken(license.latestToken);
    const lastCheckAt = async () => (await context.store.lastCheck(license.id))?.at ?? null;
    if (latestKid === kid) {
      dependents.push({ ...facts(license, latestKid, await lastCheckAt()), remedy: 'challenge' });
      continue;
    }
    // Read for what they say, no key handed out: no wait for a sync of the log per license
    // (one each made a revoke at 100,000 licenses take 2 min 50 s, 2 Dec).
    const transactions = await context.store.listTransactions({
      licenseId: license.id,
      limit: 50,
      factsOnly: true,
    });
    const resignedFrom = transactions.find(
      (t) => t.kind === 'resign' && transactions.some((u) => u.kid === kid && u.at <= t.at),
    );
    // A key answering a challenge of its installation since then reached it with that challenge's
    // answer (given to its operator, signed by a newer key): it no longer needs the old one.
    const answeredSince =
      resignedFrom !== undefined &&
      transactions.some(
        (t) =>
          t.token !== null &&
          t.challengeHash !== null &&
          t.installationId === license.installationId &&
          t.at > resignedFrom.at,
      );
    if (resignedFrom === undefined || answeredSince) continue;
    const checkedAt = await lastCheckAt();
    if (checkedAt === null || checkedAt < resignedFrom.at) {
      // Checks online: the re-signed token reaches it; never checked: it must send a challenge.
      const remedy = checkedAt === null ? 'challenge' : 'online';
      dependents.push({ ...facts(license, latestKid, checkedAt), remedy });
    }
  }
  return dependents;
}

function facts(license: License, latestKid: string | null, lastCheckAt: number | null) {
  return {
    licenseId: license.id,
    customerName: license.customerName,
    model: license.model,
    installationId: license.installationId,
    latestKid,
    lastCheckAt,
  };
}
