// Keys in a real PKCS#11 module (SoftHSM2, in a temporary folder): generated inside the token,
// never readable, signing by CKM_EDDSA with the same bytes as a seed would give; and every way
// the device can fail comes out as a typed error naming what to fix.
// Skipped with a message where SoftHSM2 is absent; required when LICENSOR_REQUIRE_SOFTHSM=1.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Keyring,
  type LicenseClaims,
  signLicenseWith,
  toPublicJwk,
  verifyLicense,
} from '@licensor/token';
import * as pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBehind } from '../../../test/support/hsm-behind.js';
import { hsmConfigFromEnv } from './config.js';
import { createHsmKey, openHsmSigner } from './keys.js';
import { createSoftHsm, type SoftHsm, softHsmSkipReason } from './softhsm.js';
import { CKK_EC_EDWARDS, pkcs11Reason } from './token.js';

const skip = softHsmSkipReason();

// pkcs11js copies the prototype's C_* functions onto each instance when it is made, so these
// wrappers, set before the issuer makes its instance, see every call it makes.
/** The PINs C_Login was called with, in order. */
const pinsTried: string[] = [];
const login = pkcs11js.PKCS11.prototype.C_Login;
pkcs11js.PKCS11.prototype.C_Login = function (
  this: pkcs11js.PKCS11,
  session: Buffer,
  userType: number,
  pin?: string,
) {
  pinsTried.push(pin ?? '');
  return login.call(this, session, userType, pin);
};
/** Labels of tokens whose token info says: one wrong PIN try left. */
const finalTry = new Set<string>();
const tokenInfo = pkcs11js.PKCS11.prototype.C_GetTokenInfo;
pkcs11js.PKCS11.prototype.C_GetTokenInfo = function (this: pkcs11js.PKCS11, slot: Buffer) {
  const info = tokenInfo.call(this, slot);
  if (finalTry.has(info.label.trim())) info.flags |= pkcs11js.CKF_USER_PIN_FINAL_TRY;
  return info;
};

/** A second handle on the module this process initialised: it shares the issuer's login. */
function sideHandle(modulePath: string): pkcs11js.PKCS11 {
  const p = new pkcs11js.PKCS11();
  p.load(modulePath);
  try {
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    expect(pkcs11Reason(error)).toBe('CKR_CRYPTOKI_ALREADY_INITIALIZED');
  }
  return p;
}

function slotsLabelled(p: pkcs11js.PKCS11, label: string): Buffer[] {
  return p.C_GetSlotList(true).filter((slot) => {
    try {
      return p.C_GetTokenInfo(slot).label.trim() === label;
    } catch {
      return false; // the token pulled out by an earlier test
    }
  });
}

