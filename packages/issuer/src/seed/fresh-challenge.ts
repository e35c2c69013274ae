// The first challenge of a new installation, made the way the SDK makes one (its own key, no
// license yet, a `license` request): what every bench (`bench/kit.mjs` users) and the issuer's
// child-process test scripts issue against. One definition, so that a change to the challenge's
// members (a new version of the message) is made here once.

import {
  type ChallengeClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  newId,
  signChallenge,
} from '@licensor/token';

export interface FreshChallengeOptions {
  /** The installation's key pair (default: a new one per challenge). */
  key?: Ed25519KeyPair;
  /** Product name and version (default CMS 5.2.0). */
  product?: { name: string; version: string };
  /** When the challenge was made, epoch milliseconds (default now). */
  atMs?: number;
  /** Seconds until it expires (default one day). */
  validForSeconds?: number;
  /** Credentials the installation manages now (default 1). */
  credentialsInUse?: number;
  /** Credentials the operator asks for (default: none named). */
  credentials?: number;
}

/** A signed challenge (compact JWS) of a new installation asking for its first license. */
export function freshChallenge(options: FreshChallengeOptions = {}): string {
  const key = options.key ?? generateKeyPair();
  const iat = Math.floor((options.atMs ?? Date.now()) / 1000);
  const claims: ChallengeClaims = {
    v: 1,
    jti: newId('chl'),
    iat,
    exp: iat + (options.validForSeconds ?? 86_400),
    sub: key.kid,
    product: options.product ?? { name: 'CMS', version: '5.2.0' },
    license: null,
    usage: { credentialsInUse: options.credentialsInUse ?? 1 },
    request:
      options.credentials === undefined
        ? { kind: 'license' }
        : { kind: 'license', credentials: options.credentials },
  };
  return signChallenge(claims, key);
}

/** `count` fresh challenges, each from its own new installation (made before a clock starts). */
export function freshChallenges(count: number, options: FreshChallengeOptions = {}): string[] {
  return Array.from({ length: count }, () => freshChallenge(options));
}
