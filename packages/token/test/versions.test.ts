// Format versions: this build reads license tokens and challenges of version 1 and 2 (v2 adds
// entitlements), refuses a newer version by name, and the frozen build of the first release
// (test/releases/token-v1.js, what installations in the field run) refuses a version 2 token
// with ERR_VERSION_UNSUPPORTED and a message to update, while still reading version 1.

import { describe, expect, it } from 'vitest';
import {
  coversProduct,
  MESSAGE_VERSIONS,
  signCheck,
  signLicense,
  signStatus,
  VersionUnsupportedError,
  validateChallengeClaims,
  validateLicenseClaims,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
  versionHasPrefix,
} from '../src/index.js';
import {
  codeOf,
  forge,
  golden,
  installationKey,
  keyring,
  licenseHeader,
  licenseKey,
  resolveInstallation,
  statusKey,
} from './forge.js';
import * as released from './releases/token-v1.js';

const releasedKeyring = released.Keyring.fromJwks(golden.jwks);
const v2License = golden.licenseV2.claims;

/** A declined request as a status relays it: the n-th challenge hash, the vendor's reason. */
function declined(n: number) {
  return {
    chal: Buffer.alloc(32, n + 1).toString('base64url'),
    at: 1_780_000_000 + n,
    reason: `not this quarter (${n})`,
  };
}

function thrown(action: () => unknown): { code?: string; message: string; version?: unknown } {
  try {
    action();
  } catch (error) {
    return error as { code?: string; message: string; version?: unknown };
  }
  throw new Error('did not throw');
}

describe('this build reads version 1 and version 2', () => {
  it('declares license and challenge versions 1 and 2', () => {
    expect(MESSAGE_VERSIONS.license).toEqual([1, 2]);
    expect(MESSAGE_VERSIONS.challenge).toEqual([1, 2]);
  });

  it('verifies the golden version 1 and version 2 license tokens', () => {
    expect(verifyLicense(golden.license.token, keyring).claims.v).toBe(1);
    const v2 = verifyLicense(golden.licenseV2.token, keyring).claims;
    expect(v2).toEqual(v2License);
    expect(v2.features?.map((f) => f.name)).toEqual(['hsm-support', 'mobile-credentials']);
    expect(v2.limits).toEqual([{ name: 'sites', value: 5 }]);
  });

  it('verifies the golden version 2 challenge asking for a feature and a limit', () => {
    const { claims } = verifyChallenge(golden.challengeV2.token);
    expect(claims.v).toBe(2);
    expect(claims.request.features).toEqual(['mobile-credentials']);
    expect(claims.request.limits).toEqual([{ name: 'sites', value: 5 }]);
    expect(claims.usage.limits).toEqual([{ name: 'sites', inUse: 3 }]);
  });

  it('refuses a license of version 3 with ERR_VERSION_UNSUPPORTED naming the version', () => {
    const token = forge(licenseHeader, { ...v2License, v: 3 }, licenseKey);
    const error = thrown(() => verifyLicense(token, keyring));
    expect(error).toBeInstanceOf(VersionUnsupportedError);
    expect(error.version).toBe(3);
    expect(error.message).toBe(
      'license format version 3 is not supported (this build reads versions 1 and 2); update Licensor',
    );
  });

  it('refuses version 2 members in a version 1 license and a version 1 challenge', () => {
    const token = forge(licenseHeader, { ...golden.license.claims, features: [] }, licenseKey);
    expect(thrown(() => verifyLicense(token, keyring))).toMatchObject({
      code: 'ERR_CLAIMS_INVALID',
      claim: 'features',
    });
    const challenge = {
      ...golden.challengeV2.claims,
      v: 1,
    };
    expect(thrown(() => validateChallengeClaims(challenge))).toMatchObject({
      code: 'ERR_CLAIMS_INVALID',
      claim: 'usage.limits',
    });
    const request = { ...golden.challengeV2.claims, v: 1, usage: { credentialsInUse: 1 } };
    expect(thrown(() => validateChallengeClaims(request))).toMatchObject({
      code: 'ERR_CLAIMS_INVALID',
      claim: 'request.features',
    });
  });
});

