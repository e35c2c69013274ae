// `inspect(challenge)`: what a pasted challenge is and what the vendor must know before
// answering it. A challenge that needs approval (a model switch, a rehost) becomes a pending
// request here, so it shows in the request list even if nobody issues anything.

import { inspectEntitlements } from '../catalog/inspect-entitlements.js';
import type { Inspection } from '../facade.js';
import type { Operator, Terms } from '../records.js';
import { analyseChallenge, type ChallengeAnalysis, requestFor } from './analyse-challenge.js';
import { checkOperator, type IssuerContext } from './context.js';
import type { Finding } from './findings.js';
import { chainFindings } from './forks.js';
import { keysetFindings } from './key-usage.js';

export async function inspect(
  context: IssuerContext,
  challenge: string,
  operator: Operator = 'unknown',
): Promise<Inspection> {
  const analysis = await analyseChallenge(context, challenge);
  const approvalRequest = await requestFor(context, analysis, checkOperator(operator));
  const { claims, installationId, publicJwk } = analysis.verified;
  const suggested = suggestedTerms(analysis);
  // No license in force: issuing finds the customer by name (a new one when none has it), so
  // the inspection names the customer a key would go to.
  const customer =
    analysis.license !== null
      ? await context.store.getCustomer(analysis.license.customerId)
      : suggested.customerName.trim() === ''
        ? null
        : await context.store.findCustomerByName(suggested.customerName);
  const entitled = await inspectEntitlements(context, analysis);
  // A challenge answered already gets its key back, unchanged: it re-binds nothing, so a chain
  // value behind the installation's newest check is no news about a copy.
  const copies = (await chainFindings(context, analysis.verified.claims)).filter(
    (finding) => analysis.transaction === null || finding.kind !== 'possible-copy',
  );
  const keysets = await keysetFindings(context, claims.keyset);
  const existing: Finding[] =
    analysis.license === null && customer !== null && analysis.transaction === null
      ? [
          {
            kind: 'existing-customer',
            message: `a customer named "${customer.name}" exists (${customer.id}): a key issued under this name goes to it${customer.name === suggested.customerName ? '' : `, named "${customer.name}" (customer names are unique ignoring case)`}. To make a new customer, issue under another name`,
          },
        ]
      : [];
  // A key renames the license's customer to the name asked: refused when another customer has it.
  const namesake =
    analysis.license !== null &&
    customer !== null &&
    analysis.transaction === null &&
    suggested.customerName.trim() !== '' &&
    suggested.customerName !== customer.name
      ? await context.store.findCustomerByName(suggested.customerName, customer.id)
      : null;
  // The name change asked, said to be refused (the finding's kind stays: clients know it).
  const clash: Finding | null =
    namesake !== null && customer !== null
      ? {
          kind: 'customer-name-change',
          message: `the installation asks for the customer name "${suggested.customerName}", but customer ${namesake.id} is named "${namesake.name}": a key renaming customer ${customer.id} ("${customer.name}") to it is refused (ERR_NAME_TAKEN). Issue under "${customer.name}", or rename one of them first`,
        }
      : null;
  const analysed =
    clash === null
      ? analysis.findings
      : [...analysis.findings.filter((finding) => finding.kind !== 'customer-name-change'), clash];
  return {
    challengeId: claims.jti,
    challengeHash: analysis.hash,
    installationId,
    installationKey: publicJwk,
    product: claims.product,
    usage: claims.usage,
    claimedLicense: claims.license,
    asked: claims.request,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    expired: analysis.expired,
    license: analysis.license,
    customer,
    installation: analysis.installation,
    findings: [...analysed, ...existing, ...entitled.findings, ...copies, ...keysets],
    suggestedTerms: {
      ...suggested,
      ...(analysis.transaction?.terms ? {} : entitled.suggested),
    },
    transaction: analysis.transaction,
    approvalRequest,
    entitlements: entitled.entitlements,
  };
}

/** The record's terms with the changes the installation asks for, to prefill a form. */
function suggestedTerms(analysis: ChallengeAnalysis): Terms {
  // Already answered: the terms that give back the same key.
  if (analysis.transaction?.terms) return analysis.transaction.terms;
  const { claims } = analysis.verified;
  const license = analysis.license;
  const asked = claims.request;
  const terms: Terms = {
    customerName: asked.customerName ?? license?.customerName ?? claims.license?.customerName ?? '',
    // A license in force keeps its model: a switch is approved, never issued (analyse-challenge).
    model:
      license !== null && asked.kind !== 'model-switch'
        ? license.model
        : (asked.model ?? license?.model ?? claims.license?.model ?? 'perpetual'),
    credentials:
      asked.credentials ?? license?.credentials ?? Math.max(1, claims.usage.credentialsInUse),
  };
  if (license !== null) terms.customerId = license.customerId;
  return terms;
}
