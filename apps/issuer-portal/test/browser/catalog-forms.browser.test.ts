// Changing the catalogue in a real browser (#12.5): an admin creates a product and a plan on the
// Products and plans page, edits them, archives them; a refusal (a taken name, a plan that
// contradicts itself, a rename of a product with keys of its own) is shown inside the dialog,
// which stays open, and the store is unchanged. An issuer sees the catalogue without buttons.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addStandardPlan, type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

describeInChromium('changing products and plans in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  let licenseId = '';

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    await addStandardPlan(fixture);
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation(), { v: 2 }),
      { customerName: 'Initech', model: 'subscription', credentials: 250, plan: 'Standard' },
      'ivan',
    );
    licenseId = issued.license.id;
    browser = await launch();
    page = await loggedInPage(browser, url, 'alice');
    await page.goto(`${url}/plans`);
    await page.getByRole('table', { name: 'Products' }).getByText('vSEC:CMS').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('creates a product; a taken name is refused inside the dialog and nothing is stored', async () => {
    await page.getByRole('button', { name: 'New product' }).click();
    const dialog = page.getByRole('dialog', { name: 'New product' });
    await dialog.getByLabel('Name').fill('vSEC:CMS');
    await dialog.getByLabel('Versions covered').fill('7');
    await dialog.getByRole('button', { name: 'Create product' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.getByText('The product was not created').waitFor();
    await expect(refusal.textContent()).resolves.toContain('vSEC:CMS');
    await expect(refusal.textContent()).resolves.toContain('ERR_NAME_TAKEN');
    expect(await dialog.isVisible()).toBe(true);
    await expect(dialog.getByLabel('Versions covered').inputValue()).resolves.toBe('7');
    expect((await fixture.issuer.products.list()).map((p) => [p.name, p.versions])).toEqual([
      ['vSEC:CMS', ['6']],
    ]);

    await dialog.getByLabel('Name').fill('vSEC:Mobile');
    await dialog.getByLabel('Versions covered').fill('2, 3.1');
    await dialog.getByRole('button', { name: 'Create product' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByRole('table', { name: 'Products' }).getByRole('row', { name: /Mobile/ });
    await row.getByText('2, 3.1').waitFor();
    const made = await fixture.issuer.products.get('vSEC:Mobile');
    expect(made?.versions).toEqual(['2', '3.1']);
    expect(made?.status).toBe('active');
  });

  it('edits a product; renaming a product with keys of its own is refused (422 naming the name)', async () => {
    await page.getByRole('button', { name: 'Edit product vSEC:Mobile' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit product vSEC:Mobile' });
    await expect(dialog.getByLabel('Versions covered').inputValue()).resolves.toBe('2, 3.1');
    await dialog.getByLabel('Versions covered').fill('3');
    await dialog.getByLabel('Description').fill('The mobile credential app');
    await dialog.getByRole('button', { name: 'Save product' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('table', { name: 'Products' }).getByRole('cell', { name: '3' }).waitFor();
    const edited = (await fixture.issuer.products.get('vSEC:Mobile'))!;
    expect([edited.versions, edited.description, edited.version]).toEqual([
      ['3'],
      'The mobile credential app',
      2,
    ]);

    await fixture.issuer.keys.rotate('license', 'alice', { product: edited.id });
    await page.getByRole('button', { name: 'Edit product vSEC:Mobile' }).click();
    const rename = page.getByRole('dialog', { name: 'Edit product vSEC:Mobile' });
    await rename.getByLabel('Name').fill('vSEC:Phone');
    await rename.getByRole('button', { name: 'Save product' }).click();
    const refusal = rename.getByRole('alert');
    await refusal.getByText('The product was not changed').waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/name cannot change/);
    await expect(refusal.textContent()).resolves.toContain('ERR_PRODUCT_INVALID');
    await screenshot(page, 'product-refused');
    const after = (await fixture.issuer.products.get(edited.id))!;
    expect([after.name, after.version]).toEqual(['vSEC:Mobile', 2]);
    await rename.getByRole('button', { name: 'Cancel' }).click();
    await rename.waitFor({ state: 'hidden' });
  });

  it('creates a plan with its bounds, entitlements and renewal policy', async () => {
    await page.getByRole('button', { name: 'New plan' }).click();
    const dialog = page.getByRole('dialog', { name: 'New plan' });
    await dialog.getByLabel('Name').fill('Mobile');
    await dialog.getByLabel('vSEC:Mobile').check();
    await dialog.getByLabel('Credentials: default').fill('100');
    await dialog.getByLabel('Credentials: least').fill('50');
    await dialog.getByLabel('Credentials: most').fill('500');
    await dialog.getByLabel('Term: default').fill('365');
    await dialog.getByLabel('Grace: default').fill('14');
    await dialog.getByLabel('Renewal adds (days)').fill('365');
    await dialog.getByLabel('Renewable from (days before the end)').fill('60');
    await dialog.getByLabel('Renew automatically').check();
    await dialog.getByLabel('Features (included)').fill('mobile-credentials');
    await dialog.getByLabel('Add-ons').fill('hsm-support (90 days)');
    await dialog.getByLabel('Limits').fill('sites=2 (1-5), phones=oops');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    // The page marks the field it can check itself; nothing is sent.
    await dialog.getByText('"phones=oops" is not a limit').waitFor();
    await dialog.getByRole('alert').getByText('Fix the fields marked below.').waitFor();
    expect(await fixture.issuer.plans.get('Mobile')).toBeNull();
    await dialog.getByLabel('Limits').fill('sites=2 (1-5)');
    await screenshot(page, 'plan-new');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByLabel('Plan Mobile', { exact: true }).waitFor();
    const plan = (await fixture.issuer.plans.get('Mobile'))!;
    const product = (await fixture.issuer.products.get('vSEC:Mobile'))!;
    expect(plan).toMatchObject({
      products: [product.id],
      model: 'subscription',
      credentials: { value: 100, min: 50, max: 500 },
      termDays: { value: 365, min: 365, max: 365 },
      graceDays: { value: 14, min: 14, max: 14 },
      renewalDays: 365,
      renewalGraceDays: null,
      renewalWindowDays: 60,
      autoRenew: true,
      features: [{ name: 'mobile-credentials' }],
      addOns: [{ name: 'hsm-support', days: 90 }],
      limits: [{ name: 'sites', value: 2, min: 1, max: 5 }],
      revision: 1,
    });
    await expect(page.getByLabel('Plan Mobile', { exact: true }).textContent()).resolves.toMatch(
      /renewals 365 days, from 60 days before the end, automatic/,
    );
  });

  it('edits a plan: a new revision, no issued license changed; a plan that contradicts itself is refused', async () => {
    await page.getByRole('button', { name: 'Edit plan Standard' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit plan Standard' });
    // The form holds the plan as it is.
    await expect(dialog.getByLabel('Credentials: default').inputValue()).resolves.toBe('250');
    await expect(dialog.getByLabel('Limits').inputValue()).resolves.toBe('sites=3 (1-10)');
    await expect(dialog.getByLabel('Add-ons').inputValue()).resolves.toBe('mobile-credentials');
    // A default outside its own bounds: the issuer names the field; nothing changes.
    await dialog.getByLabel('Credentials: default').fill('5000');
    await dialog.getByRole('button', { name: 'Save plan' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.getByText('The plan was not changed').waitFor();
    await expect(refusal.textContent()).resolves.toContain('credentials');
    await expect(refusal.textContent()).resolves.toContain('ERR_PLAN_INVALID');
    await screenshot(page, 'plan-refused');
    const before = (await fixture.issuer.plans.get('Standard'))!;
    expect([before.revision, before.credentials.value]).toEqual([1, 250]);

    await dialog.getByLabel('Credentials: default').fill('300');
    await dialog.getByLabel('Features (included)').fill('hsm-support, audit');
    await dialog.getByRole('button', { name: 'Save plan' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Standard revision 2' }).waitFor();
    const after = (await fixture.issuer.plans.get('Standard'))!;
    expect(after.revision).toBe(2);
    expect(after.credentials).toEqual({ value: 300, min: 100, max: 1000 });
    expect(after.features.map((f) => f.name)).toEqual(['audit', 'hsm-support']);
    // The license issued from revision 1 keeps what it holds, and is listed as left behind.
    const license = (await fixture.issuer.getLicense(licenseId))!.license;
    expect(license.revision).toBe(1);
    expect(license.entitlements?.features.map((f) => f.name)).toEqual(['hsm-support']);
    await page
      .getByRole('table', { name: 'Licenses behind Standard' })
      .getByRole('cell', { name: licenseId })
      .waitFor();
    // What the form did not touch stays as it was.
    expect([after.termDays, after.graceDays, after.limits, after.addOns]).toEqual([
      before.termDays,
      before.graceDays,
      before.limits,
      before.addOns,
    ]);
  });

  it('an edit that changes one field keeps the rest of the plan as it was (days, ranges, renewals)', async () => {
    const before = (await fixture.issuer.plans.get('Mobile'))!;
    await page.getByRole('button', { name: 'Edit plan Mobile' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit plan Mobile' });
    await expect(dialog.getByLabel('Add-ons').inputValue()).resolves.toBe('hsm-support (90 days)');
    await expect(dialog.getByLabel('Limits').inputValue()).resolves.toBe('sites=2 (1-5)');
    await expect(dialog.getByLabel('Renew automatically').isChecked()).resolves.toBe(true);
    await dialog.getByLabel('Description').fill('For the mobile app');
    await dialog.getByRole('button', { name: 'Save plan' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Mobile revision 2' }).waitFor();
    const after = (await fixture.issuer.plans.get('Mobile'))!;
    const { description, revision, version, updatedAt, ...kept } = after;
    expect([description, revision]).toEqual(['For the mobile app', 2]);
    await page
      .getByLabel('Plan Mobile', { exact: true })
      .getByRole('definition')
      .filter({ hasText: 'For the mobile app' })
      .waitFor();
    expect(kept).toEqual({
      ...before,
      description: undefined,
      revision: undefined,
      version: undefined,
      updatedAt: undefined,
    });
  });

  it('archives a plan and a product (asked first); restores both', async () => {
    await page.getByRole('button', { name: 'Archive plan Mobile' }).click();
    const confirm = page.getByRole('dialog', { name: 'Archive plan Mobile?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await fixture.issuer.plans.get('Mobile'))?.status).toBe('active');
    await page.getByRole('button', { name: 'Archive plan Mobile' }).click();
    await confirm.getByRole('button', { name: 'Archive plan' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Mobile revision 2 archived' }).waitFor();
    await page.getByRole('button', { name: 'Restore plan Mobile' }).waitFor();
    expect((await fixture.issuer.plans.get('Mobile'))?.status).toBe('archived');

    await page.getByRole('button', { name: 'Archive product vSEC:Mobile' }).click();
    await page
      .getByRole('dialog', { name: 'Archive product vSEC:Mobile?' })
      .getByRole('button', { name: 'Archive product' })
      .click();
    await page.getByRole('button', { name: 'Restore product vSEC:Mobile' }).waitFor();
    expect((await fixture.issuer.products.get('vSEC:Mobile'))?.status).toBe('archived');
    await screenshot(page, 'plans-admin', { fullPage: true });

    await page.getByRole('button', { name: 'Restore plan Mobile' }).click();
    await page
      .getByRole('dialog', { name: 'Restore plan Mobile?' })
      .getByRole('button', { name: 'Restore plan' })
      .click();
    await page.getByRole('button', { name: 'Archive plan Mobile' }).waitFor();
    expect((await fixture.issuer.plans.get('Mobile'))?.status).toBe('active');
    await page.getByRole('button', { name: 'Restore product vSEC:Mobile' }).click();
    await page
      .getByRole('dialog', { name: 'Restore product vSEC:Mobile?' })
      .getByRole('button', { name: 'Restore product' })
      .click();
    await page.getByRole('button', { name: 'Archive product vSEC:Mobile' }).waitFor();
    expect((await fixture.issuer.products.get('vSEC:Mobile'))?.status).toBe('active');
    const audit = await fixture.issuer.listAuditEvents({});
    expect(
      audit
        .map((event) => event.action)
        .filter((action) => /^(plan|product)\.(archive|restore)$/.test(action))
        .sort(),
    ).toEqual(['plan.archive', 'plan.restore', 'product.archive', 'product.restore']);
  });

  it('an issuer sees the catalogue without buttons to change it', async () => {
    const issuer = await loggedInPage(browser, url, 'ivan');
    await issuer.goto(`${url}/plans`);
    await issuer.getByLabel('Plan Standard', { exact: true }).waitFor();
    await issuer.getByRole('table', { name: 'Products' }).getByText('vSEC:Mobile').waitFor();
    for (const name of [/New product/, /New plan/, /^Edit /, /^Archive /, /^Restore /]) {
      expect(await issuer.getByRole('button', { name }).count(), String(name)).toBe(0);
    }
    await issuer.context().close();
  });
});
