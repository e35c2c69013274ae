// Rejections of claim sets, armour blocks and keyrings, with the error code (and for claims
// the claim path) asserted. Tokens are forged with the right key (test/forge.ts) so that each
// reaches the check it is about.

import { describe, expect, it } from 'vitest';
import {
  armour,
  ClaimsInvalidError,
  Keyring,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import {
  codeOf,
  forge,
  golden,
  installationKey,
  keyring,
  licenseClaims,
  licenseHeader,
  licenseKey,
  parts,
  resolveInstallation,
  statusKey,
  verifyL,
} from './forge.js';

describe('claims', () => {
  const resign = (change: (claims: Record<string, unknown>) => void) => {
    const claims = structuredClone(licenseClaims);
    change(claims);
    return forge(licenseHeader, claims, licenseKey);
  };
  const claimError = (token: string): ClaimsInvalidError => {
    try {
      verifyLicense(token, keyring);
    } catch (error) {
      if (error instanceof ClaimsInvalidError) return error;
      throw error;
    }
    throw new Error('did not throw');
  };
  it('refuses an unknown format version by name', () => {
    expect(
      codeOf(
        verifyL(
          resign((c) => {
            c.v = 3;
          }),
        ),
      ),
    ).toBe('ERR_VERSION_UNSUPPORTED');
    expect(
      codeOf(
        verifyL(
          resign((c) => {
            c.v = '1';
          }),
        ),
      ),
    ).toBe('ERR_VERSION_UNSUPPORTED');
    expect(claimError(resign((c) => void delete c.v)).claim).toBe('v');
  });
  const violations: [string, (c: Record<string, unknown>) => void, string][] = [
    [
      'an unknown member',
      (c) => {
        c.admin = true;
      },
      'admin',
    ],
    ['a missing member', (c) => void delete c.credentials, 'credentials'],
    [
      'zero credentials',
      (c) => {
        c.credentials = 0;
      },
      'credentials',
    ],
    [
      'fractional credentials',
      (c) => {
        c.credentials = 1.5;
      },
      'credentials',
    ],
    [
      'a revision of 0',
      (c) => {
        c.rev = 0;
      },
      'rev',
    ],
    [
      'an issue time in milliseconds as a string',
      (c) => {
        c.iat = '1767225600000';
      },
      'iat',
    ],
    [
      'a negative issue time',
      (c) => {
        c.iat = -1;
      },
      'iat',
    ],
    [
      'an unknown model',
      (c) => {
        c.model = 'trial';
      },
      'model',
    ],
    [
      'a term on a perpetual license',
      (c) => {
        c.term = { start: 1, end: 2, grace: 0 };
      },
      'term',
    ],
    [
      'a subscription without a term',
      (c) => {
        c.model = 'subscription';
      },
      'term',
    ],
    [
      'an id with a space',
      (c) => {
        c.lid = 'lic 1';
      },
      'lid',
    ],
    [
      'an installation id that is not a thumbprint',
      (c) => {
        c.sub = 'abc';
      },
      'sub',
    ],
    [
      'a customer name with a line break',
      (c) => {
        (c.customer as { name: string }).name = 'A\nB';
      },
      'customer.name',
    ],
    [
      'an unknown customer member',
      (c) => {
        (c.customer as Record<string, unknown>).email = 'x@y';
      },
      'customer.email',
    ],
    [
      'an empty customer name',
      (c) => {
        (c.customer as { name: string }).name = '';
      },
      'customer.name',
    ],
    [
      'a too long customer name',
      (c) => {
        (c.customer as { name: string }).name = 'x'.repeat(201);
      },
      'customer.name',
    ],
  ];
  for (const [what, change, claim] of violations) {
    it(`refuses ${what}, naming the claim "${claim}"`, () => {
      const error = claimError(resign(change));
      expect(error.code).toBe('ERR_CLAIMS_INVALID');
      expect(error.claim).toBe(claim);
      expect(error.reason).not.toBe('');
    });
  }
  it('refuses a term that ends before it starts', () => {
    const token = resign((c) => {
      c.model = 'subscription';
      c.term = { start: 100, end: 100, grace: 0 };
    });
    expect(claimError(token).claim).toBe('term.end');
  });
  it('refuses a challenge whose sub is not the thumbprint of its key', () => {
    const challenge = parts(golden.challenge.token);
    const token = forge(
      challenge.header,
      { ...challenge.payload, sub: licenseKey.kid },
      installationKey,
    );
    expect(codeOf(() => verifyChallenge(token))).toBe('ERR_CLAIMS_INVALID');
  });
  it('refuses a model switch that does not name the model', () => {
    const challenge = parts(golden.modelSwitchChallenge.token);
    const token = forge(
      challenge.header,
      { ...challenge.payload, request: { kind: 'model-switch' } },
      installationKey,
    );
    expect(codeOf(() => verifyChallenge(token))).toBe('ERR_CLAIMS_INVALID');
  });
  it('refuses a status whose revision does not match its outcome', () => {
    const status = parts(golden.status.token);
    for (const payload of [
      { ...status.payload, outcome: 'UNKNOWN' },
      { ...status.payload, rev: null },
      { ...status.payload, license: 'not a token' },
      { ...status.payload, checkBy: (status.payload.iat as number) - 1 },
    ]) {
      expect(codeOf(() => verifyStatus(forge(status.header, payload, statusKey), keyring))).toBe(
        'ERR_CLAIMS_INVALID',
      );
    }
  });
  it('refuses a check with a nonce that is not 16 bytes', () => {
    const check = parts(golden.check.token);
    const token = forge(check.header, { ...check.payload, nonce: 'AAAA' }, installationKey);
    expect(codeOf(() => verifyCheck(token, resolveInstallation))).toBe('ERR_CLAIMS_INVALID');
  });
});

describe('armour', () => {
  it('refuses a challenge block where a license is expected', () => {
    expect(codeOf(verifyL(armour(golden.challenge.token, 'challenge')))).toBe('ERR_ARMOR_INVALID');
  });
  it('refuses any armour block around a check request or a status', () => {
    const license = armour(golden.license.token, 'license');
    expect(codeOf(() => verifyStatus(license, keyring))).toBe('ERR_ARMOR_INVALID');
    expect(codeOf(() => verifyCheck(license, resolveInstallation))).toBe('ERR_ARMOR_INVALID');
  });
  it('refuses a block without its END line, or with mismatched or unknown labels', () => {
    const block = armour(golden.license.token, 'license');
    expect(codeOf(verifyL(block.split('-----END')[0]!))).toBe('ERR_ARMOR_INVALID');
    expect(codeOf(verifyL(block.replace('END LICENSOR LICENSE', 'END LICENSOR CHALLENGE')))).toBe(
      'ERR_ARMOR_INVALID',
    );
    expect(codeOf(verifyL(block.replaceAll('LICENSOR LICENSE', 'PGP MESSAGE')))).toBe(
      'ERR_ARMOR_INVALID',
    );
    expect(
      codeOf(verifyL('-----BEGIN LICENSOR LICENSE-----\n-----END LICENSOR LICENSE-----')),
    ).toBe('ERR_ARMOR_INVALID');
    expect(codeOf(verifyL(`${block}${block}`))).toBe('ERR_ARMOR_INVALID');
  });
});

describe('keyring', () => {
  const jwks = golden.jwks;
  const cases: [string, unknown][] = [
    ['not an object', 'keys'],
    ['no keys array', { keys: {} }],
    ['an empty key list', { keys: [] }],
    ['a key without a purpose', { keys: [{ ...jwks.keys[0], purpose: undefined }] }],
    ['a key with another purpose', { keys: [{ ...jwks.keys[0], purpose: 'admin' }] }],
    ['a kid that is not the thumbprint', { keys: [{ ...jwks.keys[0], kid: jwks.keys[1].kid }] }],
    ['a key twice', { keys: [jwks.keys[0], { ...jwks.keys[0], purpose: 'status' }] }],
    ['an alg other than EdDSA', { keys: [{ ...jwks.keys[0], alg: 'RS256' }] }],
  ];
  for (const [what, value] of cases) {
    it(`refuses ${what}`, () => {
      expect(codeOf(() => Keyring.fromJwks(value))).toBe('ERR_KEYRING_INVALID');
    });
  }
  it('refuses a small-order key with ERR_KEY_INVALID', () => {
    const x = Buffer.from(`01${'00'.repeat(31)}`, 'hex').toString('base64url');
    expect(codeOf(() => Keyring.fromJwks({ keys: [{ ...jwks.keys[0], x }] }))).toBe(
      'ERR_KEY_INVALID',
    );
  });
});
