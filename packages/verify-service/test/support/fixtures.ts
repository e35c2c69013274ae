// Keys, licenses and check requests for the service's tests. Everything is made with the token
// package's own API, so the tests exercise the real message formats.
import { createPrivateKey, sign } from 'node:crypto';
import {
  type CheckClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  Keyring,
  type LicenseClaims,
  newNonce,
  signCheck,
  signLicense,
  toPublicJwk,
} from '@licensor/token';
import { pino } from 'pino';
import type { VerifyConfig } from '../../src/config.js';
import { createVerifyService, type VerifyService } from '../../src/service.js';
import type { CheckView } from '../../src/store-port.js';
import { MemoryStore } from './memory-store.js';

/** 2026-06-01T12:00:00Z: the frozen clock of every test. */
export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
export const T0s = T0 / 1000;
const day = 86_400;

export const licenseKey = generateKeyPair();
export const statusKey = generateKeyPair();
export const installationA = generateKeyPair();
export const installationB = generateKeyPair();

/** What an SDK trusts: the license key for licenses, the status key for statuses. */
export const keyring = Keyring.of([
  { publicKey: licenseKey.publicKey, purpose: 'license' },
  { publicKey: statusKey.publicKey, purpose: 'status' },
]);

export function licenseToken(overrides: Partial<LicenseClaims> = {}): string {
  return signLicense(
    {
      v: 1,
      jti: 'txn_renewal0000000000000001',
      lid: 'lic_renewed',
      rev: 2,
      iat: T0s - day,
      sub: installationA.kid,
      chal: null,
      customer: { id: 'cus_acme', name: 'Acme' },
      model: 'subscription',
      credentials: 100,
      term: { start: T0s - day, end: T0s + 365 * day, grace: 7 * day },
      ...overrides,
    },
    licenseKey,
  );
}

function view(licenseId: string, patch: Partial<CheckView> = {}): CheckView {
  return {
    licenseId,
    state: 'active',
    model: 'perpetual',
    revision: 1,
    term: null,
    installationId: installationA.kid,
    installationKey: toPublicJwk(installationA.publicKey),
    latestToken: null,
    ...patch,
  };
}

const subscriptionTerm = { start: T0s - 30 * day, end: T0s + 335 * day, grace: 7 * day };

/** A store holding one license per outcome, all bound to installation A. */
export function seededStore(): MemoryStore {
  const store = new MemoryStore();
  store.put(view('lic_valid'));
  store.put(view('lic_subscription', { model: 'subscription', term: subscriptionTerm }));
  store.put(
    view('lic_expired', {
      model: 'subscription',
      term: { start: T0s - 400 * day, end: T0s - day, grace: 7 * day },
    }),
  );
  store.put(view('lic_suspended', { state: 'suspended' }));
  store.put(
    view('lic_revoked', {
      state: 'revoked',
      revision: 3,
      latestToken: licenseToken({ lid: 'lic_revoked', rev: 3 }),
    }),
  );
  store.put(
    view('lic_renewed', {
      model: 'subscription',
      revision: 2,
      term: { start: T0s - day, end: T0s + 365 * day, grace: 7 * day },
      latestToken: licenseToken(),
    }),
  );
  store.put(view('lic_unbound', { installationId: null, installationKey: null }));
  return store;
}

export function checkClaims(overrides: Partial<CheckClaims> = {}): CheckClaims {
  return {
    v: 1,
    iat: T0s,
    nonce: newNonce(),
    lid: 'lic_valid',
    rev: 1,
    sdk: '0.1.0',
    product: { name: 'CMS', version: '5.2.0' },
    usage: { credentialsInUse: 42 },
    ...overrides,
  };
}

export function checkToken(
  overrides: Partial<CheckClaims> = {},
  installation: Ed25519KeyPair = installationA,
): string {
  return signCheck(checkClaims(overrides), installation);
}

export const silentLogger = pino({ level: 'silent' });

/** Rate limits high enough that only the rate-limit tests meet them. */
export const roomyLimits: Partial<VerifyConfig> = {
  rateLimitPerIp: { burst: 10_000, perSecond: 10_000 },
  rateLimitPerInstallation: { burst: 10_000, perSecond: 10_000 },
};

export interface TestService {
  service: VerifyService;
  store: MemoryStore;
  clock: { now: number };
}

export function testService(
  config: Partial<VerifyConfig> = {},
  store: MemoryStore = seededStore(),
): TestService {
  const clock = { now: T0 };
  const service = createVerifyService({
    store,
    statusKeys: [statusKey],
    logger: silentLogger,
    now: () => clock.now,
    config: { ...roomyLimits, ...config },
  });
  return { service, store, clock };
}

/** A compact JWS over any header and payload, signed with node:crypto: for hostile requests. */
export function signRaw(header: object, payload: object | string, key: Ed25519KeyPair): string {
  const b64 = (value: object | string) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  const privateKey = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: Buffer.from(key.privateKey).toString('base64url'),
      x: Buffer.from(key.publicKey).toString('base64url'),
    },
  });
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** The two ways in: the express app (createVerifyApp) and the lean node:http listener. */
export const targets: [
  string,
  (service: VerifyService) => VerifyService['app'] | VerifyService['listener'],
][] = [
  ['express app', (service) => service.app],
  ['lean listener', (service) => service.listener],
];
