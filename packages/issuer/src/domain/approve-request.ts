// `approveRequest(requestId)`: answers a challenge that waited for the vendor. A model switch
// gets a token with the new model; a rehost moves the license to the installation that asked.
// The token answers the request's challenge and is also stored for online delivery.

import { type LimitRequest, verifyChallenge } from '@licensor/token';
import { entitlementsForTerms } from '../catalog/issue-entitlements.js';
import {
  ChallengeUsedError,
  LicenseNotFoundError,
  LicenseStateError,
  RequestDecidedError,
  RequestNotFoundError,
  TermsInvalidError,
} from '../errors.js';
import type { ApprovalResult, ApproveOptions, IssueResult } from '../facade.js';
import type { ApprovalRequest, Operator, Term, Terms, TokenTransaction } from '../records.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext, nowSeconds } from './context.js';
import { replayIssue } from './issue.js';
import { licenseSigning } from './product-keys.js';
import { refuseNameOfAnother } from './rename-customer.js';
import {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  normaliseTerms,
  subscriptionTerm,
} from './terms.js';
import { buildTokenTransaction, customerOfLicense, issued } from './token-transaction.js';

export async function approveRequest(
  context: IssuerContext,
  requestId: string,
  operator: Operator,
  options: ApproveOptions = {},
): Promise<ApprovalResult> {
  const who = checkOperator(operator);
  const request = await context.store.getRequest(requestId);
  if (request === null) throw new RequestNotFoundError(requestId);
  const answered = await context.store.findTransactionByChallenge(request.challengeHash);
  if (answered !== null) return replayApproval(context, request, options, answered);
  if (request.status !== 'pending') throw new RequestDecidedError(requestId, request.status);

  const verified = verifyChallenge(request.challenge);
  const { claims } = verified;
  const key = await licenseSigning(context);
  const committed = await commitWithRetry(context, `license ${request.licenseId}`, async () => {
    const license = await currentLicense(context, request.licenseId);
    if (license === null) throw new LicenseNotFoundError(request.licenseId);
    if (license.state !== 'active') {
      throw new LicenseStateError(
        license.state,
        `license ${license.id} is ${license.state}: resume it before approving`,
      );
    }
    const customer = await context.store.getCustomer(license.customerId);
    const customerName = request.asked.customerName ?? customer?.name ?? license.customerName;
    if (customer !== null && customerName !== customer.name) {
      await refuseNameOfAnother(
        context,
        customer.id,
        customerName,
        `this key would rename customer ${customer.id} ("${customer.name}") to it; rename one of them first`,
      );
    }
    const model =
      request.kind === 'model-switch' ? (request.asked.model ?? license.model) : license.model;
    const credentials = options.credentials ?? request.asked.credentials ?? license.credentials;
    const term = approvedTerm(request, license.term, model, options, nowSeconds(context));
    const held = license.entitlements;
    const terms: Terms = normaliseTerms({
      customerName,
      customerId: license.customerId,
      model,
      credentials,
      ...(model === 'subscription' && options.termDays !== undefined
        ? { termDays: options.termDays }
        : {}),
      ...(model === 'subscription' && options.graceDays !== undefined
        ? { graceDays: options.graceDays }
        : {}),
      // The license's plan and add-ons stay unless the approval names others.
      ...(options.plan !== undefined ? { plan: options.plan } : {}),
      features: options.features ?? held?.overrides.features ?? [],
      limits: options.limits ?? held?.overrides.limits ?? [],
    });
    const entitlements = await entitlementsForTerms(context, {
      terms,
      license,
      challenge: claims,
      // A switch changes the model: the plan's model binds only a plan the approval names.
      enforceModel: options.plan !== undefined,
    });
    return buildTokenTransaction(
      {
        kind: request.kind,
        operator: who,
        license,
        customer: customer ?? customerOfLicense(license),
        customerName,
        installation: {
          id: verified.installationId,
          publicKey: verified.publicJwk,
          product: claims.product,
          record: await context.store.getInstallation(verified.installationId),
        },
        model,
        credentials,
        term,
        challengeHash: request.challengeHash,
        challengeId: claims.jti,
        requestId: request.id,
        terms,
        entitlements,
      },
      key,
      context.now(),
    );
  });
  if (committed.status === 'challenge-used') {
    return replayApproval(context, request, options, committed.existing);
  }
  const { transaction } = committed;
  return withRequest(context, issued(transaction));
}

