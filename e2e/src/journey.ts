// The seed page, end to end: what a CMS operator does on Options - License, and what the
// vendor does in the portal in between. `pnpm demo` prints it; the end-to-end tests assert it.
import type { LicenseInfo, VerifyResult } from '@licensor/sdk';
import type { Cms } from './cms.js';
import { PortalClient } from './portal-client.js';
import type { Product } from './product.js';

export type Say = (actor: 'CMS operator' | 'vendor', step: string, detail?: string) => void;

interface Finding {
  kind: string;
  message: string;
}
interface Inspection {
  installationId: string;
  findings: Finding[];
  approvalRequest: { id: string; kind: string } | null;
}
interface IssueAnswer {
  licenseKey: string;
  transactionId: string;
  license: { id: string; revision: number; model: string; state: string };
}

export interface JourneyRecord {
  licenseId: string;
  firstKey: string;
  afterUpgrade: LicenseInfo;
  firstVerify: VerifyResult;
  switchRequestId: string;
  switchVerify: VerifyResult;
  afterSwitch: LicenseInfo;
  revokedVerify: VerifyResult;
  afterRevoke: LicenseInfo;
}

const when = (seconds: number | null): string =>
  seconds === null ? '-' : new Date(seconds * 1000).toISOString();

function describeVerify(result: VerifyResult): string {
  if (!result.ok)
    return `check failed: ${result.error?.code ?? '?'}: ${result.error?.message ?? ''}`;
  const delivered =
    result.appliedRevision === null
      ? ''
      : `; applied delivered token revision ${result.appliedRevision}`;
  return `result ${result.outcome} at ${when(result.verifiedAt)}${delivered}`;
}

/**
 * Each verify-service instance caches a license's record for its revocation bound; a vendor's
 * change is in every answer once that much time has passed. The journey waits it out, as a
 * real operator's next click would.
 */
async function waitForRevocationBound(product: Product, say: Say): Promise<void> {
  const ms = product.revocationBoundMs;
  if (ms <= 0) return;
  say(
    'vendor',
    `(the verify service answers with the change within its revocation bound: ${ms / 1000} s)`,
  );
  await new Promise((resolve) => setTimeout(resolve, ms + 200));
}

export async function runJourney(product: Product, cms: Cms, say: Say): Promise<JourneyRecord> {
  const vendor = await PortalClient.login(
    product.portalUrl,
    product.vendor.name,
    product.vendor.password,
  );
  const verifyUrl = `${product.verifyUrls[0]!}/v1/checks`;

  say(
    'CMS operator',
    'Options - License - Get challenge',
    'for 100 credentials, customer "Acme Bank"',
  );
  const challenge = await cms.getChallenge({ credentials: 100, customer: 'Acme Bank' });
  say(
    'CMS operator',
    'Copy; send the challenge to the vendor',
    `${challenge.slice(0, 48)}… (${challenge.length} chars)`,
  );

  const inspection = await vendor.post<Inspection>('/challenges/inspect', { challenge });
  say(
    'vendor',
    'pastes the challenge in the portal',
    inspection.findings.map((f) => f.message).join('; '),
  );
  const issued = await vendor.post<IssueAnswer>('/challenges/issue', {
    challenge,
    terms: { customerName: 'Acme Bank', model: 'perpetual', credentials: 100 },
  });
  say(
    'vendor',
    'Issue: sends the license key back',
    `license ${issued.license.id}, transaction ${issued.transactionId}`,
  );

  await cms.upgrade(issued.licenseKey);
  say('CMS operator', 'pastes the key into Upgrade; Upgrade');
  const afterUpgrade = await cms.viewLicense();
  say('CMS operator', 'View License', await cms.viewLicenseText());

  const firstVerify = await cms.verifyLicense(verifyUrl);
  say('CMS operator', 'Verify License', describeVerify(firstVerify));

  const switchChallenge = await cms.activate('subscription');
  say('CMS operator', 'Activate (switch to subscription); sends the request to the vendor');
  const switchInspection = await vendor.post<Inspection>('/challenges/inspect', {
    challenge: switchChallenge,
  });
  const request = switchInspection.approvalRequest;
  if (request === null) throw new Error('the portal made no approval request for the model switch');
  say(
    'vendor',
    'sees the switch request',
    switchInspection.findings.map((f) => f.message).join('; '),
  );
  await vendor.post<IssueAnswer>(`/requests/${request.id}/approve`, {
    termDays: 365,
    graceDays: 14,
  });
  say('vendor', 'approves it: a 365-day subscription with 14 days of offline grace');
  await waitForRevocationBound(product, say);

  const switchVerify = await cms.verifyLicense(verifyUrl);
  say('CMS operator', 'Verify License', describeVerify(switchVerify));
  const afterSwitch = await cms.viewLicense();
  say('CMS operator', 'View License', await cms.viewLicenseText());

  await vendor.post(`/licenses/${issued.license.id}/revoke`, { reason: 'demo: contract ended' });
  say('vendor', `revokes license ${issued.license.id}`);
  await waitForRevocationBound(product, say);
  const revokedVerify = await cms.verifyLicense(verifyUrl);
  say('CMS operator', 'Verify License', describeVerify(revokedVerify));
  const afterRevoke = await cms.viewLicense();
  say('CMS operator', 'View License', await cms.viewLicenseText());

  return {
    licenseId: issued.license.id,
    firstKey: issued.licenseKey,
    afterUpgrade,
    firstVerify,
    switchRequestId: request.id,
    switchVerify,
    afterSwitch,
    revokedVerify,
    afterRevoke,
  };
}
