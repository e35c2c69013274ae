// Single sign-on in a real browser: the login page's "Sign in with …" goes to a real OpenID
// provider (oidc-provider on 127.0.0.1), the user signs in there, and comes back logged in to
// the portal with the role their groups map to; a user in no mapped group gets the refusal page.
// Password login is turned off here: the page offers SSO only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, makePortal } from '../helpers.js';
import { startIdp, type TestIdp } from '../oidc-idp.js';
import { assertWebBuilt, describeInChromium, launch, screenshot, WEB_ROOT } from './browser.js';

describeInChromium('single sign-on in Chromium', () => {
  let fixture: Fixture;
  let server: Server;
  let idp: TestIdp;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    assertWebBuilt();
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    idp = await startIdp(`${url}/api/v1/auth/oidc/callback`);
    idp.accounts.set('dana', { email: 'dana@example.com', groups: ['licensor-admins'] });
    idp.accounts.set('olga', { email: 'olga@example.com', groups: ['marketing'] });
    fixture = await makePortal({
      webRoot: WEB_ROOT,
      passwordLogin: false,
      sso: {
        issuerUrl: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        redirectUrl: `${url}/api/v1/auth/oidc/callback`,
        roleMap: { 'licensor-admins': 'admin', support: 'issuer' },
        name: 'Example IdP',
      },
    });
    server.on('request', fixture.app);
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    if (server) await new Promise((resolve) => server.close(resolve));
    await idp?.close();
    await fixture?.close();
  });

  async function signInAtProvider(account: string) {
    await page.goto(`${url}/`);
    const start = page.getByRole('link', { name: 'Sign in with Example IdP' });
    await start.waitFor();
    await start.click();
    // The provider's own pages: its development login form, then consent.
    await page.locator('input[name="login"]').fill(account);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('offers only SSO, signs in through the provider and lands in the portal as an admin', async () => {
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Sign in with Example IdP' }).waitFor();
    expect(await page.getByLabel('Password').count()).toBe(0);
    await page.getByText('Password login is turned off on this portal').waitFor();
    await screenshot(page, 'login-sso');

    await signInAtProvider('dana');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(page.url()).toBe(`${url}/`);
    await page.getByText('dana@example.com').first().waitFor();
    // An admin: the Users page is offered.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Users' })
      .click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Sign in with Example IdP' }).waitFor();
  });

  it('a user in no mapped group gets the refusal page and no session', async () => {
    // A fresh browser: the provider's own session (dana's) is not carried over.
    page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
    const before = (await fixture.issuer.users.list()).length;
    await signInAtProvider('olga');
    await page.getByText('ERR_SSO_NO_ROLE').waitFor();
    await page.getByText('no group that has a role in Licensor').waitFor();
    await screenshot(page, 'sso-refused');
    expect((await fixture.issuer.users.list()).length).toBe(before);
    await page.getByRole('link', { name: 'Go to the Licensor portal' }).click();
    await page.getByRole('link', { name: 'Sign in with Example IdP' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });
});