describe('the released version 1 build', () => {
  it('still reads the version 1 tokens this build signs', () => {
    const token = signLicense(golden.license.claims, licenseKey);
    expect(released.verifyLicense(token, releasedKeyring).claims).toEqual(golden.license.claims);
    expect(released.verifyChallenge(golden.challenge.token).claims).toEqual(
      golden.challenge.claims,
    );
  });

  it('refuses the golden version 2 license with ERR_VERSION_UNSUPPORTED and says to update', () => {
    const error = thrown(() => released.verifyLicense(golden.licenseV2.token, releasedKeyring));
    expect(error).toBeInstanceOf(released.VersionUnsupportedError);
    expect(error.code).toBe('ERR_VERSION_UNSUPPORTED');
    expect(error.version).toBe(2);
    expect(error.message).toBe(
      'license format version 2 is not supported (this build reads version 1); update Licensor',
    );
  });

  it('refuses the golden version 2 challenge the same way', () => {
    const error = thrown(() => released.verifyChallenge(golden.challengeV2.token));
    expect(error.code).toBe('ERR_VERSION_UNSUPPORTED');
    expect(error.message).toMatch(/challenge format version 2 .* update Licensor$/);
  });
});

describe('entitlement claims', () => {
  const withClaims = (extra: Record<string, unknown>) => ({ ...v2License, ...extra });
  const claimOf = (extra: Record<string, unknown>) =>
    thrown(() => validateLicenseClaims(withClaims(extra))) as { code?: string; claim?: string };

  it.each([
    ['a name with upper case', { features: [{ name: 'HSM' }] }, 'features[0].name'],
    ['a name starting with a digit', { features: [{ name: '2fa' }] }, 'features[0].name'],
    [
      'a name over 64 characters',
      { features: [{ name: `a${'b'.repeat(64)}` }] },
      'features[0].name',
    ],
    ['an empty feature list', { features: [] }, 'features'],
    ['features out of order', { features: [{ name: 'b' }, { name: 'a' }] }, 'features[1]'],
    ['a repeated feature', { features: [{ name: 'a' }, { name: 'a' }] }, 'features[1]'],
    [
      'a feature end that is not a time',
      { features: [{ name: 'a', until: 1.5 }] },
      'features[0].until',
    ],
    [
      'an unknown member of a feature',
      { features: [{ name: 'a', level: 2 }] },
      'features[0].level',
    ],
    [
      'a limit called credentials',
      { limits: [{ name: 'credentials', value: 3 }] },
      'limits[0].name',
    ],
    ['a negative limit', { limits: [{ name: 'sites', value: -1 }] }, 'limits[0].value'],
    ['a limit without a value', { limits: [{ name: 'sites' }] }, 'limits[0].value'],
    ['a plan id with spaces', { plan: 'a plan' }, 'plan'],
    [
      'a product version that is not a prefix',
      { products: [{ name: 'CMS', versions: ['5.x'] }] },
      'products[0].versions[0]',
    ],
    ['an empty product list', { products: [] }, 'products'],
  ])('refuses %s naming the claim', (_name, extra, claim) => {
    expect(claimOf(extra)).toMatchObject({ code: 'ERR_CLAIMS_INVALID', claim });
  });

  it('accepts a limit of 0 and features without an end', () => {
    const claims = validateLicenseClaims(
      withClaims({ limits: [{ name: 'sites', value: 0 }], features: [{ name: 'a' }] }),
    );
    expect(claims.limits).toEqual([{ name: 'sites', value: 0 }]);
    expect(claims.features).toEqual([{ name: 'a' }]);
  });

  it('the errors are typed', () => {
    expect(codeOf(() => validateLicenseClaims(withClaims({ features: 'a' })))).toBe(
      'ERR_CLAIMS_INVALID',
    );
  });
});

