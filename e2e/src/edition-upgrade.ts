// An edition upgrade, end to end: the vendor keeps a product and a Standard plan (with an
// add-on it allows); a CMS is licensed on Standard, its customer asks for the add-on in a
// challenge, the vendor sees what is asked against what the plan allows and approves it, and
// the CMS sees the new feature. `pnpm demo` prints it; the end-to-end tests assert it.
import type { LicenseInfo } from '@licensor/sdk';
import type { Cms } from './cms.js';
import type { Say } from './journey.js';
import { PortalClient } from './portal-client.js';
import type { Product } from './product.js';

export const DEMO_PRODUCT = { name: 'vSEC:CMS', version: '6.1.0' };

const STANDARD_PLAN = {
  name: 'Standard',
  description: 'The CMS with HSM support; mobile credentials as an add-on.',
  products: [DEMO_PRODUCT.name],
  model: 'subscription',
  credentials: { value: 250, min: 100, max: 1000 },
  termDays: 365,
  graceDays: 14,
  renewalDays: 365,
  features: ['hsm-support'],
  addOns: ['mobile-credentials'],
  limits: [{ name: 'sites', value: 3, min: 1, max: 10 }],
};

interface Inspection {
  findings: { kind: string; message: string }[];
  entitlements: {
    plan: { name: string; revision: number } | null;
    features: { name: string; asked: boolean; held: boolean; allowed: boolean }[];
  };
  suggestedTerms: Record<string, unknown>;
}
interface IssueAnswer {
  licenseKey: string;
  license: { id: string; revision: number };
}

export interface EditionRecord {
  licenseId: string;
  onStandard: LicenseInfo;
  upgradeInspection: Inspection;
  afterUpgrade: LicenseInfo;
  sitesCapacity: string;
}

/** The catalogue the demo needs, made once with `licensor-issuer` (the vendor's admin). */
async function ensureCatalogue(product: Product): Promise<void> {
  const products = JSON.parse(await product.issuer(['products', 'list', '--json'])) as {
    name: string;
  }[];
  if (!products.some((p) => p.name === DEMO_PRODUCT.name)) {
    await product.issuer(['products', 'add', DEMO_PRODUCT.name, '--versions', '6']);
  }
  const plans = JSON.parse(await product.issuer(['plans', 'list', '--json'])) as {
    name: string;
  }[];
  if (!plans.some((p) => p.name === STANDARD_PLAN.name)) {
    await product.issuer(['plans', 'add', '-'], JSON.stringify(STANDARD_PLAN));
  }
}

const featureList = (info: LicenseInfo) =>
  info.features
    .map((f) =>
      f.until === null ? f.name : `${f.name} (until ${new Date(f.until * 1000).toISOString()})`,
    )
    .join(', ') || 'none';

export async function runEditionUpgrade(
  product: Product,
  cms: Cms,
  say: Say,
): Promise<EditionRecord> {
  await ensureCatalogue(product);
  say(
    'vendor',
    'keeps a product and a Standard plan (licensor-issuer products add, plans add)',
    await product.issuer(['plans', 'show', STANDARD_PLAN.name]),
  );
  const vendor = await PortalClient.login(
    product.portalUrl,
    product.vendor.name,
    product.vendor.password,
  );

  const challenge = await cms.getChallenge({ customer: 'Initech' });
  say(
    'CMS operator',
    `${DEMO_PRODUCT.name} ${DEMO_PRODUCT.version}: Get challenge for a new license`,
  );
  const issued = await vendor.post<IssueAnswer>('/challenges/issue', {
    challenge,
    terms: { customerName: 'Initech', model: 'subscription', credentials: 250, plan: 'Standard' },
  });
  say('vendor', 'issues it from the Standard plan', `license ${issued.license.id}`);
  await cms.upgrade(issued.licenseKey);
  const onStandard = await cms.viewLicense();
  say('CMS operator', 'Upgrade; View License', `features: ${featureList(onStandard)}`);

  const ask = await cms.getChallenge({
    features: ['mobile-credentials'],
    limitsInUse: { sites: 2 },
  });
  say('CMS operator', 'asks for the mobile-credentials add-on: Get challenge with the feature');
  const inspection = await vendor.post<Inspection>('/challenges/inspect', { challenge: ask });
  const shown = inspection.entitlements.features
    .map(
      (f) =>
        `${f.name}: ${f.held ? 'held' : f.asked ? 'asked' : 'not held'}, ${f.allowed ? 'allowed by the plan' : 'NOT allowed by the plan'}`,
    )
    .join('\n');
  say(
    'vendor',
    `inspects it: asked against what plan ${inspection.entitlements.plan?.name ?? '-'} allows`,
    `${inspection.findings.map((f) => f.message).join('; ')}\n${shown}`,
  );
  const upgraded = await vendor.post<IssueAnswer>('/challenges/issue', {
    challenge: ask,
    terms: inspection.suggestedTerms,
  });
  say(
    'vendor',
    'approves the add-on: issues the suggested terms',
    `revision ${upgraded.license.revision}`,
  );
  await cms.upgrade(upgraded.licenseKey);
  const afterUpgrade = await cms.viewLicense();
  say('CMS operator', 'Upgrade; View License', await cms.viewLicenseText());
  const sites = await cms.capacityText('sites', 2);
  say(
    'CMS operator',
    'may one more site be added? (licensor capacity --limit sites --in-use 2)',
    sites.stdout.trim() || sites.stderr.trim(),
  );

  return {
    licenseId: issued.license.id,
    onStandard,
    upgradeInspection: inspection,
    afterUpgrade,
    sitesCapacity: sites.stdout,
  };
}
