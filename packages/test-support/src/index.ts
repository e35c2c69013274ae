// The one way Licensor's browser tests get a headless Chromium (Debian's chromium, driven by
// playwright-core): where it is, the flags it runs with, and what happens when it is missing.
// Missing Chromium skips the suite with a message that says how to run it, unless
// LICENSOR_REQUIRE_CHROMIUM=1 (CI sets it): then the suite is one failing test instead, so a CI
// without Chromium cannot pass by skipping.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';
import { describe, it } from 'vitest';

/** The flags every browser test runs Chromium with (headless, no sandbox, nothing phoning home). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

type Env = Readonly<Record<string, string | undefined>>;

/** `CHROMIUM_PATH`, or Debian's /usr/bin/chromium. */
export function chromiumPath(env: Env = process.env): string {
  return env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/**
 * What a browser suite does here: `run` (Chromium is there), `skip` (it is not, and nobody
 * requires it) or `fail` (it is not, and LICENSOR_REQUIRE_CHROMIUM=1), with the message to say.
 */
export function chromiumPlan(
  env: Env = process.env,
  exists: (path: string) => boolean = existsSync,
): { mode: 'run' | 'skip' | 'fail'; path: string; message: string } {
  const path = chromiumPath(env);
  if (exists(path)) return { mode: 'run', path, message: `Chromium at ${path}` };
  const missing = `no Chromium at ${path}. Install Debian's chromium package or set CHROMIUM_PATH.`;
  return env.LICENSOR_REQUIRE_CHROMIUM === '1'
    ? { mode: 'fail', path, message: `LICENSOR_REQUIRE_CHROMIUM=1 but ${missing}` }
    : { mode: 'skip', path, message: `browser tests skipped: ${missing}` };
}

/**
 * The browser suite `name`: run when Chromium is there; skipped with a message when it is not;
 * a failing test in its place when it is not but LICENSOR_REQUIRE_CHROMIUM=1.
 */
export function describeInChromium(name: string, suite: () => void): void {
  const plan = chromiumPlan();
  if (plan.mode === 'run') {
    describe(name, suite);
  } else if (plan.mode === 'fail') {
    describe(name, () => {
      it('runs (LICENSOR_REQUIRE_CHROMIUM=1)', () => {
        throw new Error(plan.message);
      });
    });
  } else {
    console.warn(`${name}: ${plan.message}`);
    describe.skip(name, suite);
  }
}

/** Headless Chromium with the flags above; `options` adds to them (never replaces the path). */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    ...options,
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(options.args ?? [])],
  });
}
