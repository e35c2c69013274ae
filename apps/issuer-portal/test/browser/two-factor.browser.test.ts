// Two-factor login in a real browser: a user enrols on the Account page (the QR code is shown,
// the secret read off the page, the first code typed), keeps the recovery codes, logs out and
// logs in again with a real TOTP code; then an admin requires 2FA of everyone and a user without
// it is sent to enrol before anything else.
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Fixture, TestUser } from '../helpers.js';
import {
  describeInChromium,
  launch,
  logIn as logInAs,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

describeInChromium('two-factor login in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;

  const code = (secret: string) =>
    generate({ secret, epoch: Math.floor(fixture.clock.now / 1000) });

  async function logIn(name: TestUser) {
    await logInAs(page, url, name);
  }

  async function logOut() {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
  }

  /** Enrols on whatever page shows the Two-factor login card; answers the secret. */
  async function enrolHere(): Promise<string> {
    await page.getByRole('button', { name: 'Set up two-factor login' }).click();
    const qr = page.getByRole('img', { name: 'QR code of your two-factor secret' });
    await qr.waitFor();
    // The QR code is a real image the page loaded (CSP allows data: images).
    expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    const secret = (await page.locator('.two-factor-enrol .mono').first().textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    return secret;
  }

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('enrols with the QR code, keeps the recovery codes, and logs in with a real TOTP code', async () => {
    await logIn('ivan');
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Two-factor login' }).waitFor();
    const secret = await enrolHere();
    await screenshot(page, 'two-factor-enrol', { fullPage: true });

    // A wrong code is refused on the page; 2FA stays off.
    const right = await code(secret);
    await page.getByLabel('Code from the app').fill(right === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('The code is wrong.').waitFor();

    await page.getByLabel('Code from the app').fill(right);
    await page.getByRole('button', { name: 'Turn on' }).click();
    const list = page.getByRole('list', { name: 'Recovery codes' });
    await list.waitFor();
    const recovery = await list.getByRole('listitem').allTextContents();
    expect(recovery).toHaveLength(10);
    await screenshot(page, 'two-factor-recovery-codes', { fullPage: true });
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('Two-factor login is on.').first().waitFor();
    await page.getByText('10 of 10 recovery codes left').waitFor();
    // The card says it once (the notice says what changed, not "is on" again).
    const card = page.locator('section.card', {
      has: page.getByRole('heading', { name: 'Two-factor login', exact: true }),
    });
    expect(
      (((await card.textContent()) ?? '').match(/Two-factor login is on/gi) ?? []).length,
    ).toBe(1);

    await logOut();
    fixture.advance(30_000);
    await logIn('ivan');
    const codeField = page.getByLabel('Two-factor code');
    await codeField.waitFor();
    await screenshot(page, 'login-two-factor');
    await codeField.fill(await code(secret));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    // A recovery code works once in place of the app's code.
    await logOut();
    await logIn('ivan');
    await page.getByLabel('Two-factor code').fill(recovery[0] ?? '');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await logOut();
  });

  it('an admin requires 2FA of everyone; a user without it enrols before anything else', async () => {
    // alice (admin) enrols first: requiring 2FA is refused until she has it.
    fixture.advance(30_000);
    await logIn('alice');
    await page.getByRole('link', { name: 'Change password' }).click();
    const aliceSecret = await enrolHere();
    await page.getByLabel('Code from the app').fill(await code(aliceSecret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByLabel('Two-factor login for password logins').selectOption('everyone');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Required of everyone.').waitFor();
    await logOut();

    await logIn('vera');
    await page.getByRole('heading', { name: 'Set up two-factor login' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    const secret = await enrolHere();
    await page.getByLabel('Code from the app').fill(await code(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('link', { name: 'Licenses' }).click();
    await page.getByRole('heading', { name: 'Licenses' }).waitFor();
  });
});
