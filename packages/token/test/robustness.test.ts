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

describe('a valid token whatever its random bytes and size', () => {
  it('verifies a license whose signature holds five dashes, bare, armoured and among blocks', async () => {
    // Found by search: this jti makes the golden license key's signature hold "-----", which
    // was read as the start of armour and refused (ERR_ARMOR_INVALID), for good.
    const { armour, armourBlocks, signLicense } = await import('../src/index.js');
    const token = signLicense(
      { ...golden.license.claims, jti: 'txn_13178365' },
      goldenKey('license'),
    );
    expect(token.split('.')[2]).toContain('-----');
    expect(verifyLicense(token, keyring).claims.jti).toBe('txn_13178365');
    expect(verifyLicense(armour(token, 'license'), keyring).claims.jti).toBe('txn_13178365');
    expect(armourBlocks(armour(token, 'license'))).toEqual([{ kind: 'license', token }]);
    // Text that is armour is still read as armour.
    expect(
      isLicensorError(
        catchError(() => verifyLicense(`-----BEGIN LICENSOR LICENSE-----\n${token}`, keyring)),
      ),
    ).toBe(true);
  });

  it('verifies the largest challenge signing allows in its armoured form too', async () => {
    const { armour, signChallenge } = await import('../src/index.js');
    const base = golden.challengeV2.claims;
    const features = Array.from({ length: 64 }, (_, i) =>
      `f${String(i).padStart(3, '0')}`.padEnd(60, 'x'),
    );
    let largest = '';
    for (let k = 0; k <= 64; k++) {
      const limits = Array.from({ length: k }, (_, i) => ({
        name: `l${String(i).padStart(3, '0')}`,
        value: 1,
      }));
      try {
        largest = signChallenge(
          { ...base, request: { ...base.request, features, ...(k > 0 ? { limits } : {}) } },
          installation,
        );
      } catch {
        break;
      }
    }
    expect(largest.length).toBeGreaterThan(8_000);
    const armoured = armour(largest, 'challenge');
    expect(armoured.length).toBeGreaterThan(8_192);
    expect(verifyChallenge(armoured).token).toBe(largest);
    // The compact token's cap still holds: a token over it is refused, armoured or not.
    expect(
      catchError(() => verifyChallenge(`${largest}${'A'.repeat(8_193 - largest.length)}`)),
    ).toMatchObject({
      code: 'ERR_INPUT_TOO_LARGE',
    });
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
