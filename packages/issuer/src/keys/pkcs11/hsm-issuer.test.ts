// The issuer with its license key in SoftHSM2: the store records only where the key is, issued
// licenses verify with the SDK's keyring and with jose, the key follows the same states as any
// other; and when the HSM cannot sign (token pulled out, key deleted, wrong PIN) issuing fails
// with a typed error and stores nothing. Skipped where SoftHSM2 is absent, required in CI.

import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, verifyLicense } from '@licensor/token';
import Database from 'better-sqlite3';
import { compactVerify, createLocalJWKSet } from 'jose';
import * as pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frozenClock, TestInstallation } from '../../../test/support/fixtures.js';
import { generateBehind } from '../../../test/support/hsm-behind.js';
import { openIssuer } from '../../domain/open-issuer.js';
import type { Issuer } from '../../facade.js';
import type { Terms } from '../../records.js';
import { openStore, SQLITE_FILE } from '../../store/open-store.js';
import { createSoftHsm, type SoftHsm, softHsmSkipReason } from './softhsm.js';

const skip = softHsmSkipReason();

const terms: Terms = { customerName: 'Bank of Tests', model: 'perpetual', credentials: 25 };

/**
 * A logged-in session on the token, on a second handle of the module this process initialised,
 * as an operator's tool would have: for changing the token behind the issuer's back.
 */
