// Behaviour of the four message operations beyond conformance: what signing refuses, what the
// helpers around verification return, and the size caps leaving room for real content.

import { describe, expect, it } from 'vitest';
import {
  armour,
  challengeHash,
  decodeChallengeUnverified,
  decodeCheckUnverified,
  generateKeyPair,
  Keyring,
  MAX_STATUS_TOKEN_LENGTH,
  MAX_TOKEN_LENGTH,
  readCheckKid,
  signChallenge,
  signLicense,
  signStatus,
  verifyChallenge,
  verifyCheck,
  verifyDecodedCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import { codeOf, forge, golden, goldenKey, parts } from './forge.js';

const keyring = Keyring.fromJwks(golden.jwks);
const licenseKey = goldenKey('license');
const statusKey = goldenKey('status');
const installationKey = goldenKey('installation');

describe('signing', () => {
  it('refuses invalid claims with ERR_CLAIMS_INVALID before signing', () => {
    const claims = { ...golden.license.claims, credentials: 0 };
    expect(codeOf(() => signLicense(claims, licenseKey))).toBe('ERR_CLAIMS_INVALID');
    expect(codeOf(() => signLicense({ ...golden.license.claims, v: 3 }, licenseKey))).toBe(
      'ERR_VERSION_UNSUPPORTED',
    );
  });
  it('refuses text that the verifier would refuse (a lone surrogate)', () => {
    const customer = { ...golden.license.claims.customer, name: 'Acme \ud800' };
    expect(codeOf(() => signLicense({ ...golden.license.claims, customer }, licenseKey))).toBe(
      'ERR_CLAIMS_INVALID',
    );
  });
  it('refuses a challenge whose sub is not the signing installation', () => {
    expect(codeOf(() => signChallenge(golden.challenge.claims, generateKeyPair()))).toBe(
      'ERR_CLAIMS_INVALID',
    );
  });
  it('refuses a key pair whose parts do not belong together', () => {
    const other = generateKeyPair();
    expect(
      codeOf(() =>
        signLicense(golden.license.claims, { ...licenseKey, publicKey: other.publicKey }),
      ),
    ).toBe('ERR_KEY_INVALID');
    expect(
      codeOf(() => signLicense(golden.license.claims, { ...licenseKey, kid: other.kid })),
    ).toBe('ERR_KEY_INVALID');
  });
  it('gives the same token whatever the member order of the claims', () => {
    const reversed = Object.fromEntries(Object.entries(golden.license.claims).reverse());
    expect(signLicense(reversed as typeof golden.license.claims, licenseKey)).toBe(
      golden.license.token,
    );
  });
});

describe('around verification', () => {
  it('readCheckKid names the installation without any key', () => {
    expect(readCheckKid(golden.check.token)).toBe(golden.keys.installation.kid);
    expect(readCheckKid(`  ${golden.check.token}\n`)).toBe(golden.keys.installation.kid);
  });
  it('decodeChallengeUnverified reads a challenge whose signature does not hold; verifyChallenge refuses it', () => {
    const { header, payload } = parts(golden.challenge.token);
    const unsigned = forge(header, payload, generateKeyPair());
    expect(decodeChallengeUnverified(unsigned).claims).toEqual(golden.challenge.claims);
    expect(decodeChallengeUnverified(unsigned).installationId).toBe(golden.keys.installation.kid);
    expect(codeOf(() => verifyChallenge(unsigned))).toBe('ERR_SIGNATURE_INVALID');
  });
  it('decodeCheckUnverified reads a check request before its key is known, under the same rules', () => {
    const { header, payload } = parts(golden.check.token);
    const unsigned = forge(header, payload, generateKeyPair());
    const decoded = decodeCheckUnverified(`${unsigned}\n`);
    expect(decoded.claims).toEqual(golden.check.claims);
    expect(decoded.installationId).toBe(golden.keys.installation.kid);
    expect(decoded.token).toBe(unsigned);
    const duplicate = forge(
      header,
      JSON.stringify(payload).replace('"rev":2', '"rev":2,"rev":3'),
      installationKey,
    );
    expect(codeOf(() => decodeCheckUnverified(duplicate))).toBe('ERR_JSON_INVALID');
    expect(codeOf(() => decodeCheckUnverified(golden.status.token))).toBe('ERR_JWS_TYP_INVALID');
    expect(codeOf(() => verifyCheck(unsigned, () => installationKey.publicKey))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
  });
  it('verifyDecodedCheck verifies what decodeCheckUnverified read, as verifyCheck does (v1 and v2)', () => {
    const key = () => installationKey.publicKey;
    for (const golden_ of [golden.check, golden.checkV2]) {
      const decoded = decodeCheckUnverified(`\n${golden_.token} `);
      expect(verifyDecodedCheck(decoded, key)).toEqual(verifyCheck(golden_.token, key));
      expect(verifyDecodedCheck(decoded, key).claims).toEqual(golden_.claims);
    }
  });
  it('verifyDecodedCheck refuses what verifyCheck refuses, with the same codes', () => {
    const { header, payload } = parts(golden.check.token);
    const unsigned = decodeCheckUnverified(forge(header, payload, generateKeyPair()));
    const decoded = decodeCheckUnverified(golden.check.token);
    const other = generateKeyPair().publicKey;
    const cases: [string, () => unknown][] = [
      [
        'ERR_SIGNATURE_INVALID',
        () => verifyDecodedCheck(unsigned, () => installationKey.publicKey),
      ],
      ['ERR_KID_UNKNOWN', () => verifyDecodedCheck(decoded, () => undefined)],
      ['ERR_KEY_INVALID', () => verifyDecodedCheck(decoded, () => other)],
      ['ERR_KEY_INVALID', () => verifyDecodedCheck(decoded, () => new Uint8Array(31))],
    ];
    for (const [code, call] of cases) expect(codeOf(call)).toBe(code);
    expect(codeOf(() => verifyCheck(unsigned.token, () => installationKey.publicKey))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
  });
  it('verifyDecodedCheck returns the claims the signature covers, not ones put in their place', () => {
    const key = () => installationKey.publicKey;
    const forged = { ...golden.check.claims, lid: 'lic_someoneelse', rev: 99 };
    // The object decodeCheckUnverified returned, its claims replaced after the read.
    const replaced = decodeCheckUnverified(golden.check.token);
    replaced.claims = forged;
    expect(verifyDecodedCheck(replaced, key).claims).toEqual(golden.check.claims);
    // A copy, or one built by hand around a real token: verified and read from the token.
    const copy = { ...decodeCheckUnverified(golden.check.token), claims: forged };
    expect(verifyDecodedCheck(copy, key).claims).toEqual(golden.check.claims);
    // A hand-built one whose token does not verify is refused like verifyCheck refuses it.
    const { header, payload } = parts(golden.check.token);
    const unsigned = forge(header, payload, generateKeyPair());
    const byHand = {
      claims: golden.check.claims,
      installationId: installationKey.kid,
      token: unsigned,
    };
    expect(codeOf(() => verifyDecodedCheck(byHand, key))).toBe('ERR_SIGNATURE_INVALID');
  });
  it('verifyDecodedCheck returns the signed claims after the caller mutated decoded.claims in place', () => {
    const key = () => installationKey.publicKey;
    for (const golden_ of [golden.check, golden.checkV2]) {
      const decoded = decodeCheckUnverified(golden_.token);
      decoded.claims.lid = 'lic_someoneelse';
      decoded.claims.rev = 99;
      decoded.claims.product.name = 'Another';
      decoded.claims.usage.credentialsInUse = 0;
      const verified = verifyDecodedCheck(decoded, key);
      expect(verified.claims).toEqual(golden_.claims);
      // Nor does mutating what one verification returned change the next one.
      verified.claims.lid = 'lic_someoneelse';
      verified.claims.usage.credentialsInUse = 0;
      expect(verifyDecodedCheck(decoded, key).claims).toEqual(golden_.claims);
      // The caller's claims stay its own to change: decoding does not freeze them.
      expect(decoded.claims.lid).toBe('lic_someoneelse');
    }
  });
  it('challengeHash is the same for the compact, pasted and armoured forms', () => {
    const hash = challengeHash(golden.challenge.token);
    expect(hash).toBe(golden.challenge.hash);
    expect(challengeHash(`\n  ${golden.challenge.token}  \n`)).toBe(hash);
    expect(challengeHash(armour(golden.challenge.token, 'challenge'))).toBe(hash);
    expect(codeOf(() => challengeHash(armour(golden.license.token, 'license')))).toBe(
      'ERR_ARMOR_INVALID',
    );
    expect(codeOf(() => challengeHash('not a token'))).toBe('ERR_JWS_MALFORMED');
  });
  it('returns the normalised compact token for pasted input', () => {
    const pasted = armour(golden.challenge.token, 'challenge').replaceAll('\n', '\r\n');
    expect(verifyChallenge(pasted).token).toBe(golden.challenge.token);
    expect(verifyLicense(`\t${golden.license.token}\n`, keyring).token).toBe(golden.license.token);
  });
});

describe('size caps leave room for real content', () => {
  it('a status can carry a license token of the largest accepted size', () => {
    const license = `${'a'.repeat(200)}.${'b'.repeat(MAX_TOKEN_LENGTH - 200 - 88)}.${'c'.repeat(86)}`;
    expect(license.length).toBe(MAX_TOKEN_LENGTH);
    const token = signStatus({ ...golden.status.claims, license }, statusKey);
    expect(token.length).toBeLessThanOrEqual(MAX_STATUS_TOKEN_LENGTH);
    expect(verifyStatus(token, keyring).claims.license).toBe(license);
    expect(
      codeOf(() => signStatus({ ...golden.status.claims, license: `${license}c` }, statusKey)),
    ).toBe('ERR_CLAIMS_INVALID');
  });
  it('a status that carries the golden license hands it over intact', () => {
    const token = signStatus(
      { ...golden.status.claims, license: golden.subscriptionLicense.token },
      statusKey,
    );
    const carried = verifyStatus(token, keyring).claims.license!;
    expect(verifyLicense(carried, keyring).claims).toEqual(golden.subscriptionLicense.claims);
  });
  it('a challenge with every text at its longest stays under the cap', () => {
    const long = 'x'.repeat(200);
    const claims = {
      ...golden.modelSwitchChallenge.claims,
      jti: 'j'.repeat(64),
      product: { name: 'p'.repeat(100), version: 'v'.repeat(64) },
      license: {
        id: 'l'.repeat(64),
        revision: 1_000_000_000,
        customerName: long,
        model: 'perpetual' as const,
      },
      request: {
        kind: 'model-switch' as const,
        credentials: 1_000_000_000,
        model: 'subscription' as const,
        customerName: long,
      },
    };
    expect(verifyChallenge(signChallenge(claims, installationKey)).claims).toEqual(claims);
  });
});
