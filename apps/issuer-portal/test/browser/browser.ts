// Real headless Chromium for the browser tests (Debian's chromium, driven by playwright-core).
// When it is missing the suites skip and say how to run them, unless LICENSOR_REQUIRE_CHROMIUM=1
// (CI sets it): then a missing Chromium fails the run instead of passing it silently.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM_PATH);
const missing = `no Chromium at ${CHROMIUM_PATH}. Install Debian's chromium package or set CHROMIUM_PATH.`;
if (!CHROMIUM_AVAILABLE && process.env.LICENSOR_REQUIRE_CHROMIUM !== '1') {
  console.warn(`browser tests skipped: ${missing}`);
}

/**
 * The browser suite `name`, run when Chromium is there; skipped with a message when it is not;
 * and a failing test in its place when it is not but LICENSOR_REQUIRE_CHROMIUM=1.
 */
export function describeInChromium(name: string, suite: () => void): void {
  if (CHROMIUM_AVAILABLE) {
    describe(name, suite);
  } else if (process.env.LICENSOR_REQUIRE_CHROMIUM === '1') {
    describe(name, () => {
      it('runs (LICENSOR_REQUIRE_CHROMIUM=1)', () => {
        throw new Error(`LICENSOR_REQUIRE_CHROMIUM=1 but ${missing}`);
      });
    });
  } else {
    describe.skip(name, suite);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = resolve(here, '../../dist/web');

/**
 * Screenshots go to test-artifacts/ on every run; with LICENSOR_UPDATE_SCREENSHOTS=1 they
 * replace the committed ones in docs/screenshots (shown in the README).
 */
export const SCREENSHOT_DIR =
  process.env.LICENSOR_UPDATE_SCREENSHOTS === '1'
    ? resolve(here, '../../docs/screenshots')
    : resolve(here, '../../test-artifacts/screenshots');

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

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
