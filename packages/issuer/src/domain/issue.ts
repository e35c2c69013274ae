// `issue(challenge, terms, operator)`: answers a challenge with a license key. The key is
// returned only once its transaction is stored; the same challenge with the same terms gives
// back the same key and transaction, with other terms it is refused.
//
// One direction: read the inputs (challenge, records, signing key), decide over them, commit.

import type { VerifiedChallenge } from '@licensor/token';
import { NameTakenError } from '../catalog/errors.js';
import { entitlementsForTerms, withPlanDefaults } from '../catalog/issue-entitlements.js';
import type { LicenseEntitlements } from '../catalog/types.js';
import {
  ApprovalRequiredError,
  ChallengeExpiredError,
  ChallengeUsedError,
  CustomerNotFoundError,
  InstallationLicensedError,
  LicenseNotFoundError,
  LicenseStateError,
  ModelSwitchNotApprovedError,
  RequestDecidedError,
  TermsInvalidError,
} from '../errors.js';
import type { IssueOptions, IssueResult } from '../facade.js';
import type {
  Customer,
  Installation,
  License,
  Operator,
  Terms,
  TokenTransaction,
} from '../records.js';
import { analyseChallenge, type ChallengeAnalysis, requestFor } from './analyse-challenge.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext } from './context.js';
import { rebindAfterIssue } from './forks.js';
import { changeLicenseState } from './license-state.js';
import { type LicenseSigning, licenseSigning } from './product-keys.js';
import { normaliseTerms, sameTerms, termFor } from './terms.js';
import { buildTokenTransaction, issued, newCustomer } from './token-transaction.js';

export async function issue(
  context: IssuerContext,
  challenge: string,
  terms: Terms,
  operator: Operator,
  options: IssueOptions = {},
  verified?: VerifiedChallenge,
): Promise<IssueResult> {
  // 1. Read the inputs, once: the terms, the challenge against the records, the signing key.
  // `verified`: the challenge already verified by the caller (verified here otherwise).
  const normal = normaliseTerms(terms);
  const who = checkOperator(operator);
  const analysis = await analyseChallenge(context, challenge, verified);
  const asked = await withPlanDefaults(context, normal, analysis.license);
  if (analysis.transaction !== null) {
    const replayed = await replayIssue(context, analysis.transaction, asked);
    if (options.supersede === true) await supersede(context, analysis, replayed, who);
    return replayed;
  }
  await refuseUnanswerable(context, analysis, who);
  // A key of another model for a license in force is a switch: approved, never issued.
  if (analysis.license !== null) assertModelKept(analysis.license, asked);
  // What inspect shows, issue sees: a key here would replace a license the installation holds.
  const held = analysis.boundElsewhere.filter((license) => license.state !== 'revoked');
  if (held.length > 0 && options.supersede !== true) {
    throw new InstallationLicensedError(analysis.verified.installationId, held);
  }
  const key = await licenseSigning(context);
  const first = await readRecords(context, analysis, asked, false);

  // 2. Decide, 3. commit. When another writer moved the license first, the records are read
  // again and the decision made again over them.
  const subject = `license ${analysis.verified.claims.license?.id ?? '(new)'}`;
  const committed = await commitWithRetry(context, subject, async (attempt) => {
    const records = attempt === 0 ? first : await readRecords(context, analysis, asked, true);
    return decideIssue(records, analysis, asked, who, key, context.now());
  });
  if (committed.status === 'challenge-used') {
    const replayed = await replayIssue(context, committed.existing, asked);
    if (options.supersede === true) await supersede(context, analysis, replayed, who);
    return replayed;
  }
  const { transaction } = committed;
  // The installation that made this challenge is the installation from now on (issue #17).
  await rebindAfterIssue(context, analysis.verified.claims, transaction.licenseId, who);
  const result = issued(transaction);
  if (options.supersede === true) await supersede(context, analysis, result, who);
  return result;
}

/**
 * The licenses the installation held before this key are revoked as superseded by it, after the
 * key is stored (a crash in between leaves them active; issuing again with supersede finishes).
 */
async function supersede(
  context: IssuerContext,
  analysis: ChallengeAnalysis,
  result: IssueResult,
  who: Operator,
): Promise<void> {
  for (const old of analysis.boundElsewhere) {
    if (old.id === result.license.id) continue;
    const current = await currentLicense(context, old.id);
    if (current === null || current.state === 'revoked') continue;
    await changeLicenseState(
      context,
      'revoke',
      old.id,
      who,
      `superseded by license ${result.license.id} on the same installation`,
    );
  }
}

/** A challenge that cannot be answered by issuing: rejected, expired, unknown, or to approve. */
async function refuseUnanswerable(
  context: IssuerContext,
  analysis: ChallengeAnalysis,
  who: Operator,
): Promise<void> {
  const { claims } = analysis.verified;
  const request = analysis.request;
  if (request !== null && request.status === 'rejected') {
    throw new RequestDecidedError(request.id, 'rejected');
  }
  if (analysis.expired) throw new ChallengeExpiredError(claims.exp);
  const licenseId = claims.license?.id ?? null;
  if (licenseId !== null && analysis.license === null) throw new LicenseNotFoundError(licenseId);
  if (analysis.approvalKind !== null) {
    const pending = (await requestFor(context, analysis, who))!;
    const what =
      analysis.approvalKind === 'rehost'
        ? `license ${licenseId} is bound to another installation`
        : `the installation asks to switch to ${claims.request.model}`;
    throw new ApprovalRequiredError(pending.id, what);
  }
}

