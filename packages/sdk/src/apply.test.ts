import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { challengeHash, generateKeyPair, signLicense, verifyChallenge } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import {
  admin,
  answer,
  DAY,
  FrozenClock,
  licenseKey,
  setup,
  statusKey,
  term,
} from '../test/fixtures.js';
import { FileStore } from './store/file-store.js';

async function expectRefused(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe('applyLicenseKey', () => {
  it('applies a key that answers a pending challenge and shows it as View License', async () => {
    const { licensor, clock } = setup();
    const { challenge, request } = await licensor.createChallenge(admin, { credentials: 100 });
    const key = answer(challenge, { credentials: 100 });
    clock.advance(DAY);
    const result = await licensor.applyLicenseKey(admin, key);
    expect(result.revision).toBe(1);
    expect(result.answeredChallenge).toBe(request.id);
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'perpetual',
      customer: 'Acme Corporation',
      licenseId: result.licenseId,
      credentials: 100,
      issuedAt: clock.seconds - DAY,
      transactionId: result.transactionId,
      lastVerifyTime: null,
      lastVerifyResult: null,
      pendingRequests: [],
    });
  });

  it('accepts the key wrapped, indented, with line breaks or armoured', async () => {
    for (const paste of [
      (key: string) => `  ${key.slice(0, 50)}\n    ${key.slice(50)}\r\n`,
      (key: string) =>
        `Dear customer,\n-----BEGIN LICENSOR LICENSE-----\n${key.match(/.{1,64}/g)?.join('\n')}\n-----END LICENSOR LICENSE-----\nRegards`,
    ]) {
      const { licensor } = setup();
      const { challenge } = await licensor.createChallenge(admin);
      const result = await licensor.applyLicenseKey(admin, paste(answer(challenge)));
      expect(result.info.state).toBe('active');
    }
  });

  it('accepts a key quoted in an e-mail reply ("> " before each line, or "> > "), armoured or compact', async () => {
    const armoured = (key: string) =>
      `-----BEGIN LICENSOR LICENSE-----\n${key.match(/.{1,64}/g)?.join('\n')}\n-----END LICENSOR LICENSE-----\n`;
    for (const paste of [
      (key: string) =>
        armoured(key)
          .split('\n')
          .map((line) => `> ${line}`)
          .join('\n'),
      (key: string) =>
        `Hello,\n\n${armoured(key)
          .trimEnd()
          .split('\n')
          .map((line) => `> > ${line}`)
          .join('\r\n')}\n>\n\nRegards`,
      (key: string) => `> ${key}\n`,
    ]) {
      const { licensor } = setup();
      const { challenge } = await licensor.createChallenge(admin);
      const result = await licensor.applyLicenseKey(admin, paste(answer(challenge)));
      expect(result.info.state).toBe('active');
    }
  });

  it('refuses two keys pasted together with its own words (paste one key), the state unchanged', async () => {
    const { licensor, store } = setup();
    const first = await licensor.createChallenge(admin);
    const second = await licensor.createChallenge(admin);
    const one = answer(first.challenge);
    const two = answer(second.challenge);
    const armoured = (key: string) =>
      `-----BEGIN LICENSOR LICENSE-----\n${key.match(/.{1,64}/g)?.join('\n')}\n-----END LICENSOR LICENSE-----\n`;
    const before = store.rawState();
    for (const pasted of [
      `${armoured(one)}\n${armoured(two)}`,
      `${one}\n${two}`,
      `"${one}" "${two}"`,
    ]) {
      const error = await licensor.applyLicenseKey(admin, pasted).catch((caught) => caught);
      expect(error).toMatchObject({ code: 'ERR_INPUT_INVALID' });
      expect(error.message).toMatch(/^This paste holds 2 license keys: paste one key/);
      expect(store.rawState()).toBe(before);
    }
    await expect(licensor.applyLicenseKey(admin, armoured(two))).resolves.toMatchObject({
      revision: 1,
    });
  });

  it("says in the operator's words what was pasted instead of a key, and changes nothing (#16.19)", async () => {
    const { licensor } = setup();
    const { challenge, armoured } = await licensor.createChallenge(admin);
    const before = await licensor.getLicenseInfo(admin);
    const key = answer(challenge);
    for (const [pasted, code, words] of [
      [challenge, 'ERR_JWS_TYP_INVALID', /^This is a challenge, not a license key/],
      [armoured, 'ERR_ARMOR_INVALID', /^This is a challenge, not a license key/],
      [
        key.slice(0, key.length - 20),
        'ERR_',
        /^This is not a whole license key: it is incomplete or damaged/,
      ],
      [key.slice(0, 60), 'ERR_', /incomplete or damaged/],
      // Cut inside the signature where what is left still decodes (49 bytes): still "incomplete".
      [
        `${key.slice(0, key.lastIndexOf('.') + 65)}AA`,
        'ERR_SIGNATURE_INVALID',
        /incomplete or damaged/,
      ],
      [`${key.slice(0, 30)}@@${key.slice(32)}`, 'ERR_', /incomplete or damaged|altered/],
    ] as const) {
      const refused = await licensor.applyLicenseKey(admin, pasted).catch((error) => error);
      expect(refused.code).toMatch(new RegExp(`^${code}`));
      expect(refused.message).toMatch(words);
    }
    expect(await licensor.getLicenseInfo(admin)).toEqual(before);
    expect((await licensor.applyLicenseKey(admin, key)).revision).toBe(1);
  });

  it('refuses a key bound to another installation and leaves the state unchanged', async () => {
    const other = setup();
    const { challenge: foreign } = await other.licensor.createChallenge(admin);
    const { licensor, store } = setup();
    await licensor.createChallenge(admin);
    const before = store.rawState();
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(foreign)),
      'ERR_LICENSE_OTHER_INSTALLATION',
    );
    expect(store.rawState()).toBe(before);
  });

  it('refuses a key signed with a status key', async () => {
    const { licensor, store } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const before = store.rawState();
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(challenge, {}, statusKey)),
      'ERR_KEY_WRONG_PURPOSE',
    );
    expect(store.rawState()).toBe(before);
  });

  it('refuses a key signed by a key the vendor does not publish', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(challenge, {}, generateKeyPair())),
      'ERR_KID_UNKNOWN',
    );
  });

  it('calls a key whose signing key id was damaged in the paste a damaged paste, not keys to replace', async () => {
    const { licensor, store } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const key = answer(challenge);
    const [header = '', ...rest] = key.split('.');
    const { kid, ...fields } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    const withKid = (damaged: string) =>
      [
        Buffer.from(JSON.stringify({ ...fields, kid: damaged })).toString('base64url'),
        ...rest,
      ].join('.');
    const before = store.rawState();
    for (const damaged of [
      `${kid.slice(0, 10)}+${kid.slice(11)}`, // one character no key id holds
      `${kid.slice(0, 10)}${kid.slice(11)}`, // one character lost
    ]) {
      const refused = await licensor.applyLicenseKey(admin, withKid(damaged)).catch((e) => e);
      expect(refused.code).toBe('ERR_KID_UNKNOWN');
      expect(refused.message).toMatch(
        /^This is not a whole license key: it is incomplete or damaged/,
      );
      expect(refused.message).not.toMatch(/update the trusted keys/);
    }
    expect(store.rawState()).toBe(before);
    // A well-formed key id the installation does not trust still says to update the trusted keys.
    const unknown = await licensor
      .applyLicenseKey(admin, answer(challenge, {}, generateKeyPair()))
      .catch((e) => e);
    expect(unknown.code).toBe('ERR_KID_UNKNOWN');
    expect(unknown.message).toMatch(/update the trusted keys/);
  });

  it('refuses a key whose signature was altered', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const key = answer(challenge);
    const flipped = `${key.slice(0, -2)}${key.at(-2) === 'A' ? 'B' : 'A'}${key.at(-1)}`;
    await expectRefused(licensor.applyLicenseKey(admin, flipped), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses the key with any one character changed, and the state stays as it was', async () => {
    const { licensor, store } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const key = answer(challenge);
    const before = store.rawState();
    const codes = new Set<string>();
    for (let index = 0; index < key.length; index += 1) {
      const replacement = key[index] === 'A' ? 'B' : key[index] === '.' ? 'x' : 'A';
      const altered = `${key.slice(0, index)}${replacement}${key.slice(index + 1)}`;
      const refusal = await licensor.applyLicenseKey(admin, altered).then(
        () => 'APPLIED',
        (error: { code: string }) => error.code,
      );
      expect(refusal, `character ${index}`).not.toBe('APPLIED');
      codes.add(refusal);
    }
    expect(store.rawState()).toBe(before);
    expect(codes).toContain('ERR_SIGNATURE_INVALID');
    await expect(licensor.applyLicenseKey(admin, key)).resolves.toMatchObject({ revision: 1 });
  });

  it('refuses to apply the same key twice (replay)', async () => {
    const { licensor, store } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const key = answer(challenge);
    await licensor.applyLicenseKey(admin, key);
    const before = store.rawState();
    await expectRefused(licensor.applyLicenseKey(admin, key), 'ERR_REVISION_NOT_NEWER');
    expect(store.rawState()).toBe(before);
  });

  it('refuses an older revision of the license in force (rollback)', async () => {
    const { licensor, store } = setup();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge, { rev: 5 }));
    const second = await licensor.createChallenge(admin, { credentials: 20 });
    const before = store.rawState();
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(second.challenge, { rev: 4 })),
      'ERR_REVISION_NOT_NEWER',
    );
    expect(store.rawState()).toBe(before);
    expect((await licensor.listPendingRequests(admin)).map((r) => r.id)).toEqual([
      second.request.id,
    ]);
  });

  it('refuses a key of another license issued before the license in force (cross-license rollback)', async () => {
    const { licensor, store, clock } = setup();
    const first = await licensor.createChallenge(admin);
    const older = answer(first.challenge, { lid: 'lic_older00000000000000001', credentials: 1000 });
    clock.advance(2 * DAY);
    const second = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(second.challenge, { lid: 'lic_newer00000000000000001', credentials: 10 }),
    );
    const before = store.rawState();
    await expectRefused(licensor.applyLicenseKey(admin, older), 'ERR_LICENSE_OLDER');
    expect(store.rawState()).toBe(before);
    expect((await licensor.getLicenseInfo(admin)).credentials).toBe(10);
  });

  it('refuses a key for another license that answers a consumed challenge', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    const again = answer(challenge, { lid: 'lic_anotherlicense0000001' });
    await expectRefused(licensor.applyLicenseKey(admin, again), 'ERR_CHALLENGE_UNKNOWN');
  });

  it('refuses a key that answers no challenge when pasted (chal null)', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(challenge, { chal: null })),
      'ERR_CHALLENGE_REQUIRED',
    );
  });

  it('refuses a key answering a challenge that expired', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const key = answer(challenge);
    clock.advance(31 * DAY);
    await expectRefused(licensor.applyLicenseKey(admin, key), 'ERR_CHALLENGE_EXPIRED');
  });

  it('refuses a key issued in the future beyond the skew, accepts one within it', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await expectRefused(
      licensor.applyLicenseKey(admin, answer(challenge, { iat: clock.seconds + 301 })),
      'ERR_LICENSE_FROM_FUTURE',
    );
    const result = await licensor.applyLicenseKey(
      admin,
      answer(challenge, { iat: clock.seconds + 299 }),
    );
    expect(result.info.issuedAt).toBe(clock.seconds + 299);
  });

  it('judges "future" against trusted time, so a clock set back does not refuse a fresh key', async () => {
    const { licensor, clock } = setup();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge, { iat: clock.seconds + 200 }));
    clock.advance(-10 * DAY);
    const second = await licensor.createChallenge(admin);
    const result = await licensor.applyLicenseKey(
      admin,
      answer(second.challenge, { iat: clock.seconds + 10 * DAY + 250 }),
    );
    expect(result.revision).toBe(2);
    expect(result.info.clock.rollbackDetected).toBe(true);
  });

  it('refuses a key that is not text', async () => {
    const { licensor } = setup();
    await expectRefused(
      licensor.applyLicenseKey(admin, 42 as unknown as string),
      'ERR_INPUT_INVALID',
    );
  });

  it('applies a key days later, after the console was closed (file store, new instance)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'licensor-sdk-')), 'state');
    const clock = new FrozenClock();
    const { challenge } = await setup({
      store: new FileStore(dir),
      clock,
    }).licensor.createChallenge(admin, {
      model: 'subscription',
    });
    clock.advance(5 * DAY);
    const key = answer(challenge, {
      iat: clock.seconds,
      model: 'subscription',
      term: term(clock.seconds, 365, 14),
    });
    const later = setup({ store: new FileStore(dir), clock });
    const result = await later.licensor.applyLicenseKey(admin, key);
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'subscription',
      pendingRequests: [],
    });
  });

  it('lets a new license replace another when it answers a pending challenge', async () => {
    const { licensor } = setup();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge, { rev: 3 }));
    const second = await licensor.createChallenge(admin, { customerName: 'Beta GmbH' });
    const result = await licensor.applyLicenseKey(
      admin,
      signLicense(
        {
          v: 1,
          jti: 'txn_replacement000000000001',
          lid: 'lic_replacement000000000001',
          rev: 1,
          iat: first.request.createdAt,
          sub: verifyChallenge(second.challenge).installationId,
          chal: challengeHash(second.challenge),
          customer: { id: 'cus_beta', name: 'Beta GmbH' },
          model: 'perpetual',
          credentials: 5,
          term: null,
        },
        licenseKey,
      ),
    );
    expect(result.info).toMatchObject({
      licenseId: 'lic_replacement000000000001',
      revision: 1,
      customer: 'Beta GmbH',
    });
  });
});
