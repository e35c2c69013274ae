// The package runs in a browser: src/ bundles for the browser platform with no Node built-in,
// and in headless Chromium it picks the noble backend, verifies the golden messages, signs
// tokens that verify, and refuses a tampered one with its code. Needs Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium); without it the suite is skipped with a message,
// or fails when LICENSOR_REQUIRE_CHROMIUM=1 (CI).

import { describeInChromium, launchChromium } from '@licensor/test-support';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { golden } from './forge.js';

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'LicensorToken',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describeInChromium('in a browser (Chromium)', () => {
  let browser: Browser;
  let code: string;

  beforeAll(async () => {
    code = await bundle();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('the browser bundle contains no Node built-in', () => {
    expect(code).not.toMatch(/require\(["']node:/);
    expect(code).toContain('getBuiltinModule');
  });

  it('verifies the golden messages, signs, and refuses a tampered token', async () => {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>licensor token</title>');
    await page.addScriptTag({ content: code });
    const outcome = await page.evaluate((fixture) => {
      const t = (globalThis as unknown as { LicensorToken: typeof import('../src/index.js') })
        .LicensorToken;
      const keyring = t.Keyring.fromJwks(fixture.jwks);
      const license = t.verifyLicense(fixture.license.armoured, keyring);
      const status = t.verifyStatus(fixture.status.token, keyring);
      const challenge = t.verifyChallenge(fixture.challenge.token);
      const key = t.keyPairFromSeed(t.base64urlDecode(fixture.keys.license.seedBase64url));
      const resigned = t.signLicense(fixture.license.claims, key);
      const fresh = t.generateKeyPair();
      const ring = t.Keyring.of([{ publicKey: fresh.publicKey, purpose: 'license' }]);
      const roundTrip = t.verifyLicense(t.signLicense(fixture.license.claims, fresh), ring);
      const token: string = fixture.license.token;
      const at = token.indexOf('.') + 20; // inside the payload
      const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
      let code = 'none';
      try {
        t.verifyLicense(tampered, keyring);
      } catch (error) {
        code = (error as { code: string }).code;
      }
      return {
        backend: t.getEd25519Backend(),
        license: license.claims,
        status: status.claims,
        installationId: challenge.installationId,
        resignedEqual: resigned === fixture.license.token,
        roundTripKid: roundTrip.kid === fresh.kid,
        code,
      };
    }, golden);
    expect(outcome.backend).toBe('noble');
    expect(outcome.license).toEqual(golden.license.claims);
    expect(outcome.status).toEqual(golden.status.claims);
    expect(outcome.installationId).toBe(golden.keys.installation.kid);
    expect(outcome.resignedEqual).toBe(true);
    expect(outcome.roundTripKid).toBe(true);
    expect(outcome.code).toBe('ERR_SIGNATURE_INVALID');
  });
});