function approvedTerm(
  request: ApprovalRequest,
  current: Term | null,
  model: Terms['model'],
  options: ApproveOptions,
  nowSec: number,
): Term | null {
  if (model === 'perpetual') {
    if (options.termDays !== undefined || options.graceDays !== undefined) {
      throw new TermsInvalidError('termDays', 'applies to subscriptions only');
    }
    return null;
  }
  // A rehost keeps the term the license has (a new grace period if one is given); a switch to
  // subscription starts one.
  if (request.kind === 'rehost' && current !== null && options.termDays === undefined) {
    if (options.graceDays === undefined) return current;
    return { ...current, grace: subscriptionTerm(1, options.graceDays, nowSec).grace };
  }
  return subscriptionTerm(options.termDays, options.graceDays, nowSec);
}

/**
 * The same approval run again: it gives back the same transaction, unless a term given now
 * differs from what the first approval gave; then it is refused, naming the first transaction
 * and what differs (as `issue` does for a challenge). A term not given now is not compared:
 * `approve REQ` again is how the vendor gets the key once more.
 */
async function replayApproval(
  context: IssuerContext,
  request: ApprovalRequest,
  options: ApproveOptions,
  existing: TokenTransaction,
): Promise<ApprovalResult> {
  const difference =
    approvalDifference(request, options, existing.terms) ??
    entitlementDifference(options, existing);
  if (difference !== null) throw new ChallengeUsedError(existing.id, difference);
  return withRequest(context, await replayIssue(context, existing, null));
}

/** What `options` ask for that the first approval (`terms`) did not give; null when the same. */
function approvalDifference(
  request: ApprovalRequest,
  options: ApproveOptions,
  terms: Terms | null,
): string | null {
  if (terms === null) return null;
  if (terms.model === 'perpetual') {
    if (options.termDays !== undefined || options.graceDays !== undefined) {
      throw new TermsInvalidError('termDays', 'applies to subscriptions only');
    }
  }
  if (options.credentials !== undefined && options.credentials !== terms.credentials) {
    return `credentials ${options.credentials}, not ${terms.credentials}`;
  }
  if (terms.model === 'perpetual') return null;
  // What the first approval gave when a term was not given: the default of a new term, or for
  // a rehost without a term, the term the license had.
  const kept = request.kind === 'rehost' && terms.termDays === undefined;
  const termThen = terms.termDays ?? (kept ? 'the term kept' : DEFAULT_TERM_DAYS);
  const graceThen = terms.graceDays ?? (kept ? 'the grace kept' : DEFAULT_GRACE_DAYS);
  if (options.termDays !== undefined && options.termDays !== termThen) {
    return `term ${options.termDays} days, not ${days(termThen)}`;
  }
  if (options.graceDays !== undefined && options.graceDays !== graceThen) {
    return `grace ${options.graceDays} days, not ${days(graceThen)}`;
  }
  return null;
}

/**
 * The plan, add-ons or limits `options` ask for that the first approval did not give; null when
 * the same or not given (`approve REQ` again without them gets the same key).
 */
function entitlementDifference(options: ApproveOptions, existing: TokenTransaction): string | null {
  const held = existing.licenseAfter.entitlements;
  const plan = held?.plan ?? null;
  if (options.plan !== undefined && options.plan !== plan?.id && options.plan !== plan?.name) {
    return `plan ${options.plan}, not ${plan === null ? 'none' : plan.name}`;
  }
  const given = held?.overrides ?? { features: [], limits: [] };
  const features = (list: readonly string[]) => [...new Set(list)].sort().join(', ') || 'none';
  if (options.features !== undefined && features(options.features) !== features(given.features)) {
    return `features ${features(options.features)}, not ${features(given.features)}`;
  }
  const limits = (list: readonly LimitRequest[]) =>
    list
      .map((limit) => `${limit.name}=${limit.value}`)
      .sort()
      .join(', ') || 'none';
  if (options.limits !== undefined && limits(options.limits) !== limits(given.limits)) {
    return `limits ${limits(options.limits)}, not ${limits(given.limits)}`;
  }
  return null;
}

const days = (value: number | string) => (typeof value === 'number' ? `${value} days` : value);

async function withRequest(context: IssuerContext, result: IssueResult): Promise<ApprovalResult> {
  const request = await context.store.getRequest(result.transaction.requestId ?? '');
  return { ...result, request: request! };
}