/** Runs a TypeScript file of this folder in a child process (vite-node): code, signal, stdout. */
function runChild(
  file: string,
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const vitest = createRequire(import.meta.url).resolve('vitest/package.json');
  const viteNode = join(
    dirname(createRequire(vitest).resolve('vite-node/package.json')),
    'vite-node.mjs',
  );
  const script = join(dirname(fileURLToPath(import.meta.url)), file);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteNode, script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const claims: LicenseClaims = {
  v: 1,
  jti: 'txn_hsm',
  lid: 'lic_hsm',
  rev: 1,
  iat: 1_700_000_000,
  sub: 'A'.repeat(43),
  chal: null,
  customer: { id: 'cus_hsm', name: 'Bank of Tests' },
  model: 'perpetual',
  credentials: 50,
  term: null,
};

describe.skipIf(skip !== null)('license keys in SoftHSM2', () => {
  let hsm: SoftHsm;
  let env: Record<string, string>;
  let pinTestEnv: Record<string, string>;
  let removableEnv: Record<string, string>;
  let removableFolder: string;
  let pinCountEnv: Record<string, string>;
  let pinFinalEnv: Record<string, string>;
  let pinChangeEnv: Record<string, string>;
  let twinEnv: Record<string, string>;
  const saved = { ...process.env };

  beforeAll(() => {
    hsm = createSoftHsm();
    // The module reads SOFTHSM2_CONF, and finds the tokens, once: when this process first
    // initialises it. So every token of this file is made here.
    process.env.SOFTHSM2_CONF = hsm.conf;
    env = hsm.env('licensor', hsm.initToken('licensor', '246810'));
    // Login is per process and token: a wrong PIN shows only on a token not logged in yet.
    pinTestEnv = hsm.env('pin-test', hsm.initToken('pin-test', '975310'));
    const tokens = join(hsm.dir, 'tokens');
    const before = new Set(readdirSync(tokens));
    removableEnv = hsm.env('removable', hsm.initToken('removable', '112233'));
    removableFolder = join(tokens, readdirSync(tokens).find((name) => !before.has(name))!);
    pinCountEnv = hsm.env('pin-count', hsm.initToken('pin-count', '864200'));
    pinFinalEnv = hsm.env('pin-final', hsm.initToken('pin-final', '531864'));
    pinChangeEnv = hsm.env('pin-change', hsm.initToken('pin-change', '222222'));
    // Two tokens with one label (their PIN file is the same path, written twice).
    hsm.initToken('twin', '707070');
    twinEnv = hsm.env('twin', hsm.initToken('twin', '707070'));
  });
  afterAll(() => {
    process.env = saved;
    hsm?.remove();
  });

  it('generates an Ed25519 key whose signatures give tokens the SDK keyring verifies', async () => {
    const key = await createHsmKey('license', env);
    expect(key.token).toBe('licensor');
    expect(key.label).toMatch(/^licensor-license-\d{4}-\d{2}-\d{2}-[0-9a-f]{12}$/);
    const token = await signLicenseWith(claims, key.signer);
    const keyring = Keyring.of([{ publicKey: key.publicKey, purpose: 'license' }]);
    const verified = verifyLicense(token, keyring);
    expect(verified.kid).toBe(key.kid);
    expect(verified.claims).toEqual(claims);
    // Ed25519 is deterministic: the HSM gives the same token again.
    expect(await signLicenseWith(claims, key.signer)).toBe(token);
  });

  it('signs the golden license tokens byte for byte with the golden seed imported into the token', async () => {
    // v1 and v2 claims alike. Test-only: a key imported from a known seed (never how Licensor makes keys), so the bytes
    // the HSM's CKM_EDDSA gives can be compared with the committed golden tokens.
    const golden = createRequire(import.meta.url)('@licensor/token/golden');
    const seed = Buffer.from(golden.keys.license.seed, 'hex');
    const label = 'golden-license-import';
    const p = new pkcs11js.PKCS11();
    p.load(env.LICENSOR_PKCS11_MODULE!);
    try {
      p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      expect(pkcs11Reason(error)).toBe('CKR_CRYPTOKI_ALREADY_INITIALIZED');
    }
    // The issuer logs in first (the login is per process and token).
    await createHsmKey('license', env);
    const slot = p
      .C_GetSlotList(true)
      .find((s) => p.C_GetTokenInfo(s).label.trim() === 'licensor')!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      p.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06032b6570', 'hex') },
        { type: pkcs11js.CKA_VALUE, value: seed },
        { type: pkcs11js.CKA_LABEL, value: label },
      ]);
      const signer = await openHsmSigner(
        {
          kid: golden.keys.license.kid,
          token: 'licensor',
          label,
          publicKey: golden.jwks.keys.find(
            (k: { kid: string }) => k.kid === golden.keys.license.kid,
          ),
        },
        env,
      );
      for (const entry of [golden.license, golden.subscriptionLicense, golden.licenseV2]) {
        expect(await signLicenseWith(entry.claims, signer)).toBe(entry.token);
      }
    } finally {
      p.C_CloseSession(session);
    }
  });

  it('opens a recorded key by token and label alone, without LICENSOR_PKCS11_TOKEN', async () => {
    const key = await createHsmKey('license', env);
    const { LICENSOR_PKCS11_TOKEN: _ignored, ...withoutToken } = env;
    const signer = await openHsmSigner(
      { kid: key.kid, token: key.token, label: key.label, publicKey: toPublicJwk(key.publicKey) },
      withoutToken,
    );
    expect(await signLicenseWith(claims, signer)).toBe(await signLicenseWith(claims, key.signer));
  });

  it('keeps the private key inside: not extractable, CKA_VALUE refused, wrapping refused', async () => {
    const key = await createHsmKey('license', env);
    const p = new pkcs11js.PKCS11();
    p.load(env.LICENSOR_PKCS11_MODULE!);
    try {
      p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      expect(pkcs11Reason(error)).toBe('CKR_CRYPTOKI_ALREADY_INITIALIZED');
    }
    const slot = p
      .C_GetSlotList(true)
      .find((s) => p.C_GetTokenInfo(s).label.trim() === 'licensor')!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      p.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: key.label },
      ]);
      const [handle] = p.C_FindObjects(session, 2);
      p.C_FindObjectsFinal(session);
      expect(handle).toBeDefined();
      const [extractable, sensitive, never, always, type] = p.C_GetAttributeValue(
        session,
        handle!,
        [
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
          { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
          { type: pkcs11js.CKA_KEY_TYPE },
        ],
      );
      expect([...(extractable!.value as Buffer)]).toEqual([0]);
      expect([...(sensitive!.value as Buffer)]).toEqual([1]);
      expect([...(never!.value as Buffer)]).toEqual([1]);
      expect([...(always!.value as Buffer)]).toEqual([1]);
      expect((type!.value as Buffer)[0]).toBe(CKK_EC_EDWARDS); // CK_ULONG, little-endian
      let refused: unknown;
      try {
        p.C_GetAttributeValue(session, handle!, [{ type: pkcs11js.CKA_VALUE }]);
      } catch (error) {
        refused = error;
      }
      expect(pkcs11Reason(refused)).toBe('CKR_ATTRIBUTE_SENSITIVE');
      // Not even wrapped under a key of our own choosing (the usual way keys leave an HSM).
      try {
        p.C_Login(session, pkcs11js.CKU_USER, '246810');
      } catch (error) {
        expect(pkcs11Reason(error)).toBe('CKR_USER_ALREADY_LOGGED_IN'); // by the issuer's session
      }
      const wrapping = p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_WRAP, value: true },
        { type: pkcs11js.CKA_TOKEN, value: false },
      ]);
      let wrapRefused: unknown;
      try {
        p.C_WrapKey(
          session,
          { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD },
          wrapping,
          handle!,
          Buffer.alloc(512),
        );
      } catch (error) {
        wrapRefused = error;
      }
      expect(pkcs11Reason(wrapRefused)).toBe('CKR_KEY_UNEXTRACTABLE');
    } finally {
      p.C_CloseSession(session);
    }
  });

  it('a wrong PIN is ERR_HSM_PIN naming the token, and nothing is made', async () => {
    const pinFile = join(hsm.dir, 'wrong.pin');
    writeFileSync(pinFile, '13579\n', { mode: 0o600 });
    await expect(
      createHsmKey('license', { ...pinTestEnv, LICENSOR_PKCS11_PIN_FILE: pinFile }),
    ).rejects.toMatchObject({
      code: 'ERR_HSM_PIN',
      token: 'pin-test',
      reason: 'CKR_PIN_INCORRECT',
      message: expect.stringContaining('LICENSOR_PKCS11_PIN_FILE'),
    });
    // The right PIN still works: the wrong one was not remembered.
    const key = await createHsmKey('license', pinTestEnv);
    expect(key.token).toBe('pin-test');
  });

  it('a missing module is ERR_HSM_MODULE naming LICENSOR_PKCS11_MODULE', async () => {
    await expect(
      createHsmKey('license', { ...env, LICENSOR_PKCS11_MODULE: join(hsm.dir, 'nope.so') }),
    ).rejects.toMatchObject({
      code: 'ERR_HSM_MODULE',
      message: expect.stringContaining('LICENSOR_PKCS11_MODULE'),
    });
  });

  it('an absent token is ERR_HSM_TOKEN_MISSING listing the tokens present', async () => {
    await expect(
      createHsmKey('license', { ...env, LICENSOR_PKCS11_TOKEN: 'vault-2' }),
    ).rejects.toMatchObject({
      code: 'ERR_HSM_TOKEN_MISSING',
      message: expect.stringMatching(/"vault-2" is not present \(present: .*"licensor"/),
    });
  });

  it('a key removed from the token is ERR_HSM_KEY_MISSING, on open and on sign', async () => {
    const key = await createHsmKey('license', env);
    await key.signer.sign(Uint8Array.of(1)); // its handle is now cached
    await key.discard();
    const missing = { code: 'ERR_HSM_KEY_MISSING', kid: key.kid, label: key.label };
    await expect(key.signer.sign(Uint8Array.of(2))).rejects.toMatchObject(missing);
    await expect(
      openHsmSigner(
        { kid: key.kid, token: key.token, label: key.label, publicKey: toPublicJwk(key.publicKey) },
        env,
      ),
    ).rejects.toMatchObject(missing);
  });

  it('a token removed while the issuer runs is ERR_HSM_TOKEN_MISSING, then and after', async () => {
    const key = await createHsmKey('license', removableEnv);
    await key.signer.sign(Uint8Array.of(1));
    renameSync(removableFolder, join(hsm.dir, 'pulled-out'));
    const gone = { code: 'ERR_HSM_TOKEN_MISSING', token: 'removable' };
    await expect(key.signer.sign(Uint8Array.of(2))).rejects.toMatchObject(gone);
    await expect(key.signer.sign(Uint8Array.of(3))).rejects.toMatchObject(gone);
  });
  it('many signatures in flight while the module fails some (CKR_DEVICE_ERROR): no crash, typed errors, then signs', async () => {
    // A failed signature drops the connection; closing the sessions other signatures are using
    // (C_CloseAllSessions) crashed the process with SIGSEGV, so this runs in a child process.
    const storm = createSoftHsm();
    try {
      const stormEnv = storm.env('storm', storm.initToken('storm', '424242'));
      const run = await runChild('sign-storm.fixture.ts', {
        ...stormEnv,
        LICENSOR_PKCS11_PIN: '',
        STORM_ROUNDS: '20',
      });
      expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
      const tally = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      // Each message marked to fail fails on the retry too: a typed ERR_HSM_* error. The
      // others are signed (a failure of theirs is retried once on a new session).
      expect(tally).toMatchObject({ failedUntyped: 0, markedOk: 0, after: 8 });
      expect(tally.failedTyped).toBeGreaterThanOrEqual(80);
      expect(tally.ok + tally.failedTyped).toBe(20 * 64);
    } finally {
      storm.remove();
    }
  }, 60_000);

  it('a session that lost its login (HSM restart, timeout) logs in again and signs: not ERR_HSM_KEY_MISSING', async () => {
    const key = await createHsmKey('license', env);
    await key.signer.sign(Uint8Array.of(1)); // its handle is now cached
    const p = sideHandle(env.LICENSOR_PKCS11_MODULE!);
    const [slot] = slotsLabelled(p, 'licensor');
    const session = p.C_OpenSession(slot!, pkcs11js.CKF_SERIAL_SESSION);
    try {
      p.C_Logout(session); // the login is per process and token: the issuer's sessions too
      expect(await key.signer.sign(Uint8Array.of(2))).toHaveLength(64);
      p.C_Logout(session);
      const opened = await openHsmSigner(
        { kid: key.kid, token: key.token, label: key.label, publicKey: toPublicJwk(key.publicKey) },
        env,
      );
      expect(await opened.sign(Uint8Array.of(3))).toHaveLength(64);
    } finally {
      p.C_CloseSession(session);
    }
  });

  it('a wrong PIN is tried once: later requests are refused without C_Login until the PIN changes', async () => {
    const pinFile = join(hsm.dir, 'count.pin');
    writeFileSync(pinFile, '000111\n', { mode: 0o600 });
    const wrongEnv = { ...pinCountEnv, LICENSOR_PKCS11_PIN_FILE: pinFile };
    const tried = () => pinsTried.filter((pin) => pin === '000111').length;
    await expect(createHsmKey('license', wrongEnv)).rejects.toMatchObject({
      code: 'ERR_HSM_PIN',
      reason: 'CKR_PIN_INCORRECT',
      remembered: false,
    });
    for (let i = 0; i < 5; i++) {
      await expect(createHsmKey('license', wrongEnv)).rejects.toMatchObject({
        code: 'ERR_HSM_PIN',
        token: 'pin-count',
        reason: 'CKR_PIN_INCORRECT',
        remembered: true,
        message: expect.stringContaining('not tried again until the PIN changes'),
      });
    }
    expect(tried()).toBe(1);
    // The operator fixes the PIN file: the new PIN is tried, and logs in.
    writeFileSync(pinFile, '864200\n', { mode: 0o600 });
    expect((await createHsmKey('license', wrongEnv)).token).toBe('pin-count');
    expect(tried()).toBe(1);
  });

  it('a token one wrong PIN try from locking is not logged in to, and says so', async () => {
    finalTry.add('pin-final');
    const before = pinsTried.length;
    try {
      await expect(createHsmKey('license', pinFinalEnv)).rejects.toMatchObject({
        code: 'ERR_HSM_PIN',
        token: 'pin-final',
        reason: 'CKF_USER_PIN_FINAL_TRY',
        message: expect.stringContaining('locks its user PIN at the next wrong try'),
      });
      expect(pinsTried.length).toBe(before); // C_Login not called
    } finally {
      finalTry.delete('pin-final');
    }
    expect((await createHsmKey('license', pinFinalEnv)).token).toBe('pin-final');
  });

  it('the PIN changed (file updated) and the HSM dropped the sessions: the next login reads the new PIN', async () => {
    const key = await createHsmKey('license', pinChangeEnv);
    await key.signer.sign(Uint8Array.of(1));
    const p = sideHandle(pinChangeEnv.LICENSOR_PKCS11_MODULE!);
    const [slot] = slotsLabelled(p, 'pin-change');
    const session = p.C_OpenSession(slot!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p.C_SetPIN(session, '222222', '333333'); // the security officer's policy
    writeFileSync(pinChangeEnv.LICENSOR_PKCS11_PIN_FILE!, '333333\n', { mode: 0o600 });
    p.C_CloseAllSessions(slot!); // the HSM restarts: every session (and the login) is gone
    const before = pinsTried.length;
    expect(await key.signer.sign(Uint8Array.of(2))).toHaveLength(64);
    expect(pinsTried.slice(before)).toEqual(['333333']);
  });

  it('a token that signs with another key than the recorded one is ERR_HSM_DEVICE, not ERR_SIGNATURE_INVALID', async () => {
    const key = await createHsmKey('license', env);
    await key.signer.sign(Uint8Array.of(1)); // its handle is now cached
    // The key pair replaced by another one under the same label, with the token's tool.
    const p = sideHandle(env.LICENSOR_PKCS11_MODULE!);
    const [slot] = slotsLabelled(p, 'licensor');
    const session = p.C_OpenSession(slot!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: key.label }]);
      const objects = p.C_FindObjects(session, 10);
      p.C_FindObjectsFinal(session);
      for (const object of objects) p.C_DestroyObject(session, object);
      generateBehind(p, session, key.label);
    } finally {
      p.C_CloseSession(session);
    }
    const wrongKey = {
      code: 'ERR_HSM_DEVICE',
      kid: key.kid,
      label: key.label,
      message: expect.stringContaining('signs with another key than the one recorded'),
    };
    await expect(key.signer.sign(Uint8Array.of(2))).rejects.toMatchObject(wrongKey);
    await expect(signLicenseWith(claims, key.signer)).rejects.toMatchObject(wrongKey);
  });

  it('two tokens with the label: ERR_HSM_CONFIG naming the label and both serial numbers, none used', async () => {
    const p = sideHandle(env.LICENSOR_PKCS11_MODULE!);
    const serials = slotsLabelled(p, 'twin').map((slot) =>
      p.C_GetTokenInfo(slot).serialNumber.trim(),
    );
    expect(serials).toHaveLength(2);
    await expect(createHsmKey('license', twinEnv)).rejects.toMatchObject({
      code: 'ERR_HSM_CONFIG',
      token: 'twin',
      serials,
      message: expect.stringMatching(/2 HSM tokens carry the label "twin".*relabel one/),
    });
  });

  // Last: it finalises the module under every token of this file.
  it('the module finalised under the process is initialised again, once, and signs', async () => {
    const key = await createHsmKey('license', env);
    await key.signer.sign(Uint8Array.of(1));
    sideHandle(env.LICENSOR_PKCS11_MODULE!).C_Finalize();
    expect(await key.signer.sign(Uint8Array.of(2))).toHaveLength(64);
    expect(await key.signer.sign(Uint8Array.of(3))).toHaveLength(64);
  });
});

