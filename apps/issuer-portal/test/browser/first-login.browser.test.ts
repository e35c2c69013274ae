// The first admin's one-time password, in a real browser: `licensor-issuer users add` generates
// a password and marks it one-time (as here); logging in with it opens a screen that asks for
// the user's own password and nothing else (the server refuses every other route meanwhile);
// the same password again is refused; a new one opens the portal. At 1280 px and at 390 px.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Fixture } from '../helpers.js';
import {
  describeInChromium,
  launch,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

describeInChromium('first login with a one-time password in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px: asks for an own password first, refuses the same one, then opens the portal`, async () => {
      const name = `root${width}`;
      const oneTime = `generated-${width}-Xk3vQ9`;
      await fixture.issuer.users.add(name, 'admin', oneTime, 'cli', { oneTime: true });
      const context = await browser.newContext({ viewport: { width, height: 820 } });
      const page: Page = await context.newPage();
      await page.goto(`${served.url}/`);
      await page.getByLabel('User name').fill(name);
      await page.getByLabel('Password').fill(oneTime);
      await page.getByRole('button', { name: 'Log in' }).click();

      await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - innerWidth),
      ).toBeLessThanOrEqual(0);
      // The server holds the session to the password change too, not only the page.
      const refused = await page.evaluate(async () => {
        const answer = await fetch('/api/v1/licenses');
        return { status: answer.status, code: (await answer.json()).error.code as string };
      });
      expect(refused).toEqual({ status: 403, code: 'ERR_PASSWORD_CHANGE_REQUIRED' });
      if (width === 1280) await screenshot(page, 'first-login');

      await page.getByLabel('One-time password').fill(oneTime);
      await page.getByLabel('New password', { exact: true }).fill(oneTime);
      await page.getByLabel('New password again').fill(oneTime);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('The new password is the current one').waitFor();
      expect(await fixture.issuer.users.authenticate(name, oneTime)).toMatchObject({
        passwordOneTime: true,
      });

      await page.getByLabel('New password', { exact: true }).fill(`${name}-own-password`);
      await page.getByLabel('New password again').fill(`${name}-own-password`);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      expect(await fixture.issuer.users.authenticate(name, oneTime)).toBeNull();
      expect(
        await fixture.issuer.users.authenticate(name, `${name}-own-password`),
      ).not.toHaveProperty('passwordOneTime');
      await context.close();
    });
  }
});