/** The records an issue decides over. */
interface IssueRecords {
  license: License | null;
  installation: Installation | null;
  /** The license's customer, the one the terms name, or the one of that name (null: none). */
  customer: Customer | null;
  /** Another customer that has the name the terms give `customer` (a rename here is refused). */
  namesake: Customer | null;
  /** The plan's entitlements for these terms, checked against it and the installation. */
  entitlements: LicenseEntitlements | undefined;
}

/** The first read reuses what the analysis read; a retry (`fresh`) reads the records again. */
async function readRecords(
  context: IssuerContext,
  analysis: ChallengeAnalysis,
  asked: Terms,
  fresh: boolean,
): Promise<IssueRecords> {
  const licenseId = analysis.verified.claims.license?.id ?? null;
  const [license, installation] = fresh
    ? await Promise.all([
        licenseId === null ? null : currentLicense(context, licenseId),
        context.store.getInstallation(analysis.verified.installationId),
      ])
    : [analysis.license, analysis.installation];
  const customerId = license?.customerId ?? asked.customerId;
  const customer =
    customerId !== undefined
      ? await context.store.getCustomer(customerId)
      : await context.store.findCustomerByName(asked.customerName);
  // A key that renames its customer may not take another customer's name (rename-customer.ts).
  const namesake =
    customerId !== undefined && customer !== null && customer.name !== asked.customerName
      ? await context.store.findCustomerByName(asked.customerName, customer.id)
      : null;
  const entitlements = await entitlementsForTerms(context, {
    terms: asked,
    license,
    challenge: analysis.verified.claims,
  });
  return { license, installation, customer, namesake, entitlements };
}

/** Decides over the records just read: refuses, or signs the transaction of this issue. */
function decideIssue(
  records: IssueRecords,
  analysis: ChallengeAnalysis,
  asked: Terms,
  who: Operator,
  key: LicenseSigning,
  at: number,
): Promise<TokenTransaction> {
  const { license } = records;
  const { claims, installationId, publicJwk } = analysis.verified;
  if (license !== null) {
    assertIssuable(license);
    // Again over the records read for the commit: an approval may have switched it meanwhile.
    assertModelKept(license, asked);
  }
  const { customer, customerName } = customerOf(records, asked, at);
  return buildTokenTransaction(
    {
      kind: 'issue',
      operator: who,
      license,
      customer,
      customerName,
      installation: {
        id: installationId,
        publicKey: publicJwk,
        product: claims.product,
        record: records.installation,
      },
      model: asked.model,
      credentials: asked.credentials,
      term: termFor(asked, license?.term ?? null, Math.floor(at / 1000)),
      challengeHash: analysis.hash,
      challengeId: claims.jti,
      requestId: null,
      terms: asked,
      entitlements: records.entitlements,
    },
    key,
    at,
  );
}

function assertIssuable(license: License): void {
  if (license.state === 'revoked') {
    throw new LicenseStateError(
      'revoked',
      `license ${license.id} is revoked: issue a new license instead`,
    );
  }
  if (license.state === 'suspended') {
    throw new LicenseStateError('suspended', `license ${license.id} is suspended: resume it first`);
  }
}

/**
 * The model of a license in force changes only through an approved request (the customer's
 * Activate, `approve` here): `issue` keeps it, whatever the challenge asks for.
 */
function assertModelKept(license: License, asked: Terms): void {
  if (asked.model !== license.model) {
    throw new ModelSwitchNotApprovedError(license.id, license.model, asked.model);
  }
}

/**
 * The customer the token names and the name it carries: the license's or the one the terms name
 * (renamed to the terms' name, unless another customer has it), else the customer of that name
 * (under its own name when it differs only in case), else a new one.
 */
function customerOf(
  records: IssueRecords,
  terms: Terms,
  at: number,
): { customer: Customer; customerName: string } {
  const { license, customer, namesake } = records;
  if (license !== null) {
    if (terms.customerId !== undefined && terms.customerId !== license.customerId) {
      throw new TermsInvalidError('customerId', `is not the customer of license ${license.id}`);
    }
    if (customer === null) throw new CustomerNotFoundError(license.customerId);
  } else if (terms.customerId !== undefined) {
    if (customer === null) throw new CustomerNotFoundError(terms.customerId);
  } else if (customer !== null) {
    return { customer, customerName: customer.name };
  } else {
    return { customer: newCustomer(terms.customerName, at), customerName: terms.customerName };
  }
  if (namesake !== null) {
    throw new NameTakenError(
      'customer',
      terms.customerName,
      namesake,
      `this key would rename customer ${customer.id} ("${customer.name}") to it; issue under "${customer.name}", or rename one of them first`,
    );
  }
  return { customer, customerName: terms.customerName };
}

/** The stored answer to this challenge, completed if a crash interrupted its writes. */
export async function replayIssue(
  context: IssuerContext,
  existing: TokenTransaction,
  asked: Terms | null,
): Promise<IssueResult> {
  if (
    asked !== null &&
    (existing.terms === null || !sameTerms(asked, existing.terms, existing.customerId))
  ) {
    throw new ChallengeUsedError(existing.id);
  }
  if (!existing.applied) await context.store.applyTransaction(existing);
  const license = await context.store.getLicense(existing.licenseId);
  return {
    token: existing.token,
    transaction: { ...existing, applied: true },
    license: license ?? existing.licenseAfter,
    replayed: true,
  };
}
