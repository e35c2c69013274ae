// The portal's browser tests: where the built SPA is, screenshots, and the server's address.
// Chromium itself (path, flags, skip locally / required in CI) comes from @licensor/test-support.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { type Fixture, makePortal, PASSWORDS, type TestUser } from '../helpers.js';

export { describeInChromium, launchChromium as launch } from '@licensor/test-support';

const here = dirname(fileURLToPath(import.meta.url));
/** The built SPA; LICENSOR_PORTAL_WEB_ROOT serves another build (e.g. one made before a change). */
export const WEB_ROOT = process.env.LICENSOR_PORTAL_WEB_ROOT ?? resolve(here, '../../dist/web');

/**
 * Screenshots go to test-artifacts/ on every run; with LICENSOR_UPDATE_SCREENSHOTS=1 they
 * replace the committed ones in docs/screenshots (shown in the README).
 */
export const SCREENSHOT_DIR =
  process.env.LICENSOR_UPDATE_SCREENSHOTS === '1'
    ? resolve(here, '../../docs/screenshots')
    : resolve(here, '../../test-artifacts/screenshots');

export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: join(SCREENSHOT_DIR, `${name}.png`),
    fullPage: options.fullPage ?? false,
    animations: 'disabled',
    caret: 'hide',
  });
}

export function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function assertWebBuilt(): void {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(
      `The SPA is not built (${WEB_ROOT}). Run \`pnpm --filter @licensor/issuer-portal build\` first.`,
    );
  }
}

/** A portal fixture serving the built SPA on a port the OS chose. */
export interface ServedPortal {
  fixture: Fixture;
  url: string;
  close(): Promise<void>;
}

export async function servePortal(): Promise<ServedPortal> {
  assertWebBuilt();
  const fixture = await makePortal({ webRoot: WEB_ROOT });
  const server = await new Promise<Server>((resolve) => {
    const listening = fixture.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    fixture,
    url: baseUrl(server),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await fixture.close();
    },
  };
}

/**
 * A new page (1280 x 820 unless `context` says otherwise) with `user` logged in through the
 * login page, once the main navigation is shown.
 */
export async function loggedInPage(
  browser: Browser,
  url: string,
  user: TestUser,
  context: BrowserContextOptions = {},
): Promise<Page> {
  const page = await (
    await browser.newContext({ viewport: { width: 1280, height: 820 }, ...context })
  ).newPage();
  await logIn(page, url, user);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

/** Logs `user` in through the login page. */
export async function logIn(page: Page, url: string, user: TestUser): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORDS[user]);
  await page.getByRole('button', { name: 'Log in' }).click();
}
