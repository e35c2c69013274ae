// Products and plans in a real browser: the catalogue page shows a plan's terms and bounds and
// the licenses a plan change left on an older revision; Re-issue brings one up to date; the
// license page shows its plan and entitlements.
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

describeInChromium('products and plans in Chromium', () => {
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
      {
        customerName: 'Initech',
        model: 'subscription',
        credentials: 250,
        plan: 'Standard',
        features: ['mobile-credentials'],
      },
      'ivan',
    );
    licenseId = issued.license.id;
    await fixture.issuer.plans.update('Standard', { features: ['audit', 'hsm-support'] }, 'alice');
    browser = await launch();
    page = await loggedInPage(browser, url, 'ivan');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('shows the plan, and the license a plan change left behind, and re-issues it', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Products and plans' })
      .click();
    const behind = page.getByRole('table', { name: 'Licenses behind Standard' });
    await behind.waitFor();
    expect(await behind.getByRole('row').count()).toBe(2);
    await expect(behind.getByRole('cell', { name: 'features: + audit' }).count()).resolves.toBe(1);
    await page
      .getByLabel('Plan Standard')
      .getByRole('definition')
      .filter({ hasText: /sites 3 \(1–10\)/ })
      .waitFor();
    await screenshot(page, 'plans', { fullPage: true });
    await behind.getByRole('button', { name: 'Re-issue' }).click();
    await behind.waitFor({ state: 'detached' });
    const detail = await fixture.issuer.getLicense(licenseId);
    expect(detail?.license.revision).toBe(2);
    expect(detail?.license.entitlements?.features.map((f) => f.name)).toEqual([
      'audit',
      'hsm-support',
      'mobile-credentials',
    ]);
  });

  it('shows the plan and entitlements on the license page', async () => {
    await page.goto(`${url}/licenses/${licenseId}`);
    const card = page.locator('section.card', { hasText: 'Plan and entitlements' });
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('Standard (revision 2)');
    await expect(card.textContent()).resolves.toContain('audit, hsm-support, mobile-credentials');
    await screenshot(page, 'license-entitlements');
  });

  it("sets a plan's fork policy on the Plans page (admins); an issuer sees it and may not change it", async () => {
    await page.goto(`${url}/plans`);
    const shown = page.getByTestId('plan-fork-policy-Standard');
    await shown.getByText("the verify service's default (warn)").waitFor();
    expect(await shown.getByLabel('Fork policy of Standard').count()).toBe(0);
    const refused = await page.evaluate(async () => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      const answer = await fetch('/api/v1/plans/Standard/fork-policy', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ action: 'suspend' }),
      });
      return [answer.status, (await answer.json()).error.code];
    });
    expect(refused).toEqual([403, 'ERR_FORBIDDEN']);
    expect(await fixture.issuer.forks.getPlanPolicy('Standard')).toBeNull();

    const admin = await loggedInPage(browser, url, 'alice');
    await admin.goto(`${url}/plans`);
    const policy = admin.getByTestId('plan-fork-policy-Standard');
    await policy.getByLabel('Fork policy of Standard').selectOption('suspend');
    await policy.getByRole('button', { name: 'Save fork policy' }).click();
    await policy.locator('strong', { hasText: 'Suspend the copy (the newer branch)' }).waitFor();
    expect(await fixture.issuer.forks.getPlanPolicy('Standard')).toBe('suspend');
    const audit = await fixture.issuer.listAuditEvents({ action: 'plan.fork-policy' });
    expect(audit.map((event) => [event.actor, event.action])).toEqual([
      ['alice', 'plan.fork-policy'],
    ]);
    await screenshot(admin, 'plans-fork-policy');
    // Back to the default: none set on the plan.
    await policy.getByLabel('Fork policy of Standard').selectOption('');
    await policy.getByRole('button', { name: 'Save fork policy' }).click();
    await policy.getByText("the verify service's default (warn)").waitFor();
    expect(await fixture.issuer.forks.getPlanPolicy('Standard')).toBeNull();
    await admin.context().close();
  });

  it("shows a product's own signing keys; an admin makes one, which an issuer cannot", async () => {
    await page.goto(`${url}/plans`);
    const products = page.getByRole('table', { name: 'Products' });
    await products.getByText("the vendor's keys").waitFor();
    expect(await products.getByRole('button', { name: /New signing key/ }).count()).toBe(0);

    const admin = await loggedInPage(browser, url, 'alice');
    await admin.goto(`${url}/plans`);
    const table = admin.getByRole('table', { name: 'Products' });
    await table.getByRole('button', { name: 'New signing key for vSEC:CMS' }).click();
    await table.getByText('next').waitFor();
    await table.getByRole('link', { name: 'Activate on Signing keys' }).waitFor();
    const product = (await fixture.issuer.products.get('vSEC:CMS'))!;
    const own = (await fixture.issuer.keys.list()).filter((key) => key.product === product.id);
    expect(own.map((key) => key.status)).toEqual(['next']);
    await screenshot(admin, 'products-keys');
    // The Signing keys page names the product a key is for; the vendor's keys carry no name.
    await admin.goto(`${url}/keys`);
    const keys = admin.getByRole('table', { name: 'Signing keys' });
    await keys
      .getByRole('row')
      .filter({ hasText: own[0]!.kid })
      .getByText('license, vSEC:CMS only')
      .waitFor();
    expect(await keys.getByRole('row').filter({ hasText: 'only' }).count()).toBe(1);
    await admin.context().close();
  });
});
