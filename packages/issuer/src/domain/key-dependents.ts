// What a license-key change means for the licenses in the field. After `keys activate`, every
// license whose newest token was signed by another key gets the same token re-signed by the new
// key (a `resign` transaction: next revision, same claims, `chal: null`), which the verify
// service hands to the installation at its next check. When a key is revoked, the licenses whose
// installations may still hold a token it signed are listed, with how each gets a new one: being
// handed a token is not applying it, so an installation counts as moved on once it reports (with
// a check: the revision in force there) a revision newer than the key's last, or was answered a
// challenge since.

import { type LicenseClaims, newId, signLicenseWith, validateLicenseClaims } from '@licensor/token';
import type { KeyDependent } from '../facade.js';
import { kidOfToken } from '../keys/token-kid.js';
import type { License, Operator, TokenTransaction, Transaction } from '../records.js';
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
 * Passes over the licenses in force at most (the first included). A pass pages newest change
 * first, so a license another process commits meanwhile (an issue it signed with the replaced
 * key before it saw the new key set) lands behind the cursor: the next pass finds it. Passes
 * repeat until one re-signs none; each after the first only reads, unless it finds one.
 */
export const RESIGN_PASSES = 4;

/**
 * Re-signs the newest token of every license in force that another key signed. Returns how
 * many were re-signed. Runs after a license key is activated, and again when the activation is
 * repeated (a commit signed by the replaced key that landed after the last pass); repeating it
 * re-signs only what another key still signs. A re-sign that fails stops the run (the ones in
 * flight finish first) and throws: what was re-signed stays, and repeating it re-signs the rest.
 */
export async function resignLicenses(context: IssuerContext, operator: Operator): Promise<number> {
  let count = 0;
  for (let pass = 0; pass < RESIGN_PASSES; pass++) {
    const resigned = await resignPass(context, operator);
    count += resigned;
    if (resigned === 0) break;
  }
  return count;
}

/** One pass of resignLicenses over every license in force; how many it re-signed. */
async function resignPass(context: IssuerContext, operator: Operator): Promise<number> {
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

/** A license's transactions read per page, newest first, until the answer is known. */
const TRANSACTIONS_PAGE = 50;
/** The most one read returns (the stores' cap): the transactions of one millisecond at once. */
const ONE_MILLISECOND_MAX = 10_000;

/**
 * The transactions of `license` newer than the newest token `kid` signed for it, newest first,
 * and that token's revision; null when `kid` signed none of its tokens. Paged through the whole
 * log when need be (a license with more than a page of transactions since then is not missed),
 * and read for what they say, no key handed out: no wait for a sync of the log per license (one
 * each made a revoke at 100,000 licenses take 2 min 50 s, 2 Dec). Most licenses answer in one
 * page, the one read there always was.
 */
async function sinceSignedBy(
  context: IssuerContext,
  license: License,
  kid: string,
): Promise<{ newer: Transaction[]; revision: number } | null> {
  const newer: Transaction[] = [];
  const seen = new Set<string>();
  const read = (limit: number, before: number | undefined) =>
    context.store.listTransactions({
      licenseId: license.id,
      limit,
      factsOnly: true,
      ...(before === undefined ? {} : { before }),
    });
  /** Takes the transactions not read yet, up to the newest `kid` signed: its revision, or null. */
  const take = (transactions: readonly Transaction[]): number | null => {
    for (const t of transactions) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      if (t.kid === kid && t.revision !== null) return t.revision;
      newer.push(t);
    }
    return null;
  };
  let before: number | undefined;
  for (;;) {
    const page = await read(TRANSACTIONS_PAGE, before);
    const found = take(page);
    if (found !== null) return { newer, revision: found };
    if (page.length < TRANSACTIONS_PAGE) return null;
    const oldest = page[page.length - 1]!.at;
    if (page[0]!.at !== oldest) {
      // The oldest millisecond of the page again (the rest of it may be on the next page).
      before = oldest + 1;
      continue;
    }
    // A whole page of one millisecond (an import): that millisecond at once, then before it.
    const moment = await read(ONE_MILLISECOND_MAX, oldest + 1);
    const inMoment = take(moment.filter((t) => t.at === oldest));
    if (inMoment !== null) return { newer, revision: inMoment };
    // More than a read holds in one millisecond: not known, so counted as signed by `kid` at
    // the newest revision possible (listed, if a newer token waits), never left out.
    if (moment.length === ONE_MILLISECOND_MAX && moment[moment.length - 1]!.at === oldest) {
      return { newer, revision: Number.POSITIVE_INFINITY };
    }
    before = oldest;
  }
}

/**
 * Licenses whose installations may still hold a token signed by `kid`:
 * - the newest token on record is still signed by it (only a new challenge helps: the
 *   installation must send one): remedy 'challenge';
 * - a newer token waits on record (re-signed by the new key, or a renewal delivered online) and
 *   the installation has not reported holding a revision above the last one `kid` signed (every
 *   check says which revision is in force there: the verify service records the highest, see
 *   key-usage-port.ts), nor been answered a challenge since (a key issued or approved for it,
 *   signed by a newer key): remedy 'online' when it checks online (the token is handed to it at
 *   each check; an administrator's Verify License applies it, a scheduled one by an operator
 *   without that role does not), 'challenge' when it never checked.
 * Checking online is not enough: an installation can be handed the new token and not apply it.
 * Only a check recorded before this store began recording revisions (an upgrade), and after the
 * newer token, with no report since, counts as moved on, as before the upgrade.
 */
export async function dependentsOf(context: IssuerContext, kid: string): Promise<KeyDependent[]> {
  const dependents: KeyDependent[] = [];
  // When this store began recording revision reports (one read).
  let reportsSince: Promise<number | null> | undefined;
  for await (const license of licensesInForce(context)) {
    const installationId = license.installationId;
    if (installationId === null) continue;
    const latestKid = kidOfToken(license.latestToken);
    const lastCheckAt = async () => (await context.store.lastCheck(license.id))?.at ?? null;
    if (latestKid === kid) {
      dependents.push({ ...facts(license, latestKid, await lastCheckAt()), remedy: 'challenge' });
      continue;
    }
    const since = await sinceSignedBy(context, license, kid);
    if (since === null) continue;
    const tokens = since.newer.filter((t) => t.token !== null);
    // None newer: nothing for it to move to (not one of this key's dependents).
    if (tokens.length === 0) continue;
    // A key answering a challenge of its installation since then reached it with that challenge's
    // answer (given to its operator, signed by a newer key): it no longer needs the old one.
    const answered = tokens.some(
      (t) => t.challengeHash !== null && t.installationId === installationId,
    );
    if (answered) continue;
    // What the installation says it holds: a revision above the key's last is not signed by it.
    const held = await context.store.keyUsage.getHeldRevision(license.id, installationId);
    if (held !== null && held.revision > since.revision) continue;
    const checkedAt = await lastCheckAt();
    if (checkedAt === null) {
      dependents.push({ ...facts(license, latestKid, null), remedy: 'challenge' });
      continue;
    }
    if (held === null && checkedAt >= tokens[0]!.at) {
      // Checked since the newest token was on record, by a service that reported no revision
      // (before this store recorded them): counted as moved on, as it was before the upgrade.
      reportsSince ??= context.store.keyUsage.revisionReportsSince();
      const from = await reportsSince;
      if (from !== null && checkedAt < from) continue;
    }
    dependents.push({ ...facts(license, latestKid, checkedAt), remedy: 'online' });
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
