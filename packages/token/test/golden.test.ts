// The committed golden messages verify, decode to their recorded claims, and re-signing the
// recorded claims with the recorded seeds gives the same bytes: the format has not drifted.

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
    for (const entry of [golden.challenge, golden.modelSwitchChallenge, golden.challengeV2]) {
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