describe('products a license covers', () => {
  it('matches versions by whole dotted segments', () => {
    expect(versionHasPrefix('5.2.0', '5')).toBe(true);
    expect(versionHasPrefix('5.2.0', '5.2')).toBe(true);
    expect(versionHasPrefix('5.2.0-rc1', '5.2.0')).toBe(true);
    expect(versionHasPrefix('52.0.0', '5')).toBe(false);
    expect(versionHasPrefix('5', '5.2')).toBe(false);
    expect(versionHasPrefix('6.0.0', '5')).toBe(false);
  });

  it('reads a semver pre-release or build suffix with dots of its own as a suffix', () => {
    expect(versionHasPrefix('5.2.0-rc.1', '5.2.0')).toBe(true);
    expect(versionHasPrefix('5.2.0+build.7', '5.2')).toBe(true);
    expect(versionHasPrefix('5.2.0-rc.1', '5.2.0.1')).toBe(false);
    expect(versionHasPrefix('6.0.0-rc.1', '5')).toBe(false);
    expect(
      coversProduct([{ name: 'P', versions: ['5.2.0'] }], { name: 'P', version: '5.2.0-rc.1' }),
    ).toBe(true);
  });

  it('covers a product by name and version; no grants cover every product', () => {
    const grants = [{ name: 'CMS', versions: ['5'] }, { name: 'Mobile' }];
    expect(coversProduct(grants, { name: 'CMS', version: '5.9.1' })).toBe(true);
    expect(coversProduct(grants, { name: 'CMS', version: '6.0.0' })).toBe(false);
    expect(coversProduct(grants, { name: 'Mobile', version: '1.0' })).toBe(true);
    expect(coversProduct(grants, { name: 'Other', version: '1.0' })).toBe(false);
    expect(coversProduct(undefined, { name: 'Other', version: '1.0' })).toBe(true);
  });
});

