// Interop with jose, an independent JOSE implementation: every kind of message we sign
// verifies with jose (typ, alg and key as jose reads them), and a JWS that jose signs with the
// same key, typ and claims verifies with ours, on both backends.

import { CompactSign, compactVerify, importJWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Keyring,
  setEd25519Backend,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import { type GoldenKeyName, golden, goldenKey, parts } from './forge.js';

const keyring = Keyring.fromJwks(golden.jwks);
const installation = goldenKey('installation');
const resolveInstallation = (kid: string) =>
  kid === installation.kid ? installation.publicKey : undefined;

const KINDS: {
  name: string;
  entry: string;
  key: GoldenKeyName;
  verify: (token: string) => unknown;
}[] = [
  {
    name: 'challenge',
    entry: 'challenge',
    key: 'installation',
    verify: (t) => verifyChallenge(t).claims,
  },
  {
    name: 'license',
    entry: 'license',
    key: 'license',
    verify: (t) => verifyLicense(t, keyring).claims,
  },
  {
    name: 'subscription license',
    entry: 'subscriptionLicense',
    key: 'license',
    verify: (t) => verifyLicense(t, keyring).claims,
  },
  {
    name: 'version 2 challenge',
    entry: 'challengeV2',
    key: 'installation',
    verify: (t) => verifyChallenge(t).claims,
  },
  {
    name: 'version 2 license',
    entry: 'licenseV2',
    key: 'license',
    verify: (t) => verifyLicense(t, keyring).claims,
  },
  {
    name: 'check',
    entry: 'check',
    key: 'installation',
    verify: (t) => verifyCheck(t, resolveInstallation).claims,
  },
  {
    name: 'status',
    entry: 'status',
    key: 'status',
    verify: (t) => verifyStatus(t, keyring).claims,
  },
  {
    name: 'version 2 status (chain, clock offset)',
    entry: 'statusV2',
    key: 'status',
    verify: (t) => verifyStatus(t, keyring).claims,
  },
  {
    name: 'version 2 check (prev)',
    entry: 'checkV2',
    key: 'installation',
    verify: (t) => verifyCheck(t, resolveInstallation).claims,
  },
  {
    name: 'version 2 challenge with a chain value',
    entry: 'challengeChain',
    key: 'installation',
    verify: (t) => verifyChallenge(t).claims,
  },
];

const TYP_OF: Record<string, string> = {
  subscriptionLicense: 'license',
  licenseV2: 'license',
  challengeV2: 'challenge',
  statusV2: 'status',
  checkV2: 'check',
  challengeChain: 'challenge',
};

function privateJwk(name: GoldenKeyName) {
  const key = golden.keys[name];
  return { ...key.publicJwk, d: key.seedBase64url };
}

afterAll(() => setEd25519Backend('auto'));

describe('our tokens verify with jose', () => {
  for (const kind of KINDS) {
    it(`a ${kind.name} verifies with jose under its typ and key`, async () => {
      const entry = golden[kind.entry];
      const key = await importJWK(golden.keys[kind.key].publicJwk, 'EdDSA');
      const { payload, protectedHeader } = await compactVerify(entry.token, key, {
        algorithms: ['EdDSA'],
      });
      expect(protectedHeader.alg).toBe('EdDSA');
      expect(protectedHeader.typ).toBe(`licensor-${TYP_OF[kind.entry] ?? kind.entry}+jwt`);
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(entry.claims);
    });
  }
  it('the challenge header jwk is the key jose verifies it with', async () => {
    const { header } = parts(golden.challenge.token);
    const key = await importJWK(header.jwk as { kty: string }, 'EdDSA');
    await expect(compactVerify(golden.challenge.token, key)).resolves.toBeDefined();
  });
});

describe('jose-signed tokens verify with ours', () => {
  for (const backend of ['node', 'noble'] as const) {
    for (const kind of KINDS) {
      it(`${backend}: a ${kind.name} signed by jose verifies`, async () => {
        setEd25519Backend(backend);
        const entry = golden[kind.entry];
        const { header } = parts(entry.token);
        const key = await importJWK(privateJwk(kind.key), 'EdDSA');
        const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(entry.claims)))
          .setProtectedHeader(header as { alg: string })
          .sign(key);
        expect(kind.verify(token)).toEqual(entry.claims);
      });
    }
  }
});
