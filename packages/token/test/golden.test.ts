// The committed golden messages verify, decode to their recorded claims, and re-signing the
// recorded claims with the recorded seeds gives the same bytes: the format has not drifted.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  advanceKeysets,
  challengeHash,
  Keyring,
  keyPairFromSeed,
  signChallenge,
  signCheck,
  signerFromKeyPair,
  signKeyset,
  signLicense,
  signStatus,
  verifyChallenge,
  verifyCheck,
  verifyKeyset,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';

const golden = JSON.parse(readFileSync(new URL('../golden/golden.json', import.meta.url), 'utf8'));
const pair = (name: 'license' | 'status' | 'installation' | 'nextLicense' | 'productLicense') =>
  keyPairFromSeed(Uint8Array.from(Buffer.from(golden.keys[name].seed, 'hex')));

describe('golden messages', () => {
  const keyring = Keyring.fromJwks(golden.jwks);

  it('key seeds give the recorded kids and public keys', () => {
    for (const name of ['license', 'status', 'installation'] as const) {
      expect(pair(name).kid).toBe(golden.keys[name].kid);
      expect(Buffer.from(pair(name).publicKey).toString('base64url')).toBe(
        golden.keys[name].publicKey,
      );
    }
    expect(keyring.kids('license')).toEqual([golden.keys.license.kid]);
    expect(keyring.kids('status')).toEqual([golden.keys.status.kid]);
  });

  it('challenges verify and carry the recorded claims and hash', () => {
    for (const entry of [
      golden.challenge,
      golden.modelSwitchChallenge,
      golden.challengeV2,
      golden.challengeChain,
    ]) {
      const verified = verifyChallenge(entry.token);
      expect(verified.claims).toEqual(entry.claims);
      expect(verified.installationId).toBe(golden.keys.installation.kid);
      expect(challengeHash(entry.token)).toBe(entry.hash);
      expect(signChallenge(entry.claims, pair('installation'))).toBe(entry.token);
    }
  });

  it('licenses verify against the JWKS and answer their challenges', () => {
    const perpetual = verifyLicense(golden.license.token, keyring);
    expect(perpetual.claims).toEqual(golden.license.claims);
    expect(perpetual.claims.chal).toBe(golden.challenge.hash);
    expect(verifyLicense(golden.license.armoured, keyring).token).toBe(golden.license.token);
    const subscription = verifyLicense(golden.subscriptionLicense.token, keyring);
    expect(subscription.claims).toEqual(golden.subscriptionLicense.claims);
    expect(subscription.claims.chal).toBe(golden.modelSwitchChallenge.hash);
    expect(signLicense(golden.license.claims, pair('license'))).toBe(golden.license.token);
    expect(signLicense(golden.subscriptionLicense.claims, pair('license'))).toBe(
      golden.subscriptionLicense.token,
    );
    const v2 = verifyLicense(golden.licenseV2.token, keyring);
    expect(v2.claims).toEqual(golden.licenseV2.claims);
    expect(v2.claims.chal).toBe(golden.challengeV2.hash);
    expect(signLicense(golden.licenseV2.claims, pair('license'))).toBe(golden.licenseV2.token);
  });

  it('the check verifies with the installation key and the status answers it', () => {
    const installationKey = pair('installation').publicKey;
    const check = verifyCheck(golden.check.token, (kid) =>
      kid === golden.keys.installation.kid ? installationKey : undefined,
    );
    expect(check.claims).toEqual(golden.check.claims);
    const status = verifyStatus(golden.status.token, keyring);
    expect(status.claims).toEqual(golden.status.claims);
    expect(status.claims.nonce).toBe(check.claims.nonce);
    expect(signCheck(golden.check.claims, pair('installation'))).toBe(golden.check.token);
    expect(signStatus(golden.status.claims, pair('status'))).toBe(golden.status.token);
  });

  it('key sets of version 1 and 2 verify, chain from the golden JWKS and re-sign to the same bytes', async () => {
    const v1 = verifyKeyset(golden.keysetV1.token, keyring);
    expect(v1.claims).toEqual(golden.keysetV1.claims);
    expect(v1.kid).toBe(golden.keys.license.kid);
    const v2 = verifyKeyset(golden.keysetV2.token, v1.keyring);
    expect(v2.claims).toEqual(golden.keysetV2.claims);
    expect(v2.claims.scope).toBe('CMS');
    // An installation that shipped with the golden JWKS follows both versions in order.
    const { trust } = advanceKeysets({ seq: 0, keyring }, [
      golden.keysetV1.token,
      golden.keysetV2.token,
    ]);
    expect(trust.seq).toBe(2);
    expect(trust.keyring.kids('license').sort()).toEqual(
      [golden.keys.license.kid, golden.keys.nextLicense.kid, golden.keys.productLicense.kid].sort(),
    );
    expect(trust.keyring.productOf(golden.keys.productLicense.kid)).toBe('CMS');
    const signer = signerFromKeyPair(pair('license'));
    expect(await signKeyset(golden.keysetV1.claims, signer)).toBe(golden.keysetV1.token);
    expect(await signKeyset(golden.keysetV2.claims, signer)).toBe(golden.keysetV2.token);
  });

  it('jose verifies both golden key sets with the vendor license key', async () => {
    const key = await importJWK({ ...golden.keys.license.publicJwk, alg: 'EdDSA' }, 'EdDSA');
    for (const entry of [golden.keysetV1, golden.keysetV2]) {
      const { payload, protectedHeader } = await compactVerify(entry.token, key);
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'licensor-keyset+jwt' });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(entry.claims);
    }
  });
});

