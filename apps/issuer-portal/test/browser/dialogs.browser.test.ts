// Dialogs while their action runs, in a real browser: Cancel is disabled and Escape does nothing
// until the server answers, so an action is never "cancelled" while it goes on, its refusal is
// shown, and a secret made meanwhile is shown, never saved up for the next dialog.
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  servePortal,
} from './browser.js';

/** Holds the requests `route` matches until `release()`. */
function held() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    handle: async (route: Route) => {
      await gate;
      await route.continue();
    },
  };
}

describeInChromium('dialogs while their action runs, in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let ivan: Page;
  let alice: Page;
  let url: string;

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    browser = await launch();
    ivan = await loggedInPage(browser, url, 'ivan');
    alice = await loggedInPage(browser, url, 'alice');
    ivan.setDefaultTimeout(10_000);
    alice.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('keeps a Confirm open while its action runs: Cancel disabled, Escape ignored, the refusal shown', async () => {
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      { customerName: 'Hooli', model: 'perpetual', credentials: 50 },
      'ivan',
    );
    const licenseId = issued.license.id;
    await ivan.goto(`${url}/licenses/${licenseId}`);
    const gate = held();
    await ivan.route('**/revoke', gate.handle);
    try {
      await ivan.getByRole('button', { name: 'Revoke' }).click();
      const dialog = ivan.getByRole('dialog', { name: 'Revoke this license?' });
      await dialog.getByRole('button', { name: 'Revoke' }).click();
      const cancel = dialog.getByRole('button', { name: 'Cancel' });
      await expect.poll(() => cancel.isDisabled()).toBe(true);
      // Counted in the page: a dialog that closed and opened again in between looks open to a
      // later look, yet was closed (Chromium refuses a second cancel without a new activation).
      await dialog.evaluate((element) => {
        const counted = window as unknown as { closes: number };
        counted.closes = 0;
        element.addEventListener('close', () => counted.closes++);
      });
      for (let i = 0; i < 3; i++) await ivan.keyboard.press('Escape');
      await ivan.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
      expect(await ivan.evaluate(() => (window as unknown as { closes: number }).closes)).toBe(0);
      expect(await dialog.isVisible()).toBe(true);
      // Meanwhile the license was revoked elsewhere: the server refuses, the dialog says so.
      await fixture.issuer.revoke(licenseId, 'alice', 'duplicate');
      gate.release();
      await dialog.getByRole('alert').waitFor();
      expect(await dialog.isVisible()).toBe(true);
      expect(await cancel.isEnabled()).toBe(true);
      await cancel.click();
      await dialog.waitFor({ state: 'hidden' });
    } finally {
      gate.release();
      await ivan.unroute('**/revoke');
    }

    // Without a refusal: Escape during the action changes nothing, the answer closes it.
    const other = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      { customerName: 'Pied Piper', model: 'perpetual', credentials: 50 },
      'ivan',
    );
    await ivan.goto(`${url}/licenses/${other.license.id}`);
    const second = held();
    await ivan.route('**/suspend', second.handle);
    try {
      await ivan.getByRole('button', { name: 'Suspend' }).click();
      const dialog = ivan.getByRole('dialog', { name: 'Suspend this license?' });
      await dialog.getByRole('button', { name: 'Suspend' }).click();
      await expect
        .poll(() => dialog.getByRole('button', { name: 'Cancel' }).isDisabled())
        .toBe(true);
      await ivan.keyboard.press('Escape');
      expect(await dialog.isVisible()).toBe(true);
      second.release();
      await dialog.waitFor({ state: 'hidden' });
      await ivan.locator('.page-header .badge', { hasText: 'suspended' }).waitFor();
    } finally {
      second.release();
      await ivan.unroute('**/suspend');
    }
  });

  it('shows the API token made while Escape was pressed, and the next Create starts empty', async () => {
    await alice.goto(`${url}/tokens`);
    const gate = held();
    await alice.route('**/api/v1/tokens', (route) =>
      route.request().method() === 'POST' ? gate.handle(route) : route.continue(),
    );
    try {
      await alice.getByRole('button', { name: 'Create a token', exact: true }).click();
      const form = alice.getByRole('dialog', { name: 'Create an API token' });
      await form.getByLabel('Token name').fill('CRM');
      await form.getByRole('button', { name: 'Create token', exact: true }).click();
      await expect.poll(() => form.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
      await alice.keyboard.press('Escape');
      expect(await form.isVisible()).toBe(true);
      gate.release();
      // The secret is shown in the same dialog: the one time it exists outside the server.
      const secret = alice.getByTestId('api-token-secret');
      await secret.waitFor();
      expect(await secret.inputValue()).toMatch(/^lpt_/);
      await alice.getByRole('button', { name: 'Close', exact: true }).click();
      await secret.waitFor({ state: 'detached' });
    } finally {
      gate.release();
      await alice.unroute('**/api/v1/tokens');
    }
    await alice.getByRole('button', { name: 'Create a token', exact: true }).click();
    const again = alice.getByRole('dialog', { name: 'Create an API token' });
    await again.getByLabel('Token name').waitFor();
    expect(await again.getByLabel('Token name').inputValue()).toBe('');
    expect(await alice.getByTestId('api-token-secret').count()).toBe(0);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await again.waitFor({ state: 'hidden' });
  });

  it('shows the webhook signing secret made while Cancel was tried', async () => {
    await alice.goto(`${url}/webhooks`);
    const gate = held();
    await alice.route('**/api/v1/webhooks', (route) =>
      route.request().method() === 'POST' ? gate.handle(route) : route.continue(),
    );
    try {
      await alice.getByRole('button', { name: 'Add an endpoint', exact: true }).click();
      const form = alice.getByRole('dialog', { name: 'Add a webhook endpoint' });
      await form.getByLabel('Endpoint URL').fill('https://example.com/hook');
      await form.getByLabel('license.issued').check();
      await form.getByRole('button', { name: 'Add endpoint', exact: true }).click();
      const cancel = form.getByRole('button', { name: 'Cancel' });
      await expect.poll(() => cancel.isDisabled()).toBe(true);
      await cancel.click({ force: true });
      await alice.keyboard.press('Escape');
      expect(await form.isVisible()).toBe(true);
      gate.release();
      const secret = alice.getByTestId('webhook-secret');
      await secret.waitFor();
      expect(await secret.inputValue()).toMatch(/^whsec_/);
      await alice.getByRole('button', { name: 'Close', exact: true }).click();
    } finally {
      gate.release();
      await alice.unroute('**/api/v1/webhooks');
    }
    await alice.getByRole('button', { name: 'Add an endpoint', exact: true }).click();
    await alice.getByRole('dialog', { name: 'Add a webhook endpoint' }).waitFor();
    expect(await alice.getByTestId('webhook-secret').count()).toBe(0);
  });
});
