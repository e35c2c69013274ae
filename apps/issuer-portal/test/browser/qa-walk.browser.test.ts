// What a QA walk through the portal found, checked in a real browser: actions that change
// something are asked first (disable a user) and say they were done (a role saved); fields are
// checked in the browser with the words of their hints, and a refusal of the server naming a
// field is shown at it; a plan's bounds are checked at the terms' fields; the Activate dialog
// says who trusts the new key; ids, the audit filters, focus after a result or a new page, no
// admin data asked for a viewer, and the 64 KB limit of an opened challenge file. Last, the
// webhook secret rotation added after the walk (its overlap checked at the field, shown once).
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addStandardPlan, type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  servePortal,
} from './browser.js';

describeInChromium('what the QA walk found, in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let alice: Page;
  let ivan: Page;
  let url: string;
  let requestId = '';

  /** The requests `page` sends with `method` to a path matching `path`, from now on. */
  const sent = (page: Page, method: string, path: RegExp) => {
    const seen: string[] = [];
    const listener = (request: Request) => {
      if (request.method() === method && path.test(new URL(request.url()).pathname)) {
        seen.push(request.postData() ?? '');
      }
    };
    page.on('request', listener);
    return { seen, stop: () => page.off('request', listener) };
  };

  /** The text of the focused element's closest heading, or its tag when it is none. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const element = document.activeElement;
      if (!element) return 'none';
      return /^H[1-6]$/.test(element.tagName)
        ? `${element.tagName}:${element.textContent?.trim()}`
        : element.tagName;
    });

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    await addStandardPlan(fixture);
    // A perpetual license whose installation asks to switch to a subscription: a request.
    const installation = newInstallation();
    const perpetual = await fixture.issuer.issue(
      makeChallenge(fixture, installation, { v: 2 }),
      { customerName: 'Initech', model: 'perpetual', credentials: 200 },
      'ivan',
    );
    const inspection = await fixture.issuer.inspect(
      makeChallenge(fixture, installation, {
        v: 2,
        license: {
          id: perpetual.license.id,
          revision: 1,
          customerName: 'Initech',
          model: 'perpetual',
        },
        request: { kind: 'model-switch', model: 'subscription' },
      }),
      'ivan',
    );
    requestId = inspection.approvalRequest?.id ?? '';
    browser = await launch();
    alice = await loggedInPage(browser, url, 'alice');
    alice.setDefaultTimeout(10_000);
    ivan = await loggedInPage(browser, url, 'ivan', { viewport: { width: 1280, height: 1000 } });
    ivan.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('asks for nothing a viewer may not read on the Users, API tokens and Webhooks pages', async () => {
    const vera = await loggedInPage(browser, url, 'vera');
    try {
      const refused: string[] = [];
      vera.on('response', (response) => {
        if (response.status() === 403) refused.push(new URL(response.url()).pathname);
      });
      for (const [path, notice] of [
        ['/users', 'Managing users needs the admin role.'],
        ['/tokens', 'Managing API tokens needs the admin role.'],
        ['/webhooks', 'Managing webhooks needs the admin role.'],
      ] as const) {
        await vera.goto(`${url}${path}`);
        await vera.getByText(notice).waitFor();
      }
      // Give a request the time to answer, were one sent.
      await vera.waitForTimeout(300);
      expect(refused).toEqual([]);
    } finally {
      await vera.context().close();
    }
  });

  it('disables a user only once the Confirm dialog is answered, and says a role was saved', async () => {
    const vera = async () => (await fixture.issuer.users.list()).find((u) => u.name === 'vera');
    await alice.goto(`${url}/users`);
    const row = alice.getByRole('row').filter({ hasText: 'vera' });
    await row.getByRole('button', { name: /Disable/ }).click();
    const dialog = alice.getByRole('dialog', { name: 'Disable vera?' });
    await dialog.waitFor();
    // Asked, not done.
    expect((await vera())?.disabled).toBe(false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await vera())?.disabled).toBe(false);

    await row.getByRole('button', { name: /Disable/ }).click();
    await dialog.getByRole('button', { name: 'Disable user' }).click();
    await expect.poll(async () => (await vera())?.disabled).toBe(true);
    await alice.getByRole('status').getByText('vera is disabled.').waitFor();
    await row.getByRole('button', { name: /Enable/ }).click();
    await alice
      .getByRole('dialog', { name: 'Enable vera?' })
      .getByRole('button', { name: 'Enable user' })
      .click();
    await expect.poll(async () => (await vera())?.disabled).toBe(false);

    await alice.getByLabel('Role of vera').selectOption('issuer');
    await alice.getByRole('button', { name: 'Save vera’s role' }).click();
    await alice.getByRole('status').getByText('vera is now issuer.').waitFor();
    expect((await vera())?.role).toBe('issuer');
  });

  it('checks the Add user and Change password fields in the browser, with the hint’s words', async () => {
    await alice.goto(`${url}/users`);
    const posts = sent(alice, 'POST', /\/api\/v1\/(users|auth\/password)$/);
    try {
      const add = alice.locator('section.card', {
        has: alice.getByRole('heading', { name: 'Add a user' }),
      });
      await add.getByLabel('User name').fill('walter');
      await add.getByLabel('Initial password').fill('short');
      await add.getByRole('button', { name: 'Add user' }).click();
      await add.getByText('Use at least 12 characters.').waitFor();
      expect(await add.getByLabel('Initial password').getAttribute('aria-invalid')).toBe('true');

      await alice.goto(`${url}/account`);
      await alice.getByLabel('Current password').fill('alice-admin-password');
      await alice.getByLabel('New password', { exact: true }).fill('too-short');
      await alice.getByLabel('New password again').fill('too-short');
      await alice.getByRole('button', { name: 'Change password' }).click();
      await alice.getByText('Use at least 12 characters.').waitFor();
      await alice.waitForTimeout(200);
      expect(posts.seen).toEqual([]);
    } finally {
      posts.stop();
    }
  });

  it('checks the token expiry, the webhook events and a customer’s new name before sending', async () => {
    const posts = sent(alice, 'POST', /\/api\/v1\/(tokens|webhooks)$/);
    const patches = sent(alice, 'PATCH', /\/api\/v1\/customers\//);
    try {
      await alice.goto(`${url}/tokens`);
      await alice.getByRole('button', { name: 'Create a token' }).click();
      const token = alice.getByRole('dialog', { name: 'Create an API token' });
      await token.getByLabel('Token name').fill('CRM sync');
      await token.getByLabel('Expires after (days)').fill('0');
      await token.getByRole('button', { name: 'Create token' }).click();
      await token
        .getByText('Enter a whole number from 1 to 3,650 days, or leave it empty.')
        .waitFor();
      await token.getByRole('button', { name: 'Cancel' }).click();

      await alice.goto(`${url}/webhooks`);
      await alice.getByRole('button', { name: /Add an endpoint/ }).click();
      const hook = alice.getByRole('dialog', { name: 'Add a webhook endpoint' });
      await hook.getByLabel('Endpoint URL').fill('https://crm.example.com/hooks');
      await hook.getByRole('button', { name: 'Add endpoint' }).click();
      await hook.getByText('Choose at least one event.').waitFor();
      await hook.getByRole('button', { name: 'Cancel' }).click();

      await alice.goto(`${url}/customers`);
      await alice.getByRole('button', { name: 'Rename' }).first().click();
      const rename = alice.getByRole('dialog', { name: 'Rename customer' });
      await rename.getByLabel('Name').fill('   ');
      await rename.getByRole('button', { name: 'Rename' }).click();
      await rename.getByText('Enter the customer’s name: 1 to 200 characters.').waitFor();
      await rename.getByRole('button', { name: 'Cancel' }).click();
      await alice.waitForTimeout(200);
      expect(posts.seen).toEqual([]);
      expect(patches.seen).toEqual([]);
    } finally {
      posts.stop();
      patches.stop();
    }
  });

  it('checks the Approve dialog’s term at its field, and shows a refusal naming a field there', async () => {
    await ivan.goto(`${url}/requests`);
    const card = ivan.locator('section.card').filter({ hasText: 'Switch to subscription' });
    // The vendor's request id is shown (item 5).
    await card.getByText(requestId, { exact: true }).waitFor();
    const approvals = sent(ivan, 'POST', /\/approve$/);
    try {
      await card.getByRole('button', { name: 'Approve' }).click();
      const dialog = ivan.getByTestId('confirm');
      await dialog.getByLabel('Term (days)').fill('0');
      await dialog.getByRole('button', { name: 'Approve and issue' }).click();
      await dialog.getByText('Enter a whole number from 1 to 3,660 days.').waitFor();
      await dialog.getByRole('alert').getByText('Fix the fields marked above.').waitFor();
      expect(approvals.seen).toEqual([]);

      // The server refuses a field (as it would a value the browser let through): its message
      // is shown at the field, not the "Invalid body.termDays:" line.
      await ivan.route('**/api/v1/requests/*/approve', (route) =>
        route.fulfill({
          status: 400,
          json: {
            error: {
              code: 'ERR_REQUEST_INVALID',
              message: 'Invalid body.graceDays: Too big: expected number to be <=365',
              requestId: 'req-test',
              issues: [{ path: 'body.graceDays', message: 'Too big: expected number to be <=365' }],
            },
          },
        }),
      );
      try {
        await dialog.getByLabel('Term (days)').fill('365');
        await dialog.getByRole('button', { name: 'Approve and issue' }).click();
        const grace = dialog.getByLabel('Offline grace (days)');
        await expect.poll(() => grace.getAttribute('aria-invalid')).toBe('true');
        await dialog.getByText('Too big: expected number to be <=365').waitFor();
        expect(await dialog.getByText(/Invalid body\./).count()).toBe(0);
      } finally {
        await ivan.unroute('**/api/v1/requests/*/approve');
      }
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(fixture.issuer.getRequest(requestId)).resolves.toMatchObject({
        status: 'pending',
      });
    } finally {
      approvals.stop();
    }
  });

  it('refuses a challenge file over 64 KB opened with "Open .txt file…", as a dropped one', async () => {
    await ivan.goto(`${url}/issue`);
    const inspections = sent(ivan, 'POST', /\/challenges\/inspect$/);
    try {
      await ivan.locator('input[type="file"]').setInputFiles({
        name: 'big.txt',
        mimeType: 'text/plain',
        buffer: Buffer.alloc(70 * 1024, 'a'),
      });
      await ivan.getByText('big.txt is too large to be a challenge.').waitFor();
      expect(inspections.seen).toEqual([]);
      expect(await ivan.getByLabel('Challenge', { exact: true }).inputValue()).toBe('');
    } finally {
      inspections.stop();
    }
  });

  it('checks a plan’s bounds at the terms’ fields: the model follows the plan, a fixed value is locked', async () => {
    await ivan.goto(`${url}/issue`);
    await ivan
      .getByLabel('Challenge', { exact: true })
      .fill(makeChallenge(fixture, newInstallation(), { v: 2 }));
    await ivan.getByRole('button', { name: 'Read challenge' }).click();
    const form = ivan.getByRole('form', { name: 'Terms' });
    await form.getByLabel('Plan', { exact: true }).selectOption({ label: 'Standard' });
    const model = form.getByLabel('Model');
    expect(await model.inputValue()).toBe('subscription');
    expect(await model.isDisabled()).toBe(true);
    const credentials = form.getByLabel('Number of credentials');
    await form.getByText('1 to 1,000,000,000. Standard: 100 to 1,000.').waitFor();
    // The term is fixed by the plan: shown, locked, and its hint says the value.
    const term = form.getByLabel('Term (days)');
    expect(await term.inputValue()).toBe('365');
    expect(await term.getAttribute('readonly')).not.toBeNull();
    await form.getByText('Fixed by Standard: 365 days.').waitFor();

    const before = (await fixture.issuer.listLicenses()).length;
    await credentials.fill('50');
    await form.getByRole('button', { name: 'Issue key' }).click();
    await form.getByText('Enter a whole number from 100 to 1,000 (Standard).').waitFor();
    expect((await fixture.issuer.listLicenses()).length).toBe(before);
  });

  it('moves focus to the result after "Read challenge" and "Issue key", and to the h1 of a new page', async () => {
    await ivan.goto(`${url}/issue`);
    await ivan
      .getByLabel('Challenge', { exact: true })
      .fill(makeChallenge(fixture, newInstallation(), { v: 2 }));
    await ivan.getByRole('button', { name: 'Read challenge' }).focus();
    await ivan.keyboard.press('Enter');
    await ivan.getByRole('form', { name: 'Terms' }).waitFor();
    await expect.poll(() => focused(ivan)).toBe('H2:2. What the challenge says');

    await ivan.getByRole('button', { name: 'Issue key' }).focus();
    await ivan.keyboard.press('Enter');
    await ivan.getByTestId('license-key').waitFor();
    await expect.poll(() => focused(ivan)).toBe('H2:License key');

    await ivan
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Customers' })
      .click();
    await expect.poll(() => focused(ivan)).toBe('H1:Customers');
  });

  it('says in the Activate dialog how many reporting installations trust the new key', async () => {
    await fixture.issuer.keys.rotate('license', 'alice');
    await alice.goto(`${url}/keys`);
    await alice.getByRole('button', { name: 'Activate' }).first().click();
    const dialog = alice.getByRole('dialog', { name: 'Activate this key?' });
    await dialog.waitFor();
    await dialog
      .getByText(/\d+ of \d+ reporting installations trust the key set with this key/)
      .waitFor();
    await dialog.getByText(/until their next online check/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('ignores a Since in the address that is no date, and offers the actions to filter by', async () => {
    await alice.goto(`${url}/audit?since=garbage`);
    await alice.getByRole('table', { name: 'Audit events' }).waitFor();
    const link = alice.getByRole('link', { name: /Export CSV/ });
    expect(await link.textContent()).toBe('Export CSV (every event)');
    expect(await link.getAttribute('href')).not.toContain('NaN');
    await alice.getByText(/The Since date in the address \(garbage\) is not a date/).waitFor();
    const action = alice.getByLabel('Action');
    const list = await action.getAttribute('list');
    expect(list).toBeTruthy();
    const offered = await alice
      .locator(`datalist[id="${list}"] option`)
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(offered.length).toBeGreaterThan(0);
    expect(offered).toContain('user.disable');
  });

  it('rotates a webhook secret with an overlap, shows the new one once, and checks the hours first', async () => {
    const endpoint = {
      id: 'whe_qa_rotate',
      url: 'https://crm.example.com/rotate',
      description: '',
      events: ['license.issued' as const],
      secret: 'whsec_b2xkIHNlY3JldCBvZiB0aGUgdGVzdA==',
      enabled: true,
      createdAt: Date.now(),
      createdBy: 'alice',
      updatedAt: Date.now(),
    };
    await fixture.issuer.store.automation.insertWebhookEndpoint(endpoint);
    const posts = sent(alice, 'POST', /\/secret\/rotate$/);
    try {
      await alice.goto(`${url}/webhooks`);
      await alice.getByRole('button', { name: `Rotate the secret of ${endpoint.url}` }).click();
      const dialog = alice.getByRole('dialog', { name: 'Rotate the signing secret' });
      await dialog.getByLabel('Overlap (hours)').fill('200');
      await dialog.getByRole('button', { name: 'Rotate secret' }).click();
      await dialog.getByText('A whole number of hours from 0 to 168.').waitFor();
      expect(posts.seen).toEqual([]);
      await dialog.getByLabel('Overlap (hours)').fill('2');
      await dialog.getByRole('button', { name: 'Rotate secret' }).click();
      const shown = alice.getByTestId('webhook-rotated-secret');
      await shown.waitFor();
      const secret = (await shown.inputValue()).trim();
      expect(secret).toMatch(/^whsec_/);
      expect(posts.seen).toEqual([JSON.stringify({ overlapHours: 2 })]);
      const stored = await fixture.issuer.store.automation.getWebhookEndpoint(endpoint.id);
      expect(stored).toMatchObject({ secret, previousSecret: endpoint.secret });
      await alice.getByText(/carries both signatures/).waitFor();
    } finally {
      posts.stop();
    }
  });
});
