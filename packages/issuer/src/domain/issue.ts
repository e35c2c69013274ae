// `issue(challenge, terms, operator)`: answers a challenge with a license key. The key is
// returned only once its transaction is stored; the same challenge with the same terms gives
// back the same key and transaction, with other terms it is refused.

import {
  ApprovalRequiredError,
  ChallengeExpiredError,
  ChallengeUsedError,
  CustomerNotFoundError,
  LicenseNotFoundError,
  LicenseStateError,
  RequestDecidedError,
  TermsInvalidError,
} from '../errors.js';
import type { Customer, IssueResult, License, Operator, Terms, Transaction } from '../types.js';
import { analyseChallenge, requestFor } from './analyse-challenge.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext, nowSeconds } from './context.js';
import { normaliseTerms, sameTerms, termFor } from './terms.js';
import { buildTokenTransaction, newCustomer } from './token-transaction.js';

export async function issue(
  context: IssuerContext,
  challenge: string,
  terms: Terms,
  operator: Operator,
): Promise<IssueResult> {
  const asked = normaliseTerms(terms);
  const who = checkOperator(operator);
  const analysis = await analyseChallenge(context, challenge);
  if (analysis.transaction !== null) return replayIssue(context, analysis.transaction, asked);

  const { claims, installationId, publicJwk } = analysis.verified;
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

  // The first attempt uses what the analysis just read; a retry reads the records again.
  let attempt = 0;
  const committed = await commitWithRetry(context, `license ${licenseId ?? '(new)'}`, async () => {
    const fresh = attempt++ > 0;
    const license =
      licenseId === null
        ? null
        : fresh
          ? await currentLicense(context, licenseId)
          : analysis.license;
    if (license !== null) assertIssuable(license);
    return buildTokenTransaction(context, {
      kind: 'issue',
      operator: who,
      license,
      customer: await customerFor(context, asked, license),
      customerName: asked.customerName,
      installation: {
        id: installationId,
        publicKey: publicJwk,
        product: claims.product,
        record: fresh ? await context.store.getInstallation(installationId) : analysis.installation,
      },
      model: asked.model,
      credentials: asked.credentials,
      term: termFor(asked, license?.term ?? null, nowSeconds(context)),
      challengeHash: analysis.hash,
      challengeId: claims.jti,
      requestId: null,
      terms: asked,
    });
  });
  if (committed.status === 'challenge-used') return replayIssue(context, committed.existing, asked);
  const { transaction } = committed;
  return {
    token: transaction.token!,
    transaction,
    license: transaction.licenseAfter!,
    replayed: false,
  };
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

async function customerFor(
  context: IssuerContext,
  terms: Terms,
  license: License | null,
): Promise<Customer> {
  if (license !== null) {
    if (terms.customerId !== undefined && terms.customerId !== license.customerId) {
      throw new TermsInvalidError('customerId', `is not the customer of license ${license.id}`);
    }
    const customer = await context.store.getCustomer(license.customerId);
    if (customer === null) throw new CustomerNotFoundError(license.customerId);
    return customer;
  }
  if (terms.customerId !== undefined) {
    const customer = await context.store.getCustomer(terms.customerId);
    if (customer === null) throw new CustomerNotFoundError(terms.customerId);
    return customer;
  }
  return (
    (await context.store.findCustomerByName(terms.customerName)) ??
    newCustomer(terms.customerName, context.now())
  );
}

/** The stored answer to this challenge, completed if a crash interrupted its writes. */
export async function replayIssue(
  context: IssuerContext,
  existing: Transaction,
  asked: Terms | null,
): Promise<IssueResult> {
  if (
    asked !== null &&
    (existing.terms === null || !sameTerms(asked, existing.terms, existing.customerId))
  ) {
    throw new ChallengeUsedError(existing.id);
  }
  if (!existing.applied) await context.store.applyTransaction(existing);
  const license = await context.store.getLicense(existing.licenseId!);
  return {
    token: existing.token!,
    transaction: { ...existing, applied: true },
    license: license ?? existing.licenseAfter!,
    replayed: true,
  };
}
