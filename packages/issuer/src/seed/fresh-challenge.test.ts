import { generateKeyPair, verifyChallenge } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { freshChallenge, freshChallenges } from './fresh-challenge.js';

describe('freshChallenge', () => {
  it('is a v1 first-license challenge of a new installation, valid for a day', () => {
    const atMs = Date.UTC(2026, 0, 15, 9, 0, 0);
    const { claims } = verifyChallenge(freshChallenge({ atMs }));
    expect(claims).toMatchObject({
      v: 1,
      iat: atMs / 1000,
      exp: atMs / 1000 + 86_400,
      product: { name: 'CMS', version: '5.2.0' },
      license: null,
      usage: { credentialsInUse: 1 },
      request: { kind: 'license' },
    });
    expect(claims.request).not.toHaveProperty('credentials');
    expect(claims.jti).toMatch(/^chl_/);
  });

  it('is signed by the key it is given, with the options it is given', () => {
    const key = generateKeyPair();
    const { claims } = verifyChallenge(
      freshChallenge({
        key,
        product: { name: 'bench', version: '1.0.0' },
        validForSeconds: 3600,
        credentialsInUse: 0,
        credentials: 500,
      }),
    );
    expect(claims.sub).toBe(key.kid);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims.product).toEqual({ name: 'bench', version: '1.0.0' });
    expect(claims.usage).toEqual({ credentialsInUse: 0 });
    expect(claims.request).toEqual({ kind: 'license', credentials: 500 });
  });

  it('gives each challenge of a batch its own installation and id', () => {
    const batch = freshChallenges(3).map((text) => verifyChallenge(text).claims);
    expect(new Set(batch.map((claims) => claims.sub)).size).toBe(3);
    expect(new Set(batch.map((claims) => claims.jti)).size).toBe(3);
  });
});
