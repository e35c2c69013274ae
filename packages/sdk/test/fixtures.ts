// Shared test fixtures: the golden keys of @licensor/token, a frozen clock, operators, and a
// vendor stand-in that signs license keys answering this installation's challenges.
import { createRequire } from 'node:module';
import {
  type ChallengeClaims,
  challengeHash,
  type Ed25519KeyPair,
  type Jwks,
  keyPairFromSeed,
  type LicenseClaims,
  signLicense,
  toPublicJwk,
  verifyChallenge,
} from '@licensor/token';
import { createLicensor, type Licensor } from '../src/licensor.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { LicensorStore } from '../src/store/store.js';
import type { Operator } from '../src/types.js';

interface GoldenKey {
  kid: string;
  seed: string;
}

interface GoldenMessage<C> {
  token: string;
  claims: C;
}

export interface Golden {
  now: number;
  keys: {
    license: GoldenKey;
    status: GoldenKey;
    installation: GoldenKey;
    nextLicense: GoldenKey;
    productLicense: GoldenKey;
  };
  jwks: Jwks;
  challenge: GoldenMessage<ChallengeClaims> & { hash: string };
  license: GoldenMessage<LicenseClaims> & { armoured: string };
  modelSwitchChallenge: GoldenMessage<ChallengeClaims> & { hash: string };
  subscriptionLicense: GoldenMessage<LicenseClaims>;
  status: GoldenMessage<Record<string, unknown>>;
  /** Format 2: a challenge asking for a feature and a limit, and the license that answers it. */
  challengeV2: GoldenMessage<ChallengeClaims> & { hash: string };
  licenseV2: GoldenMessage<LicenseClaims>;
  /** Signed vendor key sets, versions 1 and 2 (the second adds a product's own license key). */
  keysetV1: GoldenMessage<Record<string, unknown>>;
  keysetV2: GoldenMessage<Record<string, unknown>>;
}

export const golden = createRequire(import.meta.url)('@licensor/token/golden') as Golden;

function keyOf(key: GoldenKey): Ed25519KeyPair {
  return keyPairFromSeed(new Uint8Array(Buffer.from(key.seed, 'hex')));
}

export const licenseKey = keyOf(golden.keys.license);
export const statusKey = keyOf(golden.keys.status);
export const goldenInstallationKey = keyOf(golden.keys.installation);
export const trust = golden.jwks;

export const admin: Operator = { id: 'alice', name: 'Alice', roles: ['system-administrator'] };
export const viewer: Operator = { id: 'bob', name: 'Bob', roles: ['operator'] };

export const DAY = 86_400;

/** A clock that moves only when told to. */
export class FrozenClock {
  seconds: number;
  constructor(seconds: number = golden.now) {
    this.seconds = seconds;
  }
  now = (): number => this.seconds * 1000;
  advance(seconds: number): void {
    this.seconds += seconds;
  }
}

export interface Setup {
  licensor: Licensor;
  store: MemoryStore;
  clock: FrozenClock;
}

export function setup(
  options: { store?: LicensorStore; clock?: FrozenClock; verifyUrl?: string } = {},
): Setup & { store: MemoryStore } {
  const store = (options.store ?? new MemoryStore()) as MemoryStore;
  const clock = options.clock ?? new FrozenClock();
  const licensor = createLicensor({
    store,
    trust,
    product: { name: 'CMS', version: '5.2.0' },
    now: clock.now,
    ...(options.verifyUrl === undefined ? {} : { verifyUrl: options.verifyUrl }),
  });
  return { licensor, store, clock };
}

let counter = 0;

/** What the vendor would issue in answer to a challenge; fields can be overridden. */
export function answer(
  challenge: string,
  overrides: Partial<LicenseClaims> = {},
  key: Ed25519KeyPair = licenseKey,
): string {
  const { claims } = verifyChallenge(challenge);
  counter += 1;
  const base: LicenseClaims = {
    v: 1,
    jti: `txn_test${String(counter).padStart(18, '0')}`,
    lid: claims.license?.id ?? 'lic_testlicense0000000001',
    rev: (claims.license?.revision ?? 0) + 1,
    iat: claims.iat,
    sub: claims.sub,
    chal: challengeHash(challenge),
    customer: {
      id: 'cus_testcustomer00000001',
      name: claims.request.customerName ?? 'Acme Corporation',
    },
    model: claims.request.model ?? claims.license?.model ?? 'perpetual',
    credentials: claims.request.credentials ?? 10,
    term: null,
  };
  return signLicense({ ...base, ...overrides }, key);
}

/** A subscription term starting at `start`. */
export function term(start: number, days: number, graceDays: number) {
  return { start, end: start + days * DAY, grace: graceDays * DAY };
}

/** The vendor's JWKS with one more license key, made from `fill` (a --trust that differs). */
export function widenedJwks(fill: number) {
  const extra = keyPairFromSeed(new Uint8Array(32).fill(fill));
  return {
    keys: [
      ...golden.jwks.keys,
      {
        ...toPublicJwk(extra.publicKey),
        kid: extra.kid,
        alg: 'EdDSA',
        use: 'sig',
        purpose: 'license',
      },
    ],
  };
}