function behindTheIssuer(token: string): {
  p: pkcs11js.PKCS11;
  session: Buffer;
  close(): void;
} {
  const p = new pkcs11js.PKCS11();
  p.load(process.env.LICENSOR_PKCS11_MODULE!);
  try {
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch {
    // already initialised by the issuer
  }
  const slot = p.C_GetSlotList(true).find((s) => {
    try {
      return p.C_GetTokenInfo(s).label.trim() === token;
    } catch {
      return false;
    }
  })!;
  const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  return { p, session, close: () => p.C_CloseSession(session) };
}

describe.skipIf(skip !== null)('issuing with the license key in SoftHSM2', () => {
  let hsm: SoftHsm;
  const saved = { ...process.env };
  const dirs: string[] = [];
  const tokenFolders = new Map<string, string>();

  beforeAll(() => {
    hsm = createSoftHsm();
    process.env.SOFTHSM2_CONF = hsm.conf;
    // Every token this file uses exists before the module is first initialised.
    for (const label of ['issuing', 'pulled', 'emptied', 'doubled', 'swapped']) {
      const folders = join(hsm.dir, 'tokens');
      const before = new Set(readdirSync(folders));
      const env = hsm.env(label, hsm.initToken(label, `pin-${label}`));
      tokenFolders.set(label, join(folders, readdirSync(folders).find((f) => !before.has(f))!));
      if (label === 'issuing') Object.assign(process.env, env);
    }
  });
  afterAll(() => {
    process.env = saved;
    hsm?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function fresh(token = 'issuing'): Promise<{ issuer: Issuer; dataDir: string }> {
    process.env.LICENSOR_PKCS11_TOKEN = token;
    process.env.LICENSOR_PKCS11_PIN_FILE = join(hsm.dir, `${token}.pin`);
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-hsm-issuer-'));
    dirs.push(dataDir);
    const store = await openStore({ dataDir });
    const issuer = await openIssuer({ store, now: frozenClock().now });
    await issuer.init('test', { hsm: true });
    return { issuer, dataDir };
  }

  it('init --hsm puts the license key in the token; the store keeps only kid, key, token, label', async () => {
    const { issuer, dataDir } = await fresh();
    const keys = await issuer.keys.list();
    const license = keys.find((k) => k.purpose === 'license')!;
    const status = keys.find((k) => k.purpose === 'status')!;
    expect(license).toMatchObject({
      protection: 'pkcs11',
      status: 'active',
      hsm: { token: 'issuing', label: expect.stringMatching(/^licensor-license-/) },
    });
    // The status key stays with the verify service, as before.
    expect(status.protection).toBe('file');
    expect(status.hsm).toBeUndefined();
    await issuer.store.close();
    const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
    const row = db.prepare('SELECT * FROM signing_keys WHERE kid = ?').get(license.kid) as Record<
      string,
      unknown
    >;
    db.close();
    expect(row.sealed).toBeNull();
    expect(JSON.parse(row.hsm as string)).toEqual(license.hsm);
    expect(JSON.parse(row.public_key as string)).toEqual(license.publicKey);
    expect(readdirSync(join(dataDir, 'keys'))).toEqual(['status']); // no license key file
  });

  it('production set-up: the license key in the HSM, the status key sealed under its own secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-hsm-issuer-'));
    dirs.push(dataDir);
    const store = await openStore({ dataDir });
    // No LICENSOR_KEY_PASSPHRASE at all: nothing on the issuing side is sealed by a passphrase.
    const issuer = await openIssuer({
      store,
      passphrase: '',
      statusPassphrase: 'the verify service secret',
      now: frozenClock().now,
    });
    await issuer.init('test', { hsm: true });
    const protections = Object.fromEntries(
      (await issuer.keys.list()).map((k) => [k.purpose, k.protection]),
    );
    expect(protections).toEqual({ license: 'pkcs11', status: 'encrypted' });
    expect((await issuer.keys.rotate('status', 'test')).protection).toBe('encrypted');
    expect((await issuer.keys.rotate('license', 'test', { hsm: true })).protection).toBe('pkcs11');
    await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    await store.close();
  });

  it('issues licenses the SDK keyring and jose verify, signed by the HSM key', async () => {
    const { issuer } = await fresh();
    const installation = new TestInstallation();
    const challenge = installation.challenge();
    const result = await issuer.issue(challenge, terms, 'test');
    const jwks = await issuer.keys.exportJwks();
    const kid = (await issuer.keys.list()).find((k) => k.purpose === 'license')!.kid;
    const verified = verifyLicense(result.token, Keyring.fromJwks(jwks));
    expect(verified.kid).toBe(kid);
    expect(verified.claims).toMatchObject({ sub: installation.id, credentials: 25 });
    expect(result.transaction.kid).toBe(kid);
    const joseVerified = await compactVerify(
      result.token,
      createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]),
    );
    expect(joseVerified.protectedHeader).toMatchObject({ alg: 'EdDSA', kid });
    // Issuing the same challenge again returns the stored key, byte for byte.
    const again = await issuer.issue(challenge, terms, 'test');
    expect(again).toMatchObject({ token: result.token, replayed: true });
  });

  it('follows the key states: an activated key signs, the HSM key still verifies until revoked', async () => {
    const { issuer } = await fresh();
    const hsmKid = (await issuer.keys.list()).find((k) => k.purpose === 'license')!.kid;
    const before = await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    const next = await issuer.keys.rotate('license', 'test', { hsm: true });
    expect(next).toMatchObject({ protection: 'pkcs11', status: 'next' });
    // A next key is published (trusted) but does not sign yet.
    const during = await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    expect(verifyLicense(during.token, Keyring.fromJwks(await issuer.keys.exportJwks())).kid).toBe(
      hsmKid,
    );
    await issuer.keys.activate(next.kid, 'test');
    // The key set telling installations about the change is signed by the new HSM key.
    expect((await issuer.keys.keysets()).at(-1)?.signedBy).toBe(next.kid);
    const after = await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
    expect(verifyLicense(before.token, keyring).kid).toBe(hsmKid);
    expect(verifyLicense(after.token, keyring).kid).toBe(next.kid);
    const retired = await issuer.keys.retire(hsmKid, 'test');
    expect(retired.status).toBe('retired');
    await issuer.keys.revoke(hsmKid, 'test');
    expect(Keyring.fromJwks(await issuer.keys.exportJwks()).kids('license')).toEqual([next.kid]);
  });

  it('with the signing license key in the HSM, rotation still refuses a wrong passphrase', async () => {
    process.env.LICENSOR_PKCS11_TOKEN = 'issuing';
    process.env.LICENSOR_PKCS11_PIN_FILE = join(hsm.dir, 'issuing.pin');
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-hsm-issuer-'));
    dirs.push(dataDir);
    const open = async (passphrase: string) =>
      openIssuer({
        store: await openStore({ dataDir }),
        passphrase,
        statusPassphrase: 'status-secret',
        now: frozenClock().now,
      });
    let issuer = await open('right');
    await issuer.init('test'); // a sealed license key
    const inHsm = await issuer.keys.rotate('license', 'test', { hsm: true });
    await issuer.keys.activate(inHsm.kid, 'test'); // the sealed one is retired: no usable one left
    await issuer.store.close();

    issuer = await open('WRONG');
    const keys = await issuer.keys.list();
    await expect(issuer.keys.rotate('license', 'test')).rejects.toMatchObject({
      code: 'ERR_PASSPHRASE_WRONG',
    });
    expect(await issuer.keys.list()).toEqual(keys);
    await issuer.store.close();

    issuer = await open('right');
    expect((await issuer.keys.rotate('license', 'test')).protection).toBe('encrypted');
    await issuer.store.close();
  });

  it('refuses --hsm for a status key, and stores no key', async () => {
    const { issuer } = await fresh();
    const count = (await issuer.keys.list()).length;
    await expect(issuer.keys.rotate('status', 'test', { hsm: true })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      field: '--hsm',
    });
    expect(await issuer.keys.list()).toHaveLength(count);
  });

  async function assertNothingStored(issuer: Issuer): Promise<void> {
    expect(await issuer.listLicenses()).toEqual([]);
    expect(await issuer.listTransactions()).toEqual([]);
    expect(await issuer.listCustomers()).toEqual([]);
  }

  it('a token pulled out: ERR_HSM_TOKEN_MISSING, and no license, customer or transaction stored', async () => {
    const { issuer } = await fresh('pulled');
    await issuer.issue(new TestInstallation().challenge(), terms, 'test'); // signs: handle cached
    const licenses = await issuer.listLicenses();
    renameSync(tokenFolders.get('pulled')!, join(hsm.dir, 'pulled-out'));
    await expect(
      issuer.issue(new TestInstallation().challenge(), { ...terms, customerName: 'Other' }, 'test'),
    ).rejects.toMatchObject({ code: 'ERR_HSM_TOKEN_MISSING', token: 'pulled' });
    expect(await issuer.listLicenses()).toEqual(licenses);
    expect(await issuer.listTransactions()).toHaveLength(1);
    expect((await issuer.listCustomers()).map((c) => c.name)).toEqual(['Bank of Tests']);
  });

  it('a key deleted from the token: ERR_HSM_KEY_MISSING naming kid and label, nothing stored', async () => {
    const { issuer } = await fresh('emptied');
    const key = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
    // Delete the key pair behind the issuer's back, as an operator with the token's tool would.
    const { openHsmToken } = await import('./token.js');
    const { hsmConfigFromEnv } = await import('./config.js');
    await (await openHsmToken(hsmConfigFromEnv())).destroy(key.hsm!.label);
    await expect(
      issuer.issue(new TestInstallation().challenge(), terms, 'test'),
    ).rejects.toMatchObject({ code: 'ERR_HSM_KEY_MISSING', kid: key.kid, label: key.hsm!.label });
    await assertNothingStored(issuer);
  });
  /** The key states and key sets, to compare before and after a refused activation. */
  async function keyState(issuer: Issuer): Promise<unknown> {
    return { keys: await issuer.keys.list(), keysets: await issuer.keys.keysets() };
  }

  it('keys activate refuses a next key whose label names two private keys: states unchanged, the old key signs', async () => {
    const { issuer } = await fresh('doubled');
    const active = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
    const next = await issuer.keys.rotate('license', 'test', { hsm: true });
    const side = behindTheIssuer('doubled');
    try {
      generateBehind(side.p, side.session, next.hsm!.label); // a second key under the label
    } finally {
      side.close();
    }
    const before = await keyState(issuer);
    await expect(issuer.keys.activate(next.kid, 'test')).rejects.toMatchObject({
      code: 'ERR_HSM_DEVICE',
      kid: next.kid,
      label: next.hsm!.label,
      count: 2,
      message: expect.stringContaining(`2 private keys carry that label`),
    });
    expect(await keyState(issuer)).toEqual(before);
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    expect(issued.transaction.kid).toBe(active.kid);
  });

  it('keys activate refuses a next key whose label names another key now: states unchanged, the old key signs', async () => {
    const { issuer } = await fresh('swapped');
    const active = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
    const next = await issuer.keys.rotate('license', 'test', { hsm: true });
    const side = behindTheIssuer('swapped');
    try {
      side.p.C_FindObjectsInit(side.session, [
        { type: pkcs11js.CKA_LABEL, value: next.hsm!.label },
      ]);
      const objects = side.p.C_FindObjects(side.session, 10);
      side.p.C_FindObjectsFinal(side.session);
      for (const object of objects) side.p.C_DestroyObject(side.session, object);
      generateBehind(side.p, side.session, next.hsm!.label);
    } finally {
      side.close();
    }
    const before = await keyState(issuer);
    await expect(issuer.keys.activate(next.kid, 'test')).rejects.toMatchObject({
      code: 'ERR_HSM_DEVICE',
      kid: next.kid,
      message: expect.stringContaining('signs with another key than the one recorded'),
    });
    expect(await keyState(issuer)).toEqual(before);
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'test');
    expect(issued.transaction.kid).toBe(active.kid);
  });
});
