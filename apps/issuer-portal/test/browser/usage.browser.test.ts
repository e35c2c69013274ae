// Usage you can see, in a real browser: the dashboard is the page after sign-in and counts what
// needs a look (near the cap, checks stopped, ending soon, open forks) with links to each
// license; a license page draws its daily usage against its cap with uPlot, from the API's data.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CAP_COLOR, USAGE_COLOR } from '../../web/src/usage-colors.js';
import { type Fixture, makeChallenge, newInstallation, PASSWORDS, START } from '../helpers.js';
import {
  describeInChromium,
  launch,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describeInChromium('usage chart and dashboard in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  const ids: Record<'busy' | 'silent' | 'ending', string> = { busy: '', silent: '', ending: '' };
  let checkCount = 0;

  const subscription = async (customerName: string, credentials: number, termDays: number) =>
    (
      await fixture.issuer.issue(
        makeChallenge(fixture, newInstallation()),
        { customerName, model: 'subscription', credentials, termDays, graceDays: 14 },
        'ivan',
      )
    ).license.id;

  const checks = (licenseId: string, at: number, inUse: number[]) =>
    fixture.issuer.store.recordChecks(
      inUse.map((used, i) => {
        checkCount += 1;
        return {
          id: `chk_browser${String(checkCount).padStart(14, '0')}`,
          at: at + i * HOUR_MS,
          licenseId,
          installationId: 'inst_browser',
          sdkVersion: '1.4.0',
          credentialsInUse: used,
          outcome: 'VALID' as const,
        };
      }),
    );

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    ids.busy = await subscription('Initech', 250, 365);
    ids.silent = await subscription('Umbrella', 500, 365);
    ids.ending = await subscription('Hooli', 100, 20);
    // Fourteen days of Initech's usage, growing towards its cap of 250; a day without checks.
    for (let day = 13; day >= 0; day -= 1) {
      if (day === 6) continue;
      const base = 150 + (13 - day) * 7;
      await checks(ids.busy, START - day * DAY_MS - 8 * HOUR_MS, [base - 10, base, base - 4]);
    }
    await checks(ids.silent, START - 6 * DAY_MS, [120]);
    await checks(ids.ending, START - 2 * HOUR_MS, [30]);
    await fixture.issuer.store.chains.recordFork({
      id: 'frk_browser1',
      licenseId: ids.silent,
      installationId: 'inst_browser',
      status: 'open',
      detectedAt: START - 7 * DAY_MS,
      lastSeenAt: START - 7 * DAY_MS,
      divergentChecks: 2,
      copy: {
        at: START - 7 * DAY_MS,
        address: '203.0.113.7',
        credentialsInUse: 119,
        sdkVersion: '1.4.0',
        presented: null,
      },
      original: null,
      action: 'warn',
      closedAt: null,
      closedBy: null,
      closeReason: null,
    });
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('lands on the dashboard after sign-in, with the counts and links of each list', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('User name').fill('vera');
    await page.getByLabel('Password').fill(PASSWORDS.vera);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const count = (id: string) => page.getByTestId(`count-${id}`).textContent();
    await expect(count('near-cap')).resolves.toBe('1');
    await expect(count('stopped')).resolves.toBe('1');
    await expect(count('expiring')).resolves.toBe('1');
    await expect(count('forks')).resolves.toBe('1');
    const nearCap = page.getByRole('table', { name: 'Licenses near their cap' });
    await expect(nearCap.getByRole('row').nth(1).textContent()).resolves.toContain('237 / 250');
    await expect(
      page.getByRole('table', { name: 'Installations whose checks stopped' }).textContent(),
    ).resolves.toContain('Umbrella');
    await expect(
      page.getByRole('table', { name: 'Subscriptions ending soon' }).textContent(),
    ).resolves.toContain('Hooli');
    await expect(page.getByRole('table', { name: 'Open forks' }).textContent()).resolves.toContain(
      'frk_browser1',
    );
    await screenshot(page, 'dashboard', { fullPage: true });
    await nearCap.getByRole('link', { name: 'Initech' }).click();
    await page.getByRole('heading', { name: /Initech/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/licenses/${ids.busy}`);
  });

  it('changes the thresholds on the page: kept in the address and remembered in this browser', async () => {
    await page.goto(`${url}/dashboard`);
    const count = (id: string) => page.getByTestId(`count-${id}`).textContent();
    await expect.poll(() => count('near-cap')).toBe('1');
    const form = page.getByRole('form', { name: 'Thresholds' });
    await expect(form.getByLabel('Near the cap from (%)').inputValue()).resolves.toBe('90');
    // Out of range: refused at the field; the address and the counts stay.
    await form.getByLabel('Near the cap from (%)').fill('0');
    await form.getByRole('button', { name: 'Apply' }).click();
    await form.getByText('Enter a whole number from 1 to 1,000.').waitFor();
    expect(new URL(page.url()).search).toBe('');
    await expect(count('near-cap')).resolves.toBe('1');

    // Initech uses 237 of 250 (94.8%), Umbrella is silent for 6 days, Hooli ends in 20 days.
    await form.getByLabel('Near the cap from (%)').fill('95');
    await form.getByLabel('Checks stopped after (days)').fill('7');
    await form.getByLabel('Ending within (days)').fill('400');
    await form.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => new URL(page.url()).search)
      .toBe('?nearCapPercent=95&stoppedAfterDays=7&expiringWithinDays=400');
    await expect.poll(() => count('near-cap')).toBe('0');
    await expect(count('stopped')).resolves.toBe('0');
    await expect(count('expiring')).resolves.toBe('3');
    await page.getByText('Near their cap (≥ 95%)').waitFor();
    await screenshot(page, 'dashboard-thresholds', { fullPage: true });

    // The next visit without them in the address uses the ones this browser remembers.
    await page.goto(`${url}/dashboard`);
    await expect.poll(() => count('expiring')).toBe('3');
    await expect(form.getByLabel('Checks stopped after (days)').inputValue()).resolves.toBe('7');
    // Defaults: back to the server's (90%, 3 days, 30 days), forgotten here.
    await form.getByRole('button', { name: 'Defaults' }).click();
    await expect.poll(() => count('near-cap')).toBe('1');
    await expect(count('expiring')).resolves.toBe('1');
    await expect(form.getByLabel('Ending within (days)').inputValue()).resolves.toBe('30');
    await expect(
      page.evaluate(() => window.localStorage.getItem('licensor.dashboard.thresholds')),
    ).resolves.toBeNull();
  });

  it("draws the license's daily usage and its cap from the API's data", async () => {
    await page.goto(`${url}/licenses/${ids.busy}`);
    const chart = page.getByRole('img', { name: 'Usage chart' });
    await chart.locator('canvas').waitFor();
    const api = await page.evaluate(
      async (id) => (await fetch(`/api/v1/licenses/${id}/usage`)).json(),
      ids.busy,
    );
    expect(api.credentials).toBe(250);
    expect(api.days).toHaveLength(13);
    // The numbers the chart draws, as its table lists them, are the API's days.
    await page.getByText('The numbers').click();
    const rows = await page
      .getByRole('table', { name: 'Daily usage' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
    expect(rows).toEqual(
      api.days.map(
        (d: {
          day: string;
          checks: number;
          usageMin: number;
          usageMax: number;
          usageLast: number;
        }) => [
          d.day,
          String(d.checks),
          String(d.usageMin),
          String(d.usageMax),
          String(d.usageLast),
        ],
      ),
    );
    // The canvas has pixels of the usage line and of the cap line, and the cap line is level
    // above the usage (a higher row of the canvas).
    const drawn = await chart.locator('canvas').evaluate(
      (canvas: HTMLCanvasElement, colors: { usage: string; cap: string }) => {
        const hex = (c: string) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
        const [usage, cap] = [hex(colors.usage), hex(colors.cap)];
        const context = canvas.getContext('2d');
        if (!context) return null;
        const { data, width } = context.getImageData(0, 0, canvas.width, canvas.height);
        const near = (i: number, rgb: number[]) =>
          data[i + 3]! > 200 && rgb.every((v, k) => Math.abs(data[i + k]! - v) < 24);
        let painted = 0;
        const rows = { usage: [] as number[], cap: [] as number[] };
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 0) painted += 1;
          const y = Math.floor(i / 4 / width);
          if (near(i, usage)) rows.usage.push(y);
          else if (near(i, cap)) rows.cap.push(y);
        }
        return {
          painted,
          usagePixels: rows.usage.length,
          capPixels: rows.cap.length,
          capRows: new Set(rows.cap).size,
          highestUsageRow: Math.min(...rows.usage),
          capRow: Math.min(...rows.cap),
        };
      },
      { usage: USAGE_COLOR, cap: CAP_COLOR },
    );
    expect(drawn).not.toBeNull();
    expect(drawn!.painted).toBeGreaterThan(1_000);
    expect(drawn!.usagePixels).toBeGreaterThan(100);
    expect(drawn!.capPixels).toBeGreaterThan(100);
    expect(drawn!.capRows).toBeLessThanOrEqual(4); // a level line
    expect(drawn!.capRow).toBeLessThan(drawn!.highestUsageRow);
    await chart.scrollIntoViewIfNeeded();
    await screenshot(page, 'license-usage');
    // Another period: the chart reads the API again for 30 days ending today.
    await page.getByLabel('Period').selectOption('30');
    await expect
      .poll(() => page.locator('figure.usage-chart figcaption').textContent())
      .toContain('2026-10-30 to 2026-11-28');
  });
});
