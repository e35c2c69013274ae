// The whole loop in a real browser: an installation (the real SDK) makes a challenge, an
// issuer pastes it into the portal, issues, reads the key from the page, the SDK applies it,
// the license is listed; then revoked from its page.
import { readFile } from 'node:fs/promises';
import { createLicensor, MemoryStore, SYSTEM_ADMINISTRATOR } from '@licensor/sdk';
import { armourBlocks } from '@licensor/token';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, makeChallenge, newInstallation, PASSWORDS } from '../helpers.js';
import {
  describeInChromium,
  launch,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

/** A link of the sidebar. */
function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
}

const operator = { id: 'op-1', name: 'Olivia Operator', roles: [SYSTEM_ADMINISTRATOR] };

describeInChromium('issuer portal in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  let cms: ReturnType<typeof createLicensor>;
  let licenseId = '';

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    cms = createLicensor({
      store: new MemoryStore(),
      trust: await fixture.issuer.keys.exportJwks(),
      product: { name: 'vSEC:CMS', version: '6.1.0' },
      now: () => fixture.clock.now,
      credentialsInUse: () => 37,
    });
    // Other customers, so the lists look like a working day.
    await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      { customerName: 'Globex Corporation', model: 'perpetual', credentials: 500 },
      'ivan',
    );
    const initech = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      {
        customerName: 'Initech',
        model: 'subscription',
        credentials: 120,
        termDays: 20,
        graceDays: 7,
      },
      'ivan',
    );
    await fixture.issuer.suspend(initech.license.id, 'ivan', 'invoice overdue');
    browser = await launch();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 820 },
      acceptDownloads: true,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    page = await context.newPage();
    // A step that waits longer fails naming its locator, within the test's 30 s (Playwright's
    // own 30 s default ran into the test timeout, which names no step).
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('logs in', async () => {
    await page.goto(`${url}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('The user name or password is wrong.').waitFor();
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill(PASSWORDS.alice);
    await screenshot(page, 'login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('issues a key for a challenge the SDK made, which the SDK then applies', async () => {
    const { armoured } = await cms.createChallenge(operator, {
      credentials: 250,
      customerName: 'Acme Bank',
    });
    await nav(page, 'Issue a key').click();
    await page.getByRole('heading', { name: 'Issue a key' }).waitFor();
    await page.getByLabel('Challenge', { exact: true }).fill(armoured);
    await page.getByRole('button', { name: 'Read challenge' }).click();
    await page.getByRole('heading', { name: '2. What the challenge says' }).waitFor();
    await expect.poll(() => page.getByText('New installation').isVisible()).toBe(true);
    await page.getByLabel('Model').selectOption('subscription');
    await page.getByLabel('Term (days)').fill('365');
    await screenshot(page, 'issue-inspect', { fullPage: true });
    await page.getByRole('button', { name: 'Issue key' }).click();
    const keyArea = page.getByTestId('license-key');
    await keyArea.waitFor();
    const key = await keyArea.inputValue();
    await screenshot(page, 'issue-key');
    // The SDK trusts the keys it shipped with (key set version 0): the box holds the key set
    // versions it lacks, then the key (#11), the text the CMS applies whole.
    const blocks = armourBlocks(key);
    expect(blocks.map((block) => block.kind).at(-1)).toBe('license');
    expect(blocks.filter((block) => block.kind === 'keyset').length).toBeGreaterThan(0);
    await page.getByText('Sent with your newer signing keys').waitFor();

    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .txt' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^license-lic_[A-Za-z0-9_-]+-rev1\.txt$/);
    const file = await readFile((await download.path())!, 'utf8');
    expect(file.trim()).toBe(key.trim());

    const applied = await cms.applyLicenseKey(operator, key);
    licenseId = applied.licenseId;
    expect(applied.keysetVersion).toBeGreaterThan(0);
    expect(applied.info).toMatchObject({
      state: 'active',
      type: 'subscription',
      customer: 'Acme Bank',
      credentials: 250,
    });
    const transactionId = (
      await page.locator('.fact', { hasText: 'Transaction ID' }).locator('dd').textContent()
    )?.trim();
    expect(applied.transactionId).toBe(transactionId);
  });

  it('lists the license, filtered by customer name', async () => {
    await nav(page, 'Licenses').click();
    await page.getByRole('heading', { name: 'Licenses' }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(licenseId) });
    await row.waitFor();
    expect(await row.textContent()).toContain('Acme Bank');
    await page.getByRole('row', { name: /Initech/ }).waitFor();
    await screenshot(page, 'licenses');
    await page.getByLabel('Search').fill('acme');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => page.url()).toContain('q=acme');
    // The list is refetched: the old rows stay until the filtered ones arrive.
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await row.waitFor();
  });

  it('filters by customer with a picker that searches as you type, never loading the whole list', async () => {
    const asked: URL[] = [];
    const watch = (request: { url(): string }) => {
      const at = new URL(request.url());
      if (at.pathname === '/api/v1/customers') asked.push(at);
    };
    page.on('request', watch);
    await page.goto(`${url}/licenses`);
    await page.getByRole('row', { name: /Initech/ }).waitFor();
    const picker = page.getByRole('combobox', { name: 'Customer' });
    await picker.fill('glo');
    const options = page.getByRole('listbox', { name: 'Customers' }).getByRole('option');
    await expect.poll(() => options.allTextContents()).toEqual(['Globex Corporation']);
    await screenshot(page, 'licenses-customer-picker');
    await picker.fill('nobody');
    await page.getByText('No customer’s name starts with that.').waitFor();
    await picker.fill('GLOBEX');
    await expect.poll(() => options.allTextContents()).toEqual(['Globex Corporation']);
    await picker.press('Enter');
    await expect.poll(() => page.url()).toContain('customerId=cus_');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await page.getByRole('row', { name: /Globex Corporation/ }).waitFor();
    // An address with the customer shows its name in the picker.
    await page.reload();
    await expect.poll(() => picker.inputValue()).toBe('Globex Corporation');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await page.getByRole('button', { name: 'All customers' }).click();
    await expect.poll(() => page.url()).not.toContain('customerId');
    await page.getByRole('row', { name: /Initech/ }).waitFor();
    page.off('request', watch);
    // Every list request was a search of at most 20, none of the first 1,000.
    expect(asked.length).toBeGreaterThan(0);
    for (const at of asked) expect(Number(at.searchParams.get('limit'))).toBeLessThanOrEqual(20);
    expect(asked.some((at) => at.searchParams.get('q') === 'GLOBEX')).toBe(true);
  });

  it('shows a model switch the SDK asks for as a request waiting for approval', async () => {
    const { armoured } = await cms.requestModelSwitch(operator, 'perpetual');
    await nav(page, 'Issue a key').click();
    // The customer sent it as a .txt file: open it with the file button.
    await page.getByLabel('Open .txt file…').setInputFiles({
      name: 'challenge.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(armoured),
    });
    await page.getByText('This challenge needs approval').waitFor();
    await screenshot(page, 'issue-approval');
    await nav(page, 'Requests').click();
    const card = page.locator('.card', { hasText: 'Switch to perpetual' });
    await card.waitFor();
    expect(await card.textContent()).toContain(licenseId);
    await screenshot(page, 'requests');
  });

  it('approves the switch; the SDK applies the key and the license becomes perpetual', async () => {
    const card = page.locator('.card', { hasText: 'Switch to perpetual' });
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve and issue' }).click();
    const key = await page.getByTestId('license-key').inputValue();
    await page.getByText('Nothing is waiting for approval.').waitFor();
    const applied = await cms.applyLicenseKey(operator, key);
    expect(applied).toMatchObject({ licenseId, revision: 2 });
    expect(applied.info.type).toBe('perpetual');
  });

  it('approves a switch back to subscription with the term and grace typed in the dialog', async () => {
    const { armoured } = await cms.requestModelSwitch(operator, 'subscription');
    await nav(page, 'Issue a key').click();
    await page.getByLabel('Open .txt file…').setInputFiles({
      name: 'challenge.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(armoured),
    });
    await page.getByText('This challenge needs approval').waitFor();
    await nav(page, 'Requests').click();
    const card = page.locator('.card', { hasText: 'Switch to subscription' });
    await card.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('Term (days)').inputValue()).toBe('365');
    expect(await dialog.getByLabel('Offline grace (days)').inputValue()).toBe('30');
    await dialog.getByLabel('Term (days)').fill('90');
    await dialog.getByLabel('Offline grace (days)').fill('14');
    await dialog.getByRole('button', { name: 'Approve and issue' }).click();
    const key = await page.getByTestId('license-key').inputValue();
    const applied = await cms.applyLicenseKey(operator, key);
    expect(applied.info.type).toBe('subscription');
    const term = applied.info.term!;
    expect(term.end - term.start).toBe(90 * 86_400);
    expect(term.grace).toBe(14 * 86_400);
  });

  it('revokes the license from its page and shows the new state', async () => {
    // What the verify service records when the installation checks in.
    const installationId = (await fixture.issuer.getLicense(licenseId))!.license.installationId!;
    const check = (id: string, hoursAgo: number, credentialsInUse: number) => ({
      id,
      at: fixture.clock.now - hoursAgo * 3_600_000,
      licenseId,
      installationId,
      sdkVersion: '0.1.0',
      credentialsInUse,
      outcome: 'VALID' as const,
    });
    await fixture.issuer.store.recordChecks([check('chk_b1', 0, 37), check('chk_b2', 0.5, 35)]);
    await nav(page, 'Licenses').click();
    await page.getByRole('link', { name: licenseId }).click();
    await page.getByRole('heading', { name: /Acme Bank/ }).waitFor();
    await page.getByText('Model switched').first().waitFor();
    await page.getByRole('cell', { name: '37 / 250' }).waitFor();
    await screenshot(page, 'license', { fullPage: true });
    await page.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (optional)').fill('contract ended');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('.page-header .badge', { hasText: 'revoked' }).waitFor();
    await page.getByText('contract ended').first().waitFor();
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    await screenshot(page, 'license-revoked');
    expect((await fixture.issuer.getLicense(licenseId))!.license.state).toBe('revoked');
  });

  it('shows customers, signing keys, users and the audit log', async () => {
    await nav(page, 'Customers').click();
    await page.getByRole('cell', { name: 'Acme Bank' }).waitFor();
    await screenshot(page, 'customers');
    // A refused confirm (a blank name) says why inside the dialog, which stays open; nothing
    // changes; Cancel closes it.
    await page
      .getByRole('row', { name: /Acme Bank/ })
      .getByRole('button', { name: 'Rename' })
      .click();
    const rename = page.getByRole('dialog', { name: 'Rename customer' });
    await rename.getByLabel('Name').fill('   ');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await rename.getByRole('alert').first().waitFor();
    // Said at the field, before anything is sent.
    expect(await rename.textContent()).toContain('Enter the customer’s name: 1 to 200 characters.');
    expect(await rename.isVisible()).toBe(true);
    expect((await fixture.issuer.listCustomers()).map((c) => c.name)).toContain('Acme Bank');
    await rename.getByRole('button', { name: 'Cancel' }).click();
    await rename.waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: 'Acme Bank' }).waitFor();
    await nav(page, 'Signing keys').click();
    const keysTable = page.getByRole('table', { name: 'Signing keys' });
    await keysTable.waitFor();
    expect(await keysTable.getByRole('row').count()).toBe(3);
    // What the license key signed, and who trusts which key set version (#11).
    await keysTable.getByRole('cell', { name: /^\d+ tokens? \(\d+ licenses?\)$/ }).waitFor();
    const trust = page.getByRole('table', { name: 'Installations per key set version' });
    await trust.getByRole('cell', { name: '1 (newest)' }).waitFor();
    await screenshot(page, 'keys');
    await nav(page, 'Users').click();
    await page.getByRole('cell', { name: 'vera', exact: true }).waitFor();
    // An admin sets a forgotten password for another user.
    const setPassword = page.locator('form', { hasText: 'Set password' });
    await setPassword.getByLabel('User').selectOption('ivan');
    await setPassword.getByLabel('New password').fill('ivan-was-given-this-one');
    await setPassword.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('ivan has a new password and was logged out everywhere.').waitFor();
    expect(
      await fixture.issuer.users.authenticate('ivan', 'ivan-was-given-this-one'),
    ).toMatchObject({ passwordOneTime: true });
    await page.getByRole('row', { name: /ivan/ }).getByText('one-time password').waitFor();
    await screenshot(page, 'users');
    await nav(page, 'Audit log').click();
    await page.getByRole('table', { name: 'Audit events' }).waitFor();
    await page.getByLabel('User').fill('alice');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.url()).toContain('actor=alice');
    await page
      .getByRole('cell', { name: /revoke/ })
      .first()
      .waitFor();
    await screenshot(page, 'audit');
  });

  it('pages through the licenses, 25 at a time, with the page in the address', async () => {
    for (let i = 1; i <= 30; i++) {
      await fixture.issuer.issue(
        makeChallenge(fixture, newInstallation()),
        {
          customerName: `Branch Office ${String(i).padStart(2, '0')}`,
          model: 'perpetual',
          credentials: 10,
        },
        'ivan',
      );
    }
    const total = (await fixture.issuer.listLicenses({ limit: 500 })).length;
    expect(total).toBe(33);
    await nav(page, 'Licenses').click();
    await page.getByRole('table', { name: 'Licenses' }).waitFor();
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await pager.getByLabel('Per page').selectOption('25');
    await expect.poll(() => page.url()).toContain('size=25');
    await expect.poll(() => page.getByRole('row').count()).toBe(26); // the header and 25
    expect(await pager.textContent()).toContain('Licenses 1–25');
    expect(await pager.getByRole('link', { name: 'Previous' }).count()).toBe(0);

    await pager.getByRole('link', { name: 'Next' }).click();
    await expect.poll(() => page.url()).toContain('page=2');
    await expect.poll(() => page.getByRole('row').count()).toBe(total - 25 + 1);
    expect(await pager.textContent()).toContain(`Licenses 26–${total}`);
    expect(await pager.getByRole('link', { name: 'Next' }).count()).toBe(0);
    await screenshot(page, 'licenses-page-2');

    // A filter starts again from the first page.
    await page.getByLabel('Search').fill('Branch Office');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => page.url()).not.toContain('page=');
    await expect.poll(() => page.getByRole('row').count()).toBe(26);
    await pager.getByRole('link', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('row').count()).toBe(6);

    // An address past the end says so instead of showing an empty table.
    await page.goto(`${url}/licenses?size=25&page=9`);
    await page.getByText('This page is past the end of the list.').waitFor();
    await page.getByRole('link', { name: 'Go to the first page' }).click();
    await expect.poll(() => page.getByRole('row').count()).toBe(26);
  });

  it('goes back a page by cursor: Previous asks for the page before, never an offset', async () => {
    for (let i = 31; i <= 50; i++) {
      fixture.advance(1_000);
      await fixture.issuer.issue(
        makeChallenge(fixture, newInstallation()),
        { customerName: `Branch Office ${i}`, model: 'perpetual', credentials: 10 },
        'ivan',
      );
    }
    const total = (await fixture.issuer.listLicenses({ limit: 500 })).length;
    expect(total).toBe(53);
    const asked: URL[] = [];
    const watch = (request: { url(): string }) => {
      const at = new URL(request.url());
      if (at.pathname === '/api/v1/licenses') asked.push(at);
    };
    page.on('request', watch);
    await page.goto(`${url}/licenses?size=25`);
    const pager = page.getByRole('navigation', { name: 'Pages' });
    const ids = () =>
      page
        .getByRole('table', { name: 'Licenses' })
        .locator('tbody tr td:first-child')
        .allTextContents();
    await expect.poll(() => page.getByRole('row').count()).toBe(26);
    const first = await ids();
    await pager.getByRole('link', { name: 'Next' }).click();
    await expect.poll(() => page.url()).toContain('page=2');
    await expect.poll(async () => (await ids())[0]).not.toBe(first[0]);
    const second = await ids();
    await pager.getByRole('link', { name: 'Next' }).click();
    await expect.poll(() => page.url()).toContain('page=3');
    await expect.poll(() => page.getByRole('row').count()).toBe(total - 50 + 1);
    expect(await pager.textContent()).toContain(`Licenses 51–${total}`);

    await pager.getByRole('link', { name: 'Previous' }).click();
    await expect.poll(() => page.url()).toContain('before=');
    expect(page.url()).toContain('page=2');
    await expect.poll(() => ids()).toEqual(second);
    expect(await pager.textContent()).toContain('Licenses 26–50');
    await pager.getByRole('link', { name: 'Previous' }).click();
    await expect.poll(() => page.url()).not.toContain('page=');
    await expect.poll(() => ids()).toEqual(first);
    expect(await pager.getByRole('link', { name: 'Previous' }).count()).toBe(0);
    page.off('request', watch);
    expect(asked.some((at) => at.searchParams.has('before'))).toBe(true);
    expect(asked.filter((at) => at.searchParams.has('offset'))).toEqual([]);
  });

  it('changes your own password: a wrong current one is refused, then the new one works', async () => {
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    const form = page.getByRole('main');
    const submit = form.getByRole('button', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not-the-password');
    await form.getByLabel('New password', { exact: true }).fill('alice-second-password');
    await form.getByLabel('New password again').fill('alice-second-passwor');
    await form.getByText('The two new passwords differ.').waitFor();
    expect(await submit.isDisabled()).toBe(true);
    await form.getByLabel('New password again').fill('alice-second-password');
    await submit.click();
    await form.getByText('Your current password is wrong').waitFor();

    await form.getByLabel('Current password').fill(PASSWORDS.alice);
    await submit.click();
    await form.getByText('Your password is changed.').waitFor();
    await screenshot(page, 'account');
    // The browser carries on in the new session the change started.
    const still = await page.evaluate(async () => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      return session.user.name as string;
    });
    expect(still).toBe('alice');
    expect(await fixture.issuer.users.authenticate('alice', PASSWORDS.alice)).toBeNull();
    expect(
      await fixture.issuer.users.authenticate('alice', 'alice-second-password'),
    ).not.toBeNull();
  });

  it('logs out, and the API refuses the old session', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/licenses')).status);
    expect(status).toBe(401);
  });

  it('shows a viewer no Issue or Users page, and the server refuses their changes', async () => {
    await page.getByLabel('User name').fill('vera');
    await page.getByLabel('Password').fill(PASSWORDS.vera);
    await page.getByRole('button', { name: 'Log in' }).click();
    await nav(page, 'Licenses').click();
    await page.getByRole('heading', { name: 'Licenses' }).waitFor();
    const links = await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link')
      .allInnerTexts();
    expect(links).toEqual([
      'Dashboard',
      'Licenses',
      'Requests',
      'Customers',
      'Products and plans',
      'Signing keys',
      'Audit log',
    ]);
    // Found by its customer, as a user would. The unfiltered first page holds 50 of the 53
    // licenses, and 33 of them share one updated_at (the frozen clock), so the id tiebreak
    // decides which are on it: ids begin with their creation time in base64url, whose binary
    // order is not time order where a character steps from 'z' (51) to '0' (52) or from '9' to
    // '-' (about one run in 20 has such a step between Acme Bank's license and the Branch
    // Offices', which then fill the page and leave Acme Bank's on page 2).
    await page.getByLabel('Search').fill('Acme');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => page.url()).toContain('q=Acme');
    await page.getByRole('link', { name: licenseId }).click();
    await page.getByRole('heading', { name: /Acme Bank/ }).waitFor();
    expect(await page.getByRole('button', { name: /Revoke|Suspend|Resume|Renew/ }).count()).toBe(0);
    const status = await page.evaluate(async (id) => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      const answer = await fetch(`/api/v1/licenses/${id}/resume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: '{}',
      });
      return answer.status;
    }, licenseId);
    expect(status).toBe(403);
  });

  it('makes an API token (shown once), revokes it, and adds a webhook endpoint; a refused URL is shown and nothing stored', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const admin = await context.newPage();
    admin.setDefaultTimeout(10_000);
    // An admin of its own (alice's password changes above; this test runs alone too).
    await fixture.issuer.users.add('adam', 'admin', 'adam-admin-password', 'test-setup');
    await admin.goto(`${url}/`);
    await admin.getByLabel('User name').fill('adam');
    await admin.getByLabel('Password').fill('adam-admin-password');
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const bearerStatus = (secret: string) =>
      admin.evaluate(
        async (token) =>
          (await fetch('/api/v1/licenses', { headers: { authorization: `Bearer ${token}` } }))
            .status,
        secret,
      );

    await nav(admin, 'API tokens').click();
    await admin.getByRole('heading', { name: 'API tokens' }).waitFor();
    await admin.getByRole('button', { name: 'Create a token', exact: true }).click();
    await admin.getByLabel('Token name').fill('CRM sync');
    await admin.getByLabel('Token role').selectOption('issuer');
    await admin.getByLabel('Expires after (days)').fill('30');
    await admin.getByRole('button', { name: 'Create token', exact: true }).click();
    const secretBox = admin.getByTestId('api-token-secret');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret.length).toBeGreaterThan(20);
    await admin.getByRole('button', { name: 'Copy token' }).waitFor();
    expect(await bearerStatus(secret)).toBe(200);
    await admin.getByRole('button', { name: 'Close', exact: true }).click();
    // Shown once: gone from the page, listed without it.
    expect(await admin.getByTestId('api-token-secret').count()).toBe(0);
    const tokens = admin.getByRole('table', { name: 'API tokens' });
    await tokens.getByRole('cell', { name: 'CRM sync', exact: true }).waitFor();
    expect(await admin.content()).not.toContain(secret);
    const [stored] = await fixture.issuer.store.automation.listApiTokens();
    expect(stored).toMatchObject({ name: 'CRM sync', role: 'issuer', revokedAt: null });
    expect(JSON.stringify(stored)).not.toContain(secret);

    await admin.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await admin.getByRole('button', { name: 'Revoke token', exact: true }).click();
    await tokens.getByText('revoked').waitFor();
    expect(await admin.getByRole('button', { name: 'Revoke CRM sync' }).count()).toBe(0);
    expect(await bearerStatus(secret)).toBe(401);

    await nav(admin, 'Webhooks').click();
    await admin.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await admin.getByRole('button', { name: 'Add an endpoint', exact: true }).click();
    await admin.getByLabel('Endpoint URL').fill('http://169.254.169.254/');
    await admin.getByLabel('license.issued').check();
    await admin.getByLabel('license.revoked').check();
    await admin.getByRole('button', { name: 'Add endpoint', exact: true }).click();
    const dialog = admin.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog
      .getByRole('alert')
      .getByText(/The webhook URL is refused: 169\.254\.169\.254 is link-local/)
      .waitFor();
    expect(await fixture.issuer.store.automation.listWebhookEndpoints()).toEqual([]);
    // The dialog stays open with what was typed, to be corrected.
    expect(await dialog.getByLabel('Endpoint URL').inputValue()).toBe('http://169.254.169.254/');
    expect(await dialog.getByLabel('license.revoked').isChecked()).toBe(true);

    await admin.getByLabel('Endpoint URL').fill('https://example.com/hook');
    await admin.getByRole('button', { name: 'Add endpoint', exact: true }).click();
    const webhookSecret = admin.getByTestId('webhook-secret');
    await webhookSecret.waitFor();
    expect(await webhookSecret.inputValue()).toMatch(/^whsec_/);
    await admin.getByRole('button', { name: 'Close', exact: true }).click();
    const endpoints = admin.getByRole('table', { name: 'Webhook endpoints' });
    await endpoints.getByText('https://example.com/hook').waitFor();
    await endpoints.getByText('license.issued, license.revoked').waitFor();
    const saved = await fixture.issuer.store.automation.listWebhookEndpoints();
    expect(saved).toMatchObject([
      {
        url: 'https://example.com/hook',
        events: ['license.issued', 'license.revoked'],
        enabled: true,
      },
    ]);
    await admin.getByRole('button', { name: 'Deliveries' }).click();
    await admin.getByText('Nothing was sent to this endpoint yet.').waitFor();
    await screenshot(admin, 'webhooks');
    await context.close();
  });
});
