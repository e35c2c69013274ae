// Property tests (fast-check): any valid claim set signs and verifies back to itself on both
// backends, whitespace inserted anywhere is ignored, and flipping any single byte of a token
// is rejected with a typed error.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHECK_OUTCOMES,
  type ChallengeClaims,
  type CheckClaims,
  isLicensorError,
  Keyring,
  keyPairFromSeed,
  type LicenseClaims,
  type StatusClaims,
  setEd25519Backend,
  signChallenge,
  signCheck,
  signLicense,
  signStatus,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import { golden, goldenKey } from './forge.js';

const licenseKey = goldenKey('license');
const keyring = Keyring.fromJwks(golden.jwks);
const idChars = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-',
);
const id = fc.string({ unit: idChars, minLength: 1, maxLength: 64 });
const isControl = (char: string) => {
  const c = char.charCodeAt(0);
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
};
const name = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .map((text) =>
    [...text]
      .filter((char) => !isControl(char))
      .join('')
      .trim(),
  )
  .filter((text) => text.length > 0 && text.length <= 200);
const time = fc.integer({ min: 0, max: 4_000_000_000 });
const thumbprint = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('base64url'));

const licenseClaims: fc.Arbitrary<LicenseClaims> = fc
  .record({
    jti: id,
    lid: id,
    rev: fc.integer({ min: 1, max: 1_000_000_000 }),
    iat: time,
    sub: thumbprint,
    chal: fc.option(thumbprint, { nil: null }),
    customer: fc.record({ id, name }),
    credentials: fc.integer({ min: 1, max: 1_000_000_000 }),
    term: fc.option(
      fc.record({
        start: time,
        length: fc.integer({ min: 1, max: 100_000_000 }),
        grace: fc.integer({ min: 0, max: 3_000_000 }),
      }),
      { nil: null },
    ),
  })
  .map(({ term, ...rest }) => ({
    v: 1 as const,
    ...rest,
    model: term === null ? ('perpetual' as const) : ('subscription' as const),
    term:
      term === null
        ? null
        : { start: term.start, end: term.start + term.length, grace: term.grace },
  }));

const shortName = name.filter((text) => text.length <= 64);
const product = fc.record({ name: name.filter((text) => text.length <= 100), version: shortName });
const usage = fc.record({ credentialsInUse: fc.integer({ min: 0, max: 1_000_000_000 }) });
const model = fc.constantFrom('perpetual' as const, 'subscription' as const);
const nonce = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('base64url'));
const installation = goldenKey('installation');
const statusKey = goldenKey('status');

const challengeClaims: fc.Arbitrary<ChallengeClaims> = fc
  .record({
    jti: id,
    iat: time,
    ttl: fc.integer({ min: 1, max: 10_000_000 }),
    product,
    license: fc.option(
      fc.record({
        id,
        revision: fc.integer({ min: 1, max: 1_000_000_000 }),
        customerName: name,
        model,
      }),
      { nil: null },
    ),
    usage,
    request: fc.oneof(
      fc.record(
        {
          kind: fc.constant('license' as const),
          credentials: fc.integer({ min: 1, max: 1_000_000_000 }),
          model,
          customerName: name,
        },
        { requiredKeys: ['kind'] },
      ),
      fc.record(
        {
          kind: fc.constant('model-switch' as const),
          model,
          credentials: fc.integer({ min: 1, max: 1_000_000_000 }),
        },
        { requiredKeys: ['kind', 'model'] },
      ),
    ),
  })
  .map(({ ttl, ...rest }) => ({
    v: 1 as const,
    ...rest,
    exp: rest.iat + ttl,
    sub: installation.kid,
  }));

const checkClaims: fc.Arbitrary<CheckClaims> = fc
  .record({
    iat: time,
    nonce,
    lid: id,
    rev: fc.integer({ min: 1, max: 1_000_000_000 }),
    sdk: shortName,
    product,
    usage,
  })
  .map((rest) => ({ v: 1 as const, ...rest }));

