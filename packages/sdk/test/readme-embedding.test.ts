// The README's "Embedding it in the CMS" sample, as a CMS writes it: its types are checked by the
// package's typecheck (tsc over test/), its behaviour here. Keep the two in step.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CheckOutcome,
  createLicensor,
  type FeatureInfo,
  isLicensorError,
  isSystemAdministrator,
  type Jwks,
  Keyring,
  type LicenseModel,
  type LicensorErrorCode,
  type LimitInfo,
  MemoryStore,
  type ModelSwitchOptions,
  type Operator,
  type ProductGrant,
  type SdkErrorCode,
} from '../src/index.js';
import vendorKeys from './fixtures/vendor.jwks.json' with { type: 'json' };

const credentials = { count: async () => 3 };

function cmsLicensor() {
  return createLicensor({
    store: new MemoryStore(),
    trust: vendorKeys, // the vendor's JWKS (license + status keys), imported from its JSON file
    product: { name: 'CMS', version: '5.2.0' },
    verifyUrl: 'https://licensing.vendor.example/v1/checks',
    credentialsInUse: () => credentials.count(),
    // The README's hook: the System Administrator role for what the default guards.
    authorize: (operator, action) =>
      ['challenge', 'apply', 'activate', 'trust', 'cancel'].includes(action)
        ? operator.roles.some(isSystemAdministrator)
        : true,
  });
}

/** The README's error handler's answer, without express. */
function answerOf(error: unknown): { status: number; code: string } {
  if (isLicensorError(error))
    return { status: error.code === 'ERR_NOT_AUTHORIZED' ? 403 : 422, code: error.code };
  return { status: 500, code: 'ERR_INTERNAL' };
}

describe("the README's embedding sample", () => {
  it('compiles with a JWKS imported from its JSON file, and takes a Keyring or a typed Jwks too', () => {
    expect(cmsLicensor()).toBeDefined();
    const typed: Jwks = JSON.parse(JSON.stringify(vendorKeys)) as Jwks;
    expect(() =>
      createLicensor({
        store: new MemoryStore(),
        trust: typed,
        product: { name: 'CMS', version: '1' },
      }),
    ).not.toThrow();
    expect(() =>
      createLicensor({
        store: new MemoryStore(),
        trust: Keyring.fromJwks(vendorKeys),
        product: { name: 'CMS', version: '1' },
      }),
    ).not.toThrow();
  });

  it('its hook guards cancel as the default does: a viewer may not withdraw a pending request', async () => {
    const licensor = cmsLicensor();
    const admin: Operator = { id: 'a', name: 'Ada', roles: ['System Administrator'] };
    const viewer: Operator = { id: 'v', roles: ['Operator'] };
    const { request } = await licensor.createChallenge(admin);
    const refused = await licensor.cancelRequest(viewer, request.id).catch((error) => error);
    expect(answerOf(refused)).toEqual({ status: 403, code: 'ERR_NOT_AUTHORIZED' });
    expect(await licensor.listPendingRequests(admin)).toHaveLength(1);
  });

  it('exports the types of its public signatures, and one union of every error code', () => {
    expectTypeOf<LicenseModel>().toEqualTypeOf<'perpetual' | 'subscription'>();
    expectTypeOf<CheckOutcome>().toEqualTypeOf<
      'VALID' | 'EXPIRED' | 'SUSPENDED' | 'REVOKED' | 'UNKNOWN'
    >();
    expectTypeOf<FeatureInfo>().toHaveProperty('active');
    expectTypeOf<LimitInfo>().toHaveProperty('value');
    expectTypeOf<ProductGrant>().toHaveProperty('name');
    expectTypeOf<ModelSwitchOptions>().toEqualTypeOf<{ credentialsInUse?: number }>();
    expectTypeOf<'ERR_STATE_MISSING'>().toMatchTypeOf<SdkErrorCode>();
    expectTypeOf<'ERR_JWS_MALFORMED'>().toMatchTypeOf<LicensorErrorCode>();
    const exhaustive = (code: LicensorErrorCode): string => code;
    expect(exhaustive('ERR_TOO_MANY_PENDING')).toBe('ERR_TOO_MANY_PENDING');
  });
});