// The version 1 tokens are in customers' hands: their bytes are those of the first release
// (golden.json at ade2e9c, the last commit before format version 2) and never change. The
// re-signing tests above would follow a make-golden.mjs that changed its claims and wrote new
// golden bytes; these pins do not. A failure here means version 1 bytes were replaced: restore
// them, never update the pin.
describe('golden version 1 tokens are pinned', () => {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  it.each([
    [
      'license',
      () => golden.license.token,
      '0ad51babef7a64d0a9b3ce359663590774ec25582a0e14cc6b689bfab33dfb72',
    ],
    [
      'armoured license',
      () => golden.license.armoured,
      'f43c4b38fc2dc4c45a036e09a8c3bace33e73408d8c1b03fc18bb057e5a6b0b9',
    ],
    [
      'subscriptionLicense',
      () => golden.subscriptionLicense.token,
      '6ce12aa29d56e0f5d455cfb3dd3bfd20ed973d8fd0e62bf0590ab2ab40d6994c',
    ],
    [
      'challenge',
      () => golden.challenge.token,
      'cb2a18d77902d70407e211414bf732ebfbdd3caba9bb2c6e48151f746a5faeea',
    ],
    [
      'modelSwitchChallenge',
      () => golden.modelSwitchChallenge.token,
      '4dfe2b594ca0b2ed2c7d425f0f64aeb9ba50966a5fb86012c471811211ef632a',
    ],
    [
      'check',
      () => golden.check.token,
      '5046e01e11e7fb44d5517d358c981f5154f982f74e324aa643345ac3f6b3eee3',
    ],
    [
      'status',
      () => golden.status.token,
      '8e64564a7adfb2ca1f7fc61e764d6d6e18bac7a0440275c303aa60bbb1972eec',
    ],
    [
      'keysetV1',
      () => golden.keysetV1.token,
      '244bc6f6bd481e33c3a3abd175c101558c838cd8f96babe3b8e00ff475944695',
    ],
  ] as const)('%s has the SHA-256 of its first release', (_name, token, pinned) => {
    const text: unknown = token();
    expect(typeof text).toBe('string');
    expect(sha256(text as string)).toBe(pinned);
  });

  it('the pinned tokens are still version 1 and still verify', () => {
    const keyring = Keyring.fromJwks(golden.jwks);
    const resolve = (kid: string) =>
      kid === golden.keys.installation.kid ? pair('installation').publicKey : undefined;
    expect(verifyLicense(golden.license.armoured, keyring).claims.v).toBe(1);
    expect(verifyLicense(golden.subscriptionLicense.token, keyring).claims.v).toBe(1);
    expect(verifyChallenge(golden.challenge.token).claims.v).toBe(1);
    expect(verifyChallenge(golden.modelSwitchChallenge.token).claims.v).toBe(1);
    expect(verifyCheck(golden.check.token, resolve).claims.v).toBe(1);
    expect(verifyStatus(golden.status.token, keyring).claims.v).toBe(1);
    expect(verifyKeyset(golden.keysetV1.token, keyring).claims.v).toBe(1);
  });
});
