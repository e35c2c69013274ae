// Entitlement editing in a real browser: the Issue form's plan fills its defaults, the operator
// adds an add-on and overrides a limit within the plan's bounds; the license page's editor
// issues a new key that replaces the one in force (audited); a refusal by the server (the plan
// was archived meanwhile) is shown in the dialog and changes nothing.
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

describeInChromium('entitlement editing in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  let licenseId = '';

  const held = async () => {
    const detail = await fixture.issuer.getLicense(licenseId);
    return {
      revision: detail?.license.revision,
      plan: detail?.license.entitlements?.plan?.name,
      features: detail?.license.entitlements?.features.map((f) => f.name),
      limits: detail?.license.entitlements?.limits.map((l) => `${l.name}=${l.value}`),
    };
  };

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    await addStandardPlan(fixture);
    browser = await launch();
    page = await loggedInPage(browser, url, 'ivan', { viewport: { width: 1280, height: 900 } });
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('issues from a plan chosen on the Issue form, with an add-on and a limit within bounds', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Issue a key' })
      .click();
    await page
      .getByLabel('Challenge', { exact: true })
      .fill(makeChallenge(fixture, newInstallation(), { v: 2 }));
    await page.getByRole('button', { name: 'Read challenge' }).click();
    const form = page.getByRole('form', { name: 'Terms' });
    await form.getByLabel('Plan', { exact: true }).selectOption({ label: 'Standard' });
    // The plan's defaults are filled in.
    await expect(form.getByLabel('Model').inputValue()).resolves.toBe('subscription');
    await expect(form.getByLabel('Number of credentials').inputValue()).resolves.toBe('250');
    await expect(form.getByLabel('Term (days)').inputValue()).resolves.toBe('365');
    await expect(form.getByLabel('Limit sites').inputValue()).resolves.toBe('3');
    await expect(form.textContent()).resolves.toContain('Included in Standard: hsm-support');
    await form.getByLabel('Add-on mobile-credentials').check();
    // Beyond the plan's bound: refused at the field, nothing issued.
    await form.getByLabel('Limit sites').fill('12');
    await form.getByRole('button', { name: 'Issue key' }).click();
    await form.getByText('Enter a whole number from 1 to 10.').waitFor();
    expect(await fixture.issuer.listLicenses()).toEqual([]);
    await form.getByLabel('Limit sites').fill('5');
    await expect(form.getByText('Enter a whole number from 1 to 10.').count()).resolves.toBe(0);
    await screenshot(page, 'issue-plan', { fullPage: true });
    await form.getByRole('button', { name: 'Issue key' }).click();
    await page.getByTestId('license-key').waitFor();
    const [license] = await fixture.issuer.listLicenses();
    licenseId = license!.id;
    await expect(held()).resolves.toEqual({
      revision: 1,
      plan: 'Standard',
      features: ['hsm-support', 'mobile-credentials'],
      limits: ['sites=5'],
    });
  });

  it("edits a license's entitlements: a new key replaces the one in force, audited", async () => {
    await page.goto(`${url}/licenses/${licenseId}`);
    await page.getByRole('button', { name: 'Edit entitlements' }).click();
    const dialog = page.getByTestId('confirm');
    await expect(dialog.getByLabel('Limit sites').inputValue()).resolves.toBe('5');
    await expect(dialog.getByLabel('Add-on mobile-credentials').isChecked()).resolves.toBe(true);
    await dialog.getByLabel('Add-on mobile-credentials').uncheck();
    await dialog.getByLabel('Limit sites').fill('7');
    await screenshot(page, 'license-entitlements-edit');
    await dialog.getByRole('button', { name: 'Issue the new key' }).click();
    await page.getByTestId('license-key').waitFor();
    await expect(held()).resolves.toEqual({
      revision: 2,
      plan: 'Standard',
      features: ['hsm-support'],
      limits: ['sites=7'],
    });
    const card = page.locator('section.card', { hasText: 'Plan and entitlements' });
    await expect.poll(() => card.textContent()).toContain('sites 7');
    const audit = await fixture.issuer.listAuditEvents({ subjectId: licenseId });
    expect(audit.map((e) => e.action)).toContain('license.reissue');
  });

  it('approves a switch to a subscription from a plan, with the add-on asked for and a limit within bounds', async () => {
    const installation = newInstallation();
    const perpetual = await fixture.issuer.issue(
      makeChallenge(fixture, installation, { v: 2 }),
      { customerName: 'Initech', model: 'perpetual', credentials: 200 },
      'ivan',
    );
    const switchId = perpetual.license.id;
    const inspection = await fixture.issuer.inspect(
      makeChallenge(fixture, installation, {
        v: 2,
        license: { id: switchId, revision: 1, customerName: 'Initech', model: 'perpetual' },
        request: { kind: 'model-switch', model: 'subscription', features: ['mobile-credentials'] },
      }),
      'ivan',
    );
    const requestId = inspection.approvalRequest!.id;
    const entitlementsOf = async () => {
      const detail = await fixture.issuer.getLicense(switchId);
      return {
        revision: detail?.license.revision,
        model: detail?.license.model,
        plan: detail?.license.entitlements?.plan?.name ?? null,
        features: detail?.license.entitlements?.features.map((f) => f.name),
        limits: detail?.license.entitlements?.limits.map((l) => `${l.name}=${l.value}`),
      };
    };
    const before = await entitlementsOf();
    expect(before).toMatchObject({ revision: 1, model: 'perpetual', plan: null });

    await page.goto(`${url}/requests`);
    await page.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByTestId('confirm');
    await dialog.getByLabel('Plan', { exact: true }).selectOption({ label: 'Standard' });
    // The add-on the customer asks for is ticked; the plan's limit default and term are filled.
    await expect(dialog.getByLabel('Add-on mobile-credentials').isChecked()).resolves.toBe(true);
    await expect(dialog.getByLabel('Limit sites').inputValue()).resolves.toBe('3');
    await expect(dialog.getByLabel('Term (days)').inputValue()).resolves.toBe('365');
    await expect(dialog.textContent()).resolves.toContain('Included in Standard: hsm-support');
    await screenshot(page, 'request-approve-plan');
    // Beyond the plan's bound: refused at the field, nothing signed, the request still pending.
    await dialog.getByLabel('Limit sites').fill('11');
    await dialog.getByRole('button', { name: 'Approve and issue' }).click();
    await dialog.getByText('Enter a whole number from 1 to 10.').waitFor();
    await dialog.getByRole('alert').getByText('Fix the fields marked above.').waitFor();
    await expect(entitlementsOf()).resolves.toEqual(before);
    await expect(fixture.issuer.getRequest(requestId)).resolves.toMatchObject({
      status: 'pending',
    });
    await dialog.getByLabel('Limit sites').fill('6');
    await dialog.getByRole('button', { name: 'Approve and issue' }).click();
    await page.getByTestId('license-key').waitFor();
    await expect(entitlementsOf()).resolves.toEqual({
      revision: 2,
      model: 'subscription',
      plan: 'Standard',
      features: ['hsm-support', 'mobile-credentials'],
      limits: ['sites=6'],
    });
    await expect(fixture.issuer.getRequest(requestId)).resolves.toMatchObject({
      status: 'approved',
    });
  });

  it('shows the server refusing a re-issue from an archived plan, and changes nothing', async () => {
    await page.goto(`${url}/licenses/${licenseId}`);
    await page.getByRole('button', { name: 'Edit entitlements' }).click();
    const dialog = page.getByTestId('confirm');
    await dialog.getByLabel('Limit sites').fill('4');
    await fixture.issuer.plans.archive('Standard', 'alice');
    await dialog.getByRole('button', { name: 'Issue the new key' }).click();
    await dialog.getByText(/archived/).waitFor();
    await expect(held()).resolves.toEqual({
      revision: 2,
      plan: 'Standard',
      features: ['hsm-support'],
      limits: ['sites=7'],
    });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });
});
