// The Issue page's guards in a real browser: a key is only ever signed for the challenge text
// that was read (changing the box drops the inspection), terms typed before the plans answer
// stay, a possible copy is the first and gravest warning, the file button shows keyboard focus;
// and a license page names a re-issue in its history.
import { stepChain } from '@licensor/issuer/checks';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addStandardPlan,
  type Fixture,
  makeChallenge,
  newInstallation,
  PASSWORDS,
} from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  servePortal,
} from './browser.js';

describeInChromium('the Issue page in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;

  const box = () => page.getByLabel('Challenge', { exact: true });
  const terms = () => page.getByRole('form', { name: 'Terms' });

  async function read(challenge: string) {
    await box().fill(challenge);
    await page.getByRole('button', { name: 'Read challenge' }).click();
    await page.getByRole('heading', { name: '2. What the challenge says' }).waitFor();
  }

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    await addStandardPlan(fixture);
    browser = await launch();
    page = await loggedInPage(browser, url, 'ivan', { viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('drops the inspection as soon as the challenge box changes, and issues for the challenge it read', async () => {
    const a = newInstallation();
    const b = newInstallation();
    const challengeA = makeChallenge(fixture, a, {
      request: { kind: 'license', credentials: 100, customerName: 'Acme Bank' },
    });
    const challengeB = makeChallenge(fixture, b, {
      request: { kind: 'license', credentials: 500, customerName: 'Other Corp' },
    });
    await page.goto(`${url}/issue`);
    await read(challengeA);
    await terms().getByRole('button', { name: 'Issue key' }).waitFor();
    // Another challenge pasted over the one read: its terms and the Issue button go, back to
    // "Read challenge" (a key was signed for the new text with the old inspection's terms).
    await box().fill(challengeB);
    await expect.poll(() => page.getByRole('button', { name: 'Issue key' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: '2. What the challenge says' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Read challenge' }).click();
    await expect
      .poll(() => terms().getByLabel('Customer', { exact: true }).inputValue())
      .toBe('Other Corp');
    await terms().getByRole('button', { name: 'Issue key' }).click();
    await page.getByTestId('license-key').waitFor();
    const licenses = await fixture.issuer.listLicenses();
    expect(licenses.map((l) => [l.installationId, l.customerName])).toEqual([[b.id, 'Other Corp']]);

    // "Replace the license it holds" goes with the inspection it answers: a changed box drops it.
    await page.getByRole('button', { name: 'Start over' }).click();
    await read(makeChallenge(fixture, b, { request: { kind: 'license', credentials: 50 } }));
    await terms().getByLabel('Customer', { exact: true }).fill('Other Corp');
    await terms().getByRole('button', { name: 'Issue key' }).click();
    const replace = page.getByRole('button', { name: 'Replace the license it holds' });
    await replace.waitFor();
    await box().fill(makeChallenge(fixture, a));
    await expect.poll(() => replace.count()).toBe(0);
    expect((await fixture.issuer.listLicenses()).length).toBe(1);
  });

  it('keeps terms typed before the plans answer, and fills the plan’s values into the fields left alone', async () => {
    const installation = newInstallation();
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, installation, { v: 2 }),
      {
        customerName: 'Umbrella',
        model: 'subscription',
        credentials: 300,
        termDays: 365,
        graceDays: 14,
        plan: 'Standard',
        limits: [{ name: 'sites', value: 5 }],
      },
      'ivan',
    );
    const challenge = makeChallenge(fixture, installation, {
      v: 2,
      license: {
        id: issued.license.id,
        revision: 1,
        customerName: 'Umbrella',
        model: 'subscription',
      },
      request: { kind: 'license', credentials: 300 },
    });
    // The plans answer only once the terms are typed.
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/plans', async (route) => {
      await answered;
      await route.continue();
    });
    try {
      await page.goto(`${url}/issue`);
      await read(challenge);
      const customer = terms().getByLabel('Customer', { exact: true });
      await customer.fill('Umbrella Holdings');
      await terms().getByLabel('Number of credentials').fill('444');
      expect(await terms().getByLabel('Plan', { exact: true }).count()).toBe(0);
      release();
      await terms().getByLabel('Plan', { exact: true }).waitFor();
      // Typed: kept. Not shown before (the plan's limit): the license's value.
      expect(await customer.inputValue()).toBe('Umbrella Holdings');
      expect(await terms().getByLabel('Number of credentials').inputValue()).toBe('444');
      expect(await terms().getByLabel('Plan', { exact: true }).inputValue()).toBe(
        (await fixture.issuer.plans.get('Standard'))?.id,
      );
      expect(await terms().getByLabel('Limit sites').inputValue()).toBe('5');
    } finally {
      release();
      await page.unroute('**/api/v1/plans');
    }
  });

  it("shows the server's refusal of a term at its field (a plan changed after the form was filled)", async () => {
    const challenge = makeChallenge(fixture, newInstallation(), {
      v: 2,
      request: { kind: 'license', credentials: 150, customerName: 'Hooli' },
    });
    await page.goto(`${url}/issue`);
    await read(challenge);
    const before = await fixture.issuer.plans.get('Standard');
    await terms().getByLabel('Plan', { exact: true }).selectOption(before!.id);
    await terms().getByLabel('Number of credentials').fill('150');
    // Meanwhile an admin raises the plan's floor: the form still knows the old bounds.
    await fixture.issuer.plans.update(
      'Standard',
      { credentials: { value: 500, min: 400, max: 1000 } },
      'alice',
    );
    try {
      const licenses = (await fixture.issuer.listLicenses()).length;
      await terms().getByRole('button', { name: 'Issue key' }).click();
      // At the field, in the form's words; nothing issued.
      await terms().getByText('on plan "Standard" (asked 150).').waitFor();
      const described = await terms()
        .getByLabel('Number of credentials')
        .evaluate((input) =>
          (input.getAttribute('aria-describedby') ?? '')
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' '),
        );
      expect(described).toMatch(/Must be .*400.* on plan "Standard" \(asked 150\)\./);
      expect((await fixture.issuer.listLicenses()).length).toBe(licenses);
    } finally {
      await fixture.issuer.plans.update('Standard', { credentials: before!.credentials }, 'alice');
    }
  });

  it('shows a possible copy and an open fork first, as errors, with their titles', async () => {
    const installation = newInstallation();
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, installation),
      { customerName: 'Initech', model: 'perpetual', credentials: 50 },
      'ivan',
    );
    const licenseId = issued.license.id;
    // Two copies of the installation check in: the verify service records a fork.
    const step = (presented: string | null, token: string, address: string) =>
      stepChain(
        fixture.issuer.store.chains,
        {
          installationId: installation.id,
          licenseId,
          presented,
          checkToken: token,
          evidence: {
            at: fixture.clock.now,
            address,
            credentialsInUse: 7,
            sdkVersion: '0.2.0',
            presented,
          },
          now: fixture.clock.now,
        },
        'warn',
      );
    const start = await step(null, 's', '10.0.0.1');
    const original = await step(start.next, 'o', '10.0.0.1');
    const copy = await step(start.next, 'c', '10.0.0.2');
    await step(original.next, 'o2', '10.0.0.1');
    await step(copy.next, 'c2', '10.0.0.2');
    fixture.advance(60_000);
    await page.goto(`${url}/issue`);
    await read(
      makeChallenge(fixture, installation, {
        license: { id: licenseId, revision: 1, customerName: 'Initech', model: 'perpetual' },
        request: { kind: 'license', credentials: 80, customerName: 'Initech' },
      }),
    );
    const warnings = page.getByRole('list', { name: 'Warnings' });
    await warnings.waitFor();
    const shown = await warnings.getByRole('listitem').evaluateAll((items) =>
      items.map((item) => ({
        tone: item.className.replace(/^finding finding-/, ''),
        title: item.querySelector('strong')?.textContent ?? '',
      })),
    );
    expect(shown.slice(0, 2)).toEqual([
      { tone: 'error', title: 'Possible copy of this installation' },
      { tone: 'error', title: 'Open fork: two copies check in' },
    ]);
    // Every warning has a title of its own, none the raw kind.
    for (const { title } of shown) expect(title).not.toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
  });

  it('shows keyboard focus on the “Open .txt file…” button', async () => {
    await page.goto(`${url}/issue`);
    await page.getByRole('button', { name: 'Read challenge' }).focus();
    await page.keyboard.press('Tab');
    const input = page.getByLabel('Open .txt file…');
    expect(await input.evaluate((element) => element === document.activeElement)).toBe(true);
    const outline = await page
      .locator('label.file-button')
      .evaluate((label) => getComputedStyle(label).outlineStyle);
    expect(outline).toBe('solid');
  });

  it('names a re-issue in the license’s history', async () => {
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation(), { v: 2 }),
      {
        customerName: 'Stark Industries',
        model: 'subscription',
        credentials: 200,
        termDays: 365,
        graceDays: 14,
        plan: 'Standard',
      },
      'ivan',
    );
    await fixture.issuer.reissue(
      issued.license.id,
      { plan: 'Standard', limits: [{ name: 'sites', value: 6 }] },
      'ivan',
    );
    await page.goto(`${url}/licenses/${issued.license.id}`);
    const history = page.getByRole('list', { name: 'Transactions' });
    await history.getByText('Re-issued with new entitlements').waitFor();
    expect(await history.locator('.timeline-head strong').allTextContents()).not.toContain(
      'reissue',
    );
  });

  it('brings back the challenge and the typed terms after the session ends mid-issue, to the same user only', async () => {
    const mine = await loggedInPage(browser, url, 'ivan');
    mine.setDefaultTimeout(10_000);
    const installation = newInstallation();
    const challenge = makeChallenge(fixture, installation, {
      request: { kind: 'license', credentials: 100, customerName: 'Draft Bank' },
    });
    await mine.goto(`${url}/issue`);
    await mine.getByLabel('Challenge', { exact: true }).fill(challenge);
    await mine.getByRole('button', { name: 'Read challenge' }).click();
    const form = mine.getByRole('form', { name: 'Terms' });
    await form.getByLabel('Number of credentials').fill('321');
    await form.getByLabel('Customer', { exact: true }).fill('Draft Bank Ltd');

    // (Last in the file: it moves the portal's clock past every open session's idle limit.)
    // Half an hour away: the session is over; Issue key meets the login page, nothing is signed.
    fixture.advance(31 * 60_000);
    await form.getByRole('button', { name: 'Issue key' }).click();
    await mine.getByText('Your session has ended').waitFor();
    const ofIt = async () =>
      (await fixture.issuer.listLicenses()).filter((l) => l.installationId === installation.id);
    expect(await ofIt()).toEqual([]);
    await mine.getByLabel('User name').fill('ivan');
    await mine.getByLabel('Password').fill(PASSWORDS.ivan);
    await mine.getByRole('button', { name: 'Log in' }).click();

    // Back on the Issue page: the challenge, read again, and the terms as they were typed.
    await mine.getByText('are back. Check them before you go on.').waitFor();
    expect(await mine.getByLabel('Challenge', { exact: true }).inputValue()).toBe(challenge);
    await expect.poll(() => form.getByLabel('Number of credentials').inputValue()).toBe('321');
    expect(await form.getByLabel('Customer', { exact: true }).inputValue()).toBe('Draft Bank Ltd');
    await form.getByRole('button', { name: 'Issue key' }).click();
    await mine.getByTestId('license-key').waitFor();
    expect(await ofIt()).toEqual([
      expect.objectContaining({ customerName: 'Draft Bank Ltd', credentials: 321 }),
    ]);

    // Issued: nothing is brought back any more.
    await mine.goto(`${url}/issue`);
    await mine.getByRole('button', { name: 'Read challenge' }).waitFor();
    expect(await mine.getByLabel('Challenge', { exact: true }).inputValue()).toBe('');

    // A draft left by one user is not shown to another who logs in on the same tab.
    await mine.getByLabel('Challenge', { exact: true }).fill(challenge);
    fixture.advance(31 * 60_000);
    await mine.getByRole('button', { name: 'Read challenge' }).click();
    await mine.getByText('Your session has ended').waitFor();
    await mine.getByLabel('User name').fill('alice');
    await mine.getByLabel('Password').fill(PASSWORDS.alice);
    await mine.getByRole('button', { name: 'Log in' }).click();
    await mine.getByRole('button', { name: 'Read challenge' }).waitFor();
    expect(await mine.getByLabel('Challenge', { exact: true }).inputValue()).toBe('');
    expect(await mine.getByText('are back').count()).toBe(0);
    expect(
      await mine.evaluate(() =>
        Object.keys(sessionStorage).filter((k) => k.startsWith('licensor.draft.')),
      ),
    ).toEqual([]);
    await mine.context().close();
  });
});
