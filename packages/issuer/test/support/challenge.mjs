// A first challenge of a fresh installation (its own new key), for the child-process scripts of
// the tests (burst.mjs, disk-full.mjs), which run on the built package.
import { generateKeyPair, newId, signChallenge } from '@licensor/token';

export function freshChallenge(product = 'tests', validForSeconds = 3600) {
  const key = generateKeyPair();
  const iat = Math.floor(Date.now() / 1000);
  return signChallenge(
    {
      v: 1,
      jti: newId('chl'),
      iat,
      exp: iat + validForSeconds,
      sub: key.kid,
      product: { name: product, version: '1.0.0' },
      license: null,
      usage: { credentialsInUse: 1 },
      request: { kind: 'license' },
    },
    key,
  );
}
