// Bad input never escapes as anything but a LicensorError: random text, random base64url
// segments, and random JSON signed with the right key (so it reaches the claim checks) given to
// every verifier.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeChallengeUnverified,
  decodeCheckUnverified,
  isLicensorError,
  Keyring,
  readCheckKid,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import { forge, golden, goldenKey, parts } from './forge.js';

const keyring = Keyring.fromJwks(golden.jwks);
const installation = goldenKey('installation');
const verifiers: [string, (token: string) => unknown][] = [
  ['verifyChallenge', (t) => verifyChallenge(t)],
  ['decodeChallengeUnverified', (t) => decodeChallengeUnverified(t)],
  ['verifyLicense', (t) => verifyLicense(t, keyring)],
  ['verifyCheck', (t) => verifyCheck(t, () => installation.publicKey)],
  ['readCheckKid', (t) => readCheckKid(t)],
  ['decodeCheckUnverified', (t) => decodeCheckUnverified(t)],
  ['verifyStatus', (t) => verifyStatus(t, keyring)],
];

/** Runs `verify`; true when it succeeded or failed with a LicensorError. */
function failsCleanly(verify: (token: string) => unknown, token: string): boolean {
  try {
    verify(token);
    return true;
  } catch (error) {
    if (isLicensorError(error)) return true;
    throw error;
  }
}

const b64 = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'),
  maxLength: 200,
});

describe('verifiers fail only with LicensorErrors', () => {
  for (const [name, verify] of verifiers) {
    it(`${name}: random text and random segments`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.tuple(b64, b64, b64).map((s) => s.join('.')),
          ),
          (token) => {
            expect(failsCleanly(verify, token)).toBe(true);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
  it('random JSON payloads signed under each real header reach the claim checks cleanly', () => {
    const cases: [string, GoldenEntry, ReturnType<typeof goldenKey>, (token: string) => unknown][] =
      [
        ['challenge', golden.challenge, installation, (t) => verifyChallenge(t)],
        ['license', golden.license, goldenKey('license'), (t) => verifyLicense(t, keyring)],
        ['check', golden.check, installation, (t) => verifyCheck(t, () => installation.publicKey)],
        ['status', golden.status, goldenKey('status'), (t) => verifyStatus(t, keyring)],
      ];
    for (const [, entry, key, verify] of cases) {
      const { header, payload } = parts(entry.token);
      const mutated = fc.oneof(
        fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
        fc
          .tuple(fc.constantFrom(...Object.keys(payload)), fc.jsonValue())
          .map(([member, value]) => JSON.stringify({ ...payload, [member]: value })),
      );
      fc.assert(
        fc.property(mutated, (json) => {
          expect(failsCleanly(verify, forge(header, json, key))).toBe(true);
        }),
        { numRuns: 150 },
      );
    }
  });
});

interface GoldenEntry {
  token: string;
}
