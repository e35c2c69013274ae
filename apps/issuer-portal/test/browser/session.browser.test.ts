// The session in a real browser, where the page and the server can disagree: turning on
// two-factor login starts a new session, whose CSRF token the page takes at once (the recovery
// codes stay on screen, and leaving asks first); a logout the server refused leaves the user
// logged in and says so; a logout with a stale CSRF token still ends the session.
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, PASSWORDS } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  servePortal,
} from './browser.js';

describeInChromium('the session in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let url: string;

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('takes the new session’s CSRF token as soon as 2FA is on, and keeps the recovery codes until saved', async () => {
    const page = await loggedInPage(browser, url, 'vera');
    page.setDefaultTimeout(10_000);
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByRole('button', { name: 'Set up two-factor login' }).click();
    await page.getByRole('img', { name: 'QR code of your two-factor secret' }).waitFor();
    const secret = (await page.locator('.two-factor-enrol .mono').first().textContent()) ?? '';
    const code = await generate({ secret, epoch: Math.floor(fixture.clock.now / 1000) });
    const field = page.getByLabel('Code from the app');

    // A wrong code is refused, and stays in the field to be corrected.
    const wrong = code === '000000' ? '111111' : '000000';
    await field.fill(wrong);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('The code is wrong.').waitFor();
    expect(await field.inputValue()).toBe(wrong);

    await field.fill(code);
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' });
    await codes.waitFor();

    // Leaving asks first; staying (the default answer) keeps the codes on screen.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await nav(page, 'Licenses').click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/recovery codes/);
    expect(await codes.isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/account');

    // Leaving anyway: the page already works in the new session.
    page.once('dialog', (dialog) => void dialog.accept());
    await nav(page, 'Licenses').click();
    await page.getByRole('heading', { name: 'Licenses' }).waitFor();
    await page.getByRole('link', { name: 'Change password' }).click();
    const form = page.getByRole('main');
    await form.getByLabel('Current password').fill(PASSWORDS.vera);
    await form.getByLabel('New password', { exact: true }).fill('vera-second-password');
    await form.getByLabel('New password again').fill('vera-second-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Your password is changed.').waitFor();
    expect(await fixture.issuer.users.authenticate('vera', 'vera-second-password')).not.toBeNull();
    await page.context().close();
  });

  it('stays logged in, and says so, when the server refuses the logout', async () => {
    const page = await loggedInPage(browser, url, 'ivan');
    page.setDefaultTimeout(10_000);
    await page.route('**/api/v1/auth/logout', (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'ERR_INTERNAL', message: 'boom', requestId: 'req_test' },
        }),
      }),
    );
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are still logged in').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Log in' }).count()).toBe(0);

    // The server confirms the next one: then, and only then, the login page.
    await page.unroute('**/api/v1/auth/logout');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.context().close();
  });

  it('ends the session when the page’s CSRF token is stale (a new session it did not take up)', async () => {
    const page = await loggedInPage(browser, url, 'alice');
    page.setDefaultTimeout(10_000);
    // A new session behind the page's back: the cookie changes, the page's token is old.
    const status = await page.evaluate(async (password) => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      const answer = await fetch('/api/v1/auth/password', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ currentPassword: password, newPassword: 'alice-second-password' }),
      });
      return answer.status;
    }, PASSWORDS.alice);
    expect(status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // The server ended it: a reload finds no session.
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const still = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
    expect(still).toBe(401);
    await page.context().close();
  });
});