describe('check, status and challenge version 2: the chain value (issue #17)', () => {
  const statusHeader = { alg: 'EdDSA', typ: 'licensor-status+jwt', kid: statusKey.kid };
  const checkHeader = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationKey.kid };

  it('declares check and status versions 1 and 2', () => {
    expect(MESSAGE_VERSIONS.check).toEqual([1, 2]);
    expect(MESSAGE_VERSIONS.status).toEqual([1, 2]);
  });

  it('verifies the golden version 2 status, check and challenge, each carrying the chain value', () => {
    const status = verifyStatus(golden.statusV2.token, keyring).claims;
    expect(status).toEqual(golden.statusV2.claims);
    expect(status).toMatchObject({ v: 2, skew: 7800 });
    const check = verifyCheck(golden.checkV2.token, resolveInstallation).claims;
    expect(check).toEqual(golden.checkV2.claims);
    expect(check.prev).toBe(status.chain);
    expect(verifyChallenge(golden.challengeChain.token).claims.chain).toBe(status.chain);
    // Signing is deterministic: this build makes the golden bytes again.
    expect(signStatus(golden.statusV2.claims, statusKey)).toBe(golden.statusV2.token);
    expect(signCheck(golden.checkV2.claims, installationKey)).toBe(golden.checkV2.token);
  });

  it('still verifies the golden version 1 check and status, which have no chain', () => {
    expect(verifyStatus(golden.status.token, keyring).claims).toEqual(golden.status.claims);
    expect(verifyCheck(golden.check.token, resolveInstallation).claims).toEqual(
      golden.check.claims,
    );
  });

  it.each([
    [
      'a chain value in a version 1 status',
      'status',
      { chain: golden.statusV2.claims.chain },
      'chain',
    ],
    ['a clock offset in a version 1 status', 'status', { skew: 5 }, 'skew'],
    ['a prev in a version 1 check', 'check', { prev: golden.statusV2.claims.chain }, 'prev'],
    ['key sets in a version 1 status', 'status', { keysets: [golden.license.token] }, 'keysets'],
    ['a key set version in a version 1 check', 'check', { keyset: 3 }, 'keyset'],
    [
      'a declined request in a version 1 status',
      'status',
      { rejected: [{ chal: golden.statusV2.claims.chain, at: 1, reason: null }] },
      'rejected',
    ],
  ] as const)('refuses %s naming the claim', (_, kind, extra, claim) => {
    const token =
      kind === 'status'
        ? forge(statusHeader, { ...golden.status.claims, ...extra }, statusKey)
        : forge(checkHeader, { ...golden.check.claims, ...extra }, installationKey);
    const verify =
      kind === 'status'
        ? () => verifyStatus(token, keyring)
        : () => verifyCheck(token, resolveInstallation);
    expect(thrown(verify)).toMatchObject({ code: 'ERR_CLAIMS_INVALID', claim });
  });

  it.each([
    ['a chain value that is not a SHA-256', { chain: 'abc' }, 'chain'],
    ['a clock offset that is not whole seconds', { skew: 1.5 }, 'skew'],
    ['a clock offset of a century', { skew: 100 * 366 * 86_400 }, 'skew'],
    ['forked that is not a boolean', { forked: 'yes' }, 'forked'],
    ['an empty key set list', { keysets: [] }, 'keysets'],
    ['key sets that are not a list', { keysets: golden.license.token }, 'keysets'],
    ['a key set that is not a compact token', { keysets: ['not.a token'] }, 'keysets[0]'],
    [
      'more key sets than a status carries',
      { keysets: Array(9).fill(golden.license.token) },
      'keysets',
    ],
    ['an empty list of declined requests', { rejected: [] }, 'rejected'],
    [
      'five declined requests',
      { rejected: Array.from({ length: 5 }, (_, i) => declined(i)) },
      'rejected',
    ],
    [
      'a declined request naming no challenge hash',
      { rejected: [{ ...declined(0), chal: 'chl_1' }] },
      'rejected[0].chal',
    ],
    ['one challenge declined twice', { rejected: [declined(0), declined(0)] }, 'rejected[1].chal'],
    [
      'a reason with a line break',
      { rejected: [{ ...declined(0), reason: 'no\nway' }] },
      'rejected[0].reason',
    ],
    [
      'a reason of 201 characters',
      { rejected: [{ ...declined(0), reason: 'x'.repeat(201) }] },
      'rejected[0].reason',
    ],
    [
      'a declined request with a member it does not know',
      { rejected: [{ ...declined(0), by: 'bob' }] },
      'rejected[0].by',
    ],
  ])('refuses a version 2 status with %s', (_, extra, claim) => {
    const token = forge(statusHeader, { ...golden.statusV2.claims, ...extra }, statusKey);
    expect(thrown(() => verifyStatus(token, keyring))).toMatchObject({
      code: 'ERR_CLAIMS_INVALID',
      claim,
    });
  });

  it('verifies a version 2 status relaying declined requests (#16.14)', () => {
    const claims = {
      ...golden.statusV2.claims,
      rejected: [declined(1), { ...declined(2), reason: null }],
    };
    const token = signStatus(claims, statusKey);
    expect(verifyStatus(token, keyring).claims).toEqual(claims);
    // Signed by anything but a status key, the same claims are refused.
    const forged = forge(statusHeader, claims, installationKey);
    expect(thrown(() => verifyStatus(forged, keyring)).code).toMatch(
      /^ERR_(KID_UNKNOWN|SIGNATURE_INVALID)$/,
    );
  });

  it('the released version 1 build refuses the version 2 check and status by name', () => {
    const status = thrown(() => released.verifyStatus(golden.statusV2.token, releasedKeyring));
    expect(status).toMatchObject({ code: 'ERR_VERSION_UNSUPPORTED', version: 2 });
    expect(status.message).toMatch(/status format version 2 .* update Licensor$/);
    const check = thrown(() =>
      released.verifyCheck(golden.checkV2.token, (kid: string) =>
        kid === installationKey.kid ? installationKey.publicKey : undefined,
      ),
    );
    expect(check).toMatchObject({ code: 'ERR_VERSION_UNSUPPORTED', version: 2 });
  });

  it('carries key set versions in a version 2 status, and the version trusted in a version 2 check (#11)', () => {
    // The status does not vouch for them: the SDK verifies each against the keys it trusts.
    const keysets = [golden.license.token, golden.licenseV2.token];
    const status = forge(statusHeader, { ...golden.statusV2.claims, keysets }, statusKey);
    expect(verifyStatus(status, keyring).claims.keysets).toEqual(keysets);
    const check = forge(checkHeader, { ...golden.checkV2.claims, keyset: 0 }, installationKey);
    expect(verifyCheck(check, resolveInstallation).claims.keyset).toBe(0);
    expect(validateChallengeClaims({ ...golden.challengeChain.claims, keyset: 4 }).keyset).toBe(4);
    expect(codeOf(() => validateChallengeClaims({ ...golden.challenge.claims, keyset: 4 }))).toBe(
      'ERR_CLAIMS_INVALID',
    );
    for (const keyset of [-1, 1.5, 2_000_000_000, '3']) {
      const bad = forge(checkHeader, { ...golden.checkV2.claims, keyset }, installationKey);
      expect(thrown(() => verifyCheck(bad, resolveInstallation))).toMatchObject({
        code: 'ERR_CLAIMS_INVALID',
        claim: 'keyset',
      });
    }
  });
});
