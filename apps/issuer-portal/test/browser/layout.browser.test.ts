// Every page at a laptop's 1280 px and a phone's 390 px: the page never scrolls sideways (the
// document is no wider than the window) and its main controls are on screen and usable. Also
// what the license pages say: a revoked license shows its revocation, not a term "in 365 days";
// online checks are shown to the second, with the time zone.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStandardPlan, type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  logIn,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

const VIEWPORTS = [
  { name: 'laptop', width: 1280, height: 820 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** How far the document is wider than the window (0 when it does not scroll sideways). */
async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.documentElement;
    return Math.max(root.scrollWidth, document.body.scrollWidth) - root.clientWidth;
  });
}

/** The control is visible and lies inside the window's width (reachable without scrolling sideways). */
async function expectOnScreen(control: Locator, width: number): Promise<void> {
  await control.waitFor({ state: 'visible' });
  const box = await control.boundingBox();
  expect(box, 'the control has a box').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width + 0.5);
  expect(box!.width).toBeGreaterThan(0);
}

describeInChromium('portal layout at 1280 px and 390 px in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let url: string;
  let activeId = '';
  let revokedId = '';

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    const long = 'Internationale Kreditanstalt für Wiederaufbau und Entwicklung Aktiengesellschaft';
    const installation = newInstallation();
    const active = await fixture.issuer.issue(
      makeChallenge(fixture, installation),
      {
        customerName: long,
        model: 'subscription',
        credentials: 1200,
        termDays: 365,
        graceDays: 14,
      },
      'ivan',
    );
    activeId = active.license.id;
    const revoked = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      {
        customerName: 'Acme Bank',
        model: 'subscription',
        credentials: 250,
        termDays: 365,
        graceDays: 30,
      },
      'ivan',
    );
    revokedId = revoked.license.id;
    fixture.advance(3 * 3_600_000 + 7_000); // 12:00:07 UTC
    await fixture.issuer.revoke(
      revokedId,
      'alice',
      'contract ended early; the customer moved every site to another vendor in one go',
    );
    for (let i = 0; i < 12; i++) {
      await fixture.issuer.issue(
        makeChallenge(fixture, newInstallation()),
        { customerName: `Branch Office ${i} of ${long}`, model: 'perpetual', credentials: 10 },
        'ivan',
      );
    }
    // Two checks of the active license, seconds apart: only seconds tell them apart.
    await fixture.issuer.store.recordChecks(
      [5_000, 42_000].map((offset, i) => ({
        id: `chk_layout_${i}`,
        at: Date.UTC(2026, 10, 28, 14, 3, 0) + offset,
        licenseId: activeId,
        installationId: installation.id,
        sdkVersion: '0.1.0',
        credentialsInUse: 900 + i,
        outcome: 'VALID' as const,
      })),
    );
    // A product and a plan, so that the Products and plans page shows an admin's buttons.
    await addStandardPlan(fixture);
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  for (const viewport of VIEWPORTS) {
    describe(`at ${viewport.width} px (${viewport.name})`, () => {
      let context: BrowserContext;
      let page: Page;

      beforeAll(async () => {
        context = await browser.newContext({
          viewport: { width: viewport.width, height: viewport.height },
          timezoneId: 'UTC',
          locale: 'en-GB',
        });
        page = await context.newPage();
        await logIn(page, url, 'alice');
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      });

      afterAll(async () => {
        await context?.close();
      });

      /** Opens `path`, waits for `ready`, and checks the page does not scroll sideways. */
      async function open(path: string, ready: () => Locator): Promise<void> {
        await page.goto(`${url}${path}`);
        await ready().first().waitFor();
        expect(await sidewaysOverflow(page), `${path} scrolls sideways`).toBe(0);
        // On a laptop every table fits its box too (no sideways scrolling inside it either).
        if (viewport.width >= 1280) {
          const tables = await page.evaluate(() =>
            Array.from(
              document.querySelectorAll('.table-scroll'),
              (box) => box.scrollWidth - box.clientWidth,
            ),
          );
          expect(
            tables.filter((excess) => excess > 0),
            `a table on ${path} scrolls`,
          ).toEqual([]);
        }
      }

      it('the navigation is reachable', async () => {
        await open('/licenses', () => page.getByRole('heading', { name: 'Licenses' }));
        const nav = page.getByRole('navigation', { name: 'Main' });
        if (viewport.width < 700) {
          const menu = page.getByRole('button', { name: 'Menu' });
          await expectOnScreen(menu, viewport.width);
          expect(await nav.getByRole('link', { name: 'Audit log' }).isVisible()).toBe(false);
          await menu.click();
          expect(await menu.getAttribute('aria-expanded')).toBe('true');
        }
        await expectOnScreen(nav.getByRole('link', { name: 'Audit log' }), viewport.width);
        await nav.getByRole('link', { name: 'Audit log' }).click();
        await page.getByRole('heading', { name: 'Audit log' }).waitFor();
        // Choosing a page closes the menu on a phone.
        if (viewport.width < 700) {
          expect(await nav.getByRole('link', { name: 'Audit log' }).isVisible()).toBe(false);
        }
      });

      it('Dashboard', async () => {
        await open('/dashboard', () => page.getByRole('heading', { name: 'Dashboard' }));
        await expectOnScreen(page.locator('.stat').first(), viewport.width);
        await expectOnScreen(page.locator('.stat').last(), viewport.width);
      });

      it('Issue a key', async () => {
        await open('/issue', () => page.getByRole('heading', { name: 'Issue a key' }));
        await expectOnScreen(page.getByLabel('Challenge', { exact: true }), viewport.width);
        await expectOnScreen(page.getByRole('button', { name: 'Read challenge' }), viewport.width);
      });

      it('Licenses', async () => {
        await open('/licenses', () => page.getByRole('table', { name: 'Licenses' }));
        await expectOnScreen(page.getByLabel('Search'), viewport.width);
        await expectOnScreen(page.getByLabel('State'), viewport.width);
        await expectOnScreen(page.getByRole('link', { name: activeId }), viewport.width);
        await expectOnScreen(page.getByRole('link', { name: 'Export CSV' }), viewport.width);
        if (viewport.name === 'phone') await screenshot(page, 'phone-licenses');
        await page
          .getByRole('navigation', { name: 'Pages' })
          .getByLabel('Per page')
          .scrollIntoViewIfNeeded();
        await expectOnScreen(
          page.getByRole('navigation', { name: 'Pages' }).getByLabel('Per page'),
          viewport.width,
        );
      });

      it('a license: actions usable, online checks to the second with the time zone', async () => {
        await open(`/licenses/${activeId}`, () =>
          page.getByRole('table', { name: 'Online checks' }),
        );
        await expectOnScreen(page.getByRole('button', { name: 'Renew' }), viewport.width);
        await expectOnScreen(page.getByRole('button', { name: 'Revoke' }), viewport.width);
        const checks = page.getByRole('table', { name: 'Online checks' });
        const text = await checks.textContent();
        expect(text).toContain('14:03:05');
        expect(text).toContain('14:03:42');
        expect(text).toContain('UTC');
        if (viewport.name === 'phone') await screenshot(page, 'phone-license');
      });

      it('a revoked license shows its revocation instead of a term still running', async () => {
        await open(`/licenses/${revokedId}`, () =>
          page.getByRole('heading', { name: /Acme Bank/ }),
        );
        const term = page.locator('.fact', { hasText: /^Term/ }).locator('dd');
        const shown = (await term.textContent()) ?? '';
        expect(shown).toMatch(/^Revoked 28 Nov 2026, 12:00:07 UTC by alice/);
        expect(shown).not.toMatch(/in \d+ days?/);
        expect(await page.getByText(/\(in 365 days\)/).count()).toBe(0);
        if (viewport.name === 'phone') await screenshot(page, 'phone-license-revoked');
      });

      it('Requests', async () => {
        await open('/requests', () => page.getByRole('heading', { name: 'Requests' }));
        await expectOnScreen(page.getByLabel('Show'), viewport.width);
      });

      it('Customers', async () => {
        await open('/customers', () => page.getByRole('table', { name: 'Customers' }));
        await expectOnScreen(page.getByRole('button', { name: 'Rename' }).first(), viewport.width);
      });

      it('Products and plans', async () => {
        await open('/plans', () => page.getByRole('button', { name: 'Edit product vSEC:CMS' }));
        await expectOnScreen(
          page.getByRole('button', { name: 'Archive product vSEC:CMS' }),
          viewport.width,
        );
        await expectOnScreen(page.getByRole('button', { name: 'New plan' }), viewport.width);
        await expectOnScreen(
          page.getByRole('button', { name: 'Archive plan Standard' }),
          viewport.width,
        );
      });

      it('Signing keys', async () => {
        await open('/keys', () => page.getByRole('table', { name: 'Signing keys' }));
        await expectOnScreen(
          page.getByRole('button', { name: 'Rotate license key' }),
          viewport.width,
        );
        await expectOnScreen(page.getByRole('link', { name: 'Download JWKS' }), viewport.width);
      });

      it('Users', async () => {
        await open('/users', () => page.getByRole('table', { name: 'Users' }));
        await expectOnScreen(page.getByLabel('Role of ivan'), viewport.width);
        await expectOnScreen(page.getByRole('button', { name: 'Add user' }), viewport.width);
      });

      it('Audit log', async () => {
        await open('/audit', () => page.getByRole('table', { name: 'Audit events' }));
        await expectOnScreen(page.getByRole('button', { name: 'Apply filters' }), viewport.width);
        await expectOnScreen(page.getByLabel('Object ID'), viewport.width);
        const first = page.getByRole('table', { name: 'Audit events' }).getByRole('row').nth(1);
        expect(await first.textContent()).toMatch(/\d\d:\d\d:\d\d UTC/);
        if (viewport.name === 'phone') await screenshot(page, 'phone-audit');
      });

      it('Your account', async () => {
        await open('/account', () => page.getByRole('heading', { name: 'Your account' }));
        await expectOnScreen(page.getByLabel('Current password'), viewport.width);
      });
    });
  }
});
