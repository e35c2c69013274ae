// RFC 8037 appendix A (test/vectors/rfc8037_A4_jws_ed25519.json): the example JWS verifies
// through our JWS layer on both backends, its key's thumbprint is the one in A.3, and our
// strictness applies to it (a wrong typ or a changed byte is refused).

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  jwkThumbprint,
  keyPairFromSeed,
  publicKeyFromJwk,
  setEd25519Backend,
  verifyJws,
} from '../src/index.js';
import { codeOf } from './forge.js';

const vector = JSON.parse(
  readFileSync(new URL('./vectors/rfc8037_A4_jws_ed25519.json', import.meta.url), 'utf8'),
);

afterAll(() => setEd25519Backend('auto'));

describe('RFC 8037 A.4', () => {
  for (const backend of ['node', 'noble'] as const) {
    it(`${backend}: the example JWS verifies and yields its payload`, () => {
      setEd25519Backend(backend);
      const publicKey = publicKeyFromJwk(vector.jwk_public);
      const { header, payload } = verifyJws(vector.compact, { publicKey });
      expect(header).toEqual(JSON.parse(vector.protected));
      expect(new TextDecoder().decode(payload)).toBe(vector.payload);
    });
  }
  it('the private key seed gives the public key, and the A.3 thumbprint', () => {
    const pair = keyPairFromSeed(Uint8Array.from(Buffer.from(vector.jwk_private.d, 'base64url')));
    expect(Buffer.from(pair.publicKey).toString('base64url')).toBe(vector.jwk_public.x);
    expect(jwkThumbprint(vector.jwk_public)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(pair.kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
  it('is refused when a typ is required, or when its payload changes', () => {
    const publicKey = publicKeyFromJwk(vector.jwk_public);
    expect(codeOf(() => verifyJws(vector.compact, { publicKey, typ: 'JWT' }))).toBe(
      'ERR_JWS_TYP_INVALID',
    );
    const [h, p, s] = vector.compact.split('.');
    const changed = `${h}.${p.slice(0, -1)}${p.endsWith('c') ? 'd' : 'c'}.${s}`;
    expect(codeOf(() => verifyJws(changed, { publicKey }))).toBe('ERR_SIGNATURE_INVALID');
  });
});
