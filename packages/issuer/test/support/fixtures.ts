// Test fixtures: installations (key pairs) making challenges as the SDK would, and a frozen
// clock the tests move by hand.

import {
  type ChallengeClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  newId,
  signChallenge,
} from '@licensor/token';

export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

export interface Clock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function frozenClock(start = T0): Clock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

export const DAY_MS = 86_400_000;

export interface ChallengeOptions {
  license?: ChallengeClaims['license'];
  request?: ChallengeClaims['request'];
  credentialsInUse?: number;
  /** Made at (ms); default T0. */
  at?: number;
  /** Valid for (seconds); default 7 days. */
  validFor?: number;
  /** Format version (2: an SDK that reads entitlements); default 1. */
  v?: 1 | 2;
  product?: ChallengeClaims['product'];
  /** v2: use of named limits. */
  limitsInUse?: { name: string; inUse: number }[];
  /** v2: the check chain value of the newest status the installation holds. */
  chain?: string;
  /** v2: the signed key set version the installation trusts. */
  keyset?: number;
}

export class TestInstallation {
  readonly key: Ed25519KeyPair = generateKeyPair();

  get id(): string {
    return this.key.kid;
  }

  challenge(options: ChallengeOptions = {}): string {
    const iat = Math.floor((options.at ?? T0) / 1000);
    return signChallenge(
      {
        v: options.v ?? 1,
        jti: newId('chl'),
        iat,
        exp: iat + (options.validFor ?? 7 * 86_400),
        sub: this.key.kid,
        product: options.product ?? { name: 'vSEC:CMS', version: '6.4.0' },
        license: options.license ?? null,
        usage: {
          credentialsInUse: options.credentialsInUse ?? 3,
          ...(options.limitsInUse ? { limits: options.limitsInUse } : {}),
        },
        request: options.request ?? { kind: 'license' },
        ...(options.chain === undefined ? {} : { chain: options.chain }),
        ...(options.keyset === undefined ? {} : { keyset: options.keyset }),
      },
      this.key,
    );
  }
}

/** A subscription plan with an included feature, an add-on and a limit with bounds. */
export const STANDARD_PLAN = {
  name: 'Standard',
  products: ['vSEC:CMS'],
  model: 'subscription' as const,
  credentials: { value: 100, min: 50, max: 500 },
  termDays: 365,
  graceDays: 14,
  renewalDays: 365,
  features: ['hsm-support'],
  addOns: [{ name: 'mobile-credentials', days: 180 }, 'reporting'],
  limits: [{ name: 'sites', value: 3, min: 1, max: 10 }],
};
