// Issue #17 in a real browser: on the license page an issuer sets the license's fork policy and
// closes a possible copy with a reason (audited); the Audit page shows the hash chain holds and
// downloads the signed export, which the standalone verifier accepts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stepChain } from '@licensor/issuer/checks';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, makeChallenge, newInstallation } from '../helpers.js';
import {
  describeInChromium,
  launch,
  loggedInPage,
  type ServedPortal,
  screenshot,
  servePortal,
} from './browser.js';

const VERIFIER = fileURLToPath(
  new URL('../../../../packages/issuer/scripts/verify-audit-export.mjs', import.meta.url),
);

describeInChromium('forks and the audit chain in Chromium', () => {
  let served: ServedPortal;
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  let licenseId = '';
  let forkId = '';

  beforeAll(async () => {
    served = await servePortal();
    fixture = served.fixture;
    url = served.url;
    const installation = newInstallation();
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, installation),
      { customerName: 'Initech', model: 'perpetual', credentials: 50 },
      'ivan',
    );
    licenseId = issued.license.id;
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
    forkId = (await step(copy.next, 'c2', '10.0.0.2')).fork!.id;
    browser = await launch();
    page = await loggedInPage(browser, url, 'ivan', { acceptDownloads: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('sets the license fork policy and closes the possible copy with a reason', async () => {
    await page.goto(`${url}/licenses/${licenseId}`);
    const policy = page.getByTestId('fork-policy');
    await policy.getByText("the verify service's default (warn)").waitFor();
    await policy.getByLabel('Fork policy of this license').selectOption('suspend-both');
    await policy.getByRole('button', { name: 'Save fork policy' }).click();
    await policy.getByText('Suspend both while the fork is open, set on the license').waitFor();
    expect(await fixture.issuer.forks.getPolicy(licenseId)).toBe('suspend-both');

    const card = page.locator('.card-warning', { hasText: 'Possible copy' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Close fork…' }).click();
    const dialog = page.getByTestId('confirm').filter({ hasText: 'Close this fork' });
    const confirm = dialog.getByRole('button', { name: 'Close fork' });
    expect(await confirm.isDisabled()).toBe(true); // no reason yet: nothing can be sent
    expect((await fixture.issuer.forks.get(forkId))?.status).toBe('open');
    await dialog.getByLabel('Reason (kept in the audit log)').fill('the copy was shut down');
    await screenshot(page, 'fork-close');
    await confirm.click();
    await card.waitFor({ state: 'detached' });
    expect(await fixture.issuer.forks.get(forkId)).toMatchObject({
      status: 'closed',
      closedBy: 'ivan',
      closeReason: 'the copy was shut down',
    });
    expect(await fixture.issuer.listAuditEvents({ action: 'fork.close' })).toMatchObject([
      { actor: 'ivan', details: { forkId, reason: 'the copy was shut down' } },
    ]);
  });

  it('shows the audit chain holds and downloads a signed export the standalone verifier accepts', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    const chain = page.getByTestId('audit-chain');
    await chain.getByText('The hash chain holds').waitFor();
    await screenshot(page, 'audit-chain');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      chain.getByRole('link', { name: 'Download signed export' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^licensor-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const dir = mkdtempSync(join(tmpdir(), 'portal-audit-browser-'));
    try {
      const file = join(dir, 'export.jsonl');
      await download.saveAs(file);
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify(await fixture.issuer.keys.exportJwks()));
      const { stdout } = await promisify(execFile)(process.execPath, [
        VERIFIER,
        file,
        join(dir, 'jwks.json'),
      ]);
      expect(stdout).toMatch(/^OK: \d+ chained entries/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