describe('HSM configuration from the environment', () => {
  const base = {
    LICENSOR_PKCS11_MODULE: '/x.so',
    LICENSOR_PKCS11_TOKEN: 't',
    LICENSOR_PKCS11_PIN: '1',
  };

  it('names the variable that is missing', () => {
    for (const name of ['LICENSOR_PKCS11_MODULE', 'LICENSOR_PKCS11_TOKEN', 'LICENSOR_PKCS11_PIN']) {
      const env: Record<string, string> = { ...base };
      delete env[name];
      expect(() => hsmConfigFromEnv(env)).toThrow(
        expect.objectContaining({ code: 'ERR_HSM_CONFIG', message: expect.stringContaining(name) }),
      );
    }
  });

  it('refuses a PIN given twice, and a PIN file others can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-pin-'));
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, '1234\n', { mode: 0o600 });
    expect(() => hsmConfigFromEnv({ ...base, LICENSOR_PKCS11_PIN_FILE: pinFile })).toThrow(
      expect.objectContaining({ code: 'ERR_HSM_CONFIG' }),
    );
    const { LICENSOR_PKCS11_PIN: _pin, ...noPin } = base;
    const config = hsmConfigFromEnv({ ...noPin, LICENSOR_PKCS11_PIN_FILE: pinFile });
    expect(config.pin).toBe('1234');
    // Read again at each login: a changed PIN file is used without a restart.
    writeFileSync(pinFile, '5678\n', { mode: 0o600 });
    expect(config.readPin()).toBe('5678');
    if (process.platform !== 'win32') {
      const open = join(dir, 'open-pin');
      writeFileSync(open, '1234\n', { mode: 0o644 });
      expect(() => hsmConfigFromEnv({ ...noPin, LICENSOR_PKCS11_PIN_FILE: open })).toThrow(
        expect.objectContaining({
          code: 'ERR_HSM_CONFIG',
          message: expect.stringContaining('chmod 600'),
        }),
      );
    }
  });
});