const statusClaims: fc.Arbitrary<StatusClaims> = fc
  .record({
    iat: time,
    nonce,
    lid: id,
    sub: thumbprint,
    outcome: fc.constantFrom(...CHECK_OUTCOMES),
    rev: fc.integer({ min: 1, max: 1_000_000_000 }),
    termEnd: fc.option(time, { nil: null }),
    wait: fc.integer({ min: 0, max: 10_000_000 }),
    license: fc.option(fc.constant(golden.license.token as string), { nil: null }),
  })
  .map(({ wait, rev, ...rest }) => ({
    v: 1 as const,
    ...rest,
    rev: rest.outcome === 'UNKNOWN' ? null : rev,
    checkBy: rest.iat + wait,
  }));

afterAll(() => setEd25519Backend('auto'));

describe('sign → verify round trip', () => {
  for (const backend of ['node', 'noble'] as const) {
    it(`${backend}: any valid license claims verify back to themselves`, () => {
      setEd25519Backend(backend);
      fc.assert(
        fc.property(licenseClaims, (claims) => {
          const verified = verifyLicense(signLicense(claims, licenseKey), keyring);
          expect(verified.claims).toEqual(claims);
        }),
        { numRuns: backend === 'node' ? 200 : 40 },
      );
    });
  }
  it('any valid challenge, check and status claims verify back to themselves', () => {
    setEd25519Backend('auto');
    const resolve = (kid: string) =>
      kid === installation.kid ? installation.publicKey : undefined;
    fc.assert(
      fc.property(challengeClaims, checkClaims, statusClaims, (challenge, check, status) => {
        expect(verifyChallenge(signChallenge(challenge, installation)).claims).toEqual(challenge);
        expect(verifyCheck(signCheck(check, installation), resolve).claims).toEqual(check);
        expect(verifyStatus(signStatus(status, statusKey), keyring).claims).toEqual(status);
      }),
      { numRuns: 150 },
    );
  });
  it('any seed signs tokens that verify under a keyring of its public key', () => {
    setEd25519Backend('auto');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        licenseClaims,
        (seed, claims) => {
          const pair = keyPairFromSeed(seed);
          const ring = Keyring.of([{ publicKey: pair.publicKey, purpose: 'license' }]);
          expect(verifyLicense(signLicense(claims, pair), ring).kid).toBe(pair.kid);
        },
      ),
      { numRuns: 50 },
    );
  });
  it('whitespace and line breaks inserted anywhere are ignored', () => {
    const token: string = golden.license.token;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(token.length), fc.constantFrom(' ', '\n', '\r\n', '\t', '  \n  ')),
          { maxLength: 20 },
        ),
        (insertions) => {
          let pasted = token;
          for (const [at, space] of [...insertions].sort((a, b) => b[0] - a[0])) {
            pasted = pasted.slice(0, at) + space + pasted.slice(at);
          }
          expect(verifyLicense(pasted, keyring).token).toBe(token);
        },
      ),
    );
  });
});

describe('any single flipped byte is rejected', () => {
  const flip = (token: string, index: number, mask: number) => {
    const bytes = Buffer.from(token, 'latin1');
    bytes[index]! ^= mask;
    return bytes.toString('latin1');
  };
  const rejected = (action: () => unknown) => {
    try {
      action();
    } catch (error) {
      return isLicensorError(error);
    }
    return false;
  };
  for (const backend of ['node', 'noble'] as const) {
    it(`${backend}: a license token with one byte flipped is refused with a typed error`, () => {
      setEd25519Backend(backend);
      const token: string = golden.license.token;
      fc.assert(
        fc.property(fc.nat(token.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
          expect(rejected(() => verifyLicense(flip(token, index, mask), keyring))).toBe(true);
        }),
        { numRuns: backend === 'node' ? 1000 : 150 },
      );
    });
  }
  it('every position of a challenge, flipped in its lowest bit, is refused', () => {
    setEd25519Backend('auto');
    const token: string = golden.challenge.token;
    for (let index = 0; index < token.length; index++) {
      expect(
        rejected(() => verifyChallenge(flip(token, index, 1))),
        `position ${index}`,
      ).toBe(true);
    }
  });
});
