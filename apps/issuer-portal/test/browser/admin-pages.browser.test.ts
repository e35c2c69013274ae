// Lists and forms of the Users, Customers and Audit pages in a real browser: a role is changed
// by choosing it and Save (arrowing through the select grants nothing), "Show more" customers
// is busy while it loads and says when it failed, and the audit export says what it applies.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  servePortal,
} from './browser.js';

describeInChromium('users, customers and audit pages in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    for (const customerName of ['Acme Bank', 'Globex Corporation']) {
      await fixture.issuer.issue(
        makeChallenge(fixture, newInstallation()),
        { customerName, model: 'perpetual', credentials: 10 },
        'ivan',
      );
    }
    browser = await launch();
    page = await loggedInPage(browser, url, 'alice');
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('changes a role only on Save: arrowing through the select sends nothing', async () => {
    const patches: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH') patches.push(request.postData() ?? '');
    });
    await page.goto(`${url}/users`);
    const role = page.getByLabel('Role of vera');
    await role.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => role.inputValue()).toBe('admin');
    // Give a PATCH the time to be sent, were one sent.
    await page.waitForTimeout(300);
    expect(patches).toEqual([]);
    const role0 = async () => (await fixture.issuer.users.list()).find((u) => u.name === 'vera');
    expect((await role0())?.role).toBe('viewer');

    await role.selectOption('issuer');
    await page.getByRole('button', { name: 'Save vera’s role' }).click();
    await expect.poll(async () => (await role0())?.role).toBe('issuer');
    expect(patches).toEqual([JSON.stringify({ role: 'issuer' })]);
    // Saved: the select shows the role the server has, no Save left.
    await expect.poll(() => page.getByRole('button', { name: 'Save vera’s role' }).count()).toBe(0);
    expect(await role.inputValue()).toBe('issuer');
  });

  it('shows "Show more" customers busy while it loads, and the failure when it fails', async () => {
    // A first page that says there is more; the server refuses the made-up cursor.
    await page.route('**/api/v1/customers', async (route) => {
      const answer = await route.fetch();
      const body = await answer.json();
      await route.fulfill({ response: answer, json: { ...body, nextCursor: 'no-such-cursor' } });
    });
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/customers?cursor=*', async (route) => {
      await answered;
      await route.continue();
    });
    try {
      await page.goto(`${url}/customers`);
      await page.getByRole('cell', { name: 'Acme Bank' }).waitFor();
      const more = page.getByRole('button', { name: 'Show more' });
      await more.click();
      await expect.poll(() => more.getAttribute('aria-busy')).toBe('true');
      expect(await more.isDisabled()).toBe(true);
      release();
      await page.getByText('More customers could not be loaded').waitFor();
      expect(await more.isEnabled()).toBe(true);
      // The rows already shown stay.
      await page.getByRole('cell', { name: 'Globex Corporation' }).waitFor();
    } finally {
      release();
      await page.unroute('**/api/v1/customers?cursor=*');
      await page.unroute('**/api/v1/customers');
    }
  });

  it('labels the audit export with what it applies: the Since date only', async () => {
    await page.goto(`${url}/audit`);
    await page.getByRole('table', { name: 'Audit events' }).waitFor();
    await page.getByRole('link', { name: 'Export CSV (every event)' }).waitFor();
    await page.getByLabel('User').fill('alice');
    await page.getByLabel('Since').fill('2026-11-01');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const link = page.getByRole('link', {
      name: 'Export CSV since 2026-11-01 (every user and action)',
    });
    await link.waitFor();
    const href = new URL((await link.getAttribute('href')) ?? '', url);
    expect(href.searchParams.get('from')).toBe(String(new Date('2026-11-01T00:00:00').getTime()));
    expect(href.searchParams.has('actor')).toBe(false);
  });
});
