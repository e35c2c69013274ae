// `reissue(licenseId, { plan?, features?, limits? })`: a new token of a license with changed
// entitlements: the current revision of its plan (after the plan changed), another plan, other
// add-ons or limits. Like a renewal it answers no challenge (`chal: null`): the verify service
// hands it to the installation at its next check. Model, credentials and term stay.

import { commitWithRetry } from '../domain/commit.js';
import { checkOperator, currentLicense, type IssuerContext } from '../domain/context.js';
import { licenseSigning } from '../domain/product-keys.js';
import { normaliseTerms } from '../domain/terms.js';
import { buildTokenTransaction, customerOfLicense, issued } from '../domain/token-transaction.js';
import { InputInvalidError, LicenseNotFoundError, LicenseStateError } from '../errors.js';
import type { IssueResult } from '../facade.js';
import type { Operator, Terms } from '../records.js';
import { entitlementsForTerms } from './issue-entitlements.js';

export type ReissueChanges = Pick<Terms, 'plan' | 'features' | 'limits'>;

export async function reissue(
  context: IssuerContext,
  licenseId: string,
  changes: ReissueChanges,
  operator: Operator,
): Promise<IssueResult> {
  const who = checkOperator(operator);
  const key = await licenseSigning(context);
  const committed = await commitWithRetry(context, `license ${licenseId}`, async () => {
    const license = await currentLicense(context, licenseId);
    if (license === null) throw new LicenseNotFoundError(licenseId);
    if (license.state !== 'active') {
      throw new LicenseStateError(
        license.state,
        `license ${licenseId} is ${license.state}: resume it before re-issuing`,
      );
    }
    if (license.installationId === null || license.installationKey === null) {
      throw new InputInvalidError('licenseId', `license ${licenseId} is bound to no installation`);
    }
    const customer =
      (await context.store.getCustomer(license.customerId)) ?? customerOfLicense(license);
    const held = license.entitlements;
    const terms = normaliseTerms({
      customerName: customer.name,
      customerId: license.customerId,
      model: license.model,
      credentials: license.credentials,
      ...(changes.plan !== undefined ? { plan: changes.plan } : {}),
      features: changes.features ?? held?.overrides.features ?? [],
      limits: changes.limits ?? held?.overrides.limits ?? [],
    });
    const entitlements = await entitlementsForTerms(context, {
      terms,
      license,
      challenge: null,
      enforceModel: changes.plan !== undefined,
    });
    return buildTokenTransaction(
      {
        kind: 'reissue',
        operator: who,
        license,
        customer,
        customerName: customer.name,
        installation: {
          id: license.installationId,
          publicKey: license.installationKey,
          product: null,
          record: null,
        },
        model: license.model,
        credentials: license.credentials,
        term: license.term,
        challengeHash: null,
        challengeId: null,
        requestId: null,
        terms,
        entitlements,
      },
      key,
      context.now(),
    );
  });
  if (committed.status !== 'committed') throw new Error('a re-issue has no challenge');
  return issued(committed.transaction);
}
