import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { forge } from '../../test/forge.js';
import type { KeysetClaims, KeysetKey, KeysetKeyState } from '../claims/keyset.js';
import { signerFromKeyPair } from '../jws/signer.js';
import { Keyring } from '../keyring.js';
import { type Ed25519KeyPair, type KeyPurpose, keyPairFromSeed, toPublicJwk } from '../keys.js';
import { armour, armourBlocks } from '../normalise.js';
import { advanceKeysets, signKeyset, verifyKeyset } from './keyset.js';

const key = (n: number) => keyPairFromSeed(new Uint8Array(32).fill(n));
const L1 = key(1);
const L2 = key(2);
const S1 = key(3);
const S2 = key(4);
const ROGUE = key(9);

function entry(pair: Ed25519KeyPair, purpose: KeyPurpose, state: KeysetKeyState): KeysetKey {
  return {
    ...toPublicJwk(pair.publicKey),
    kid: pair.kid,
    alg: 'EdDSA',
    use: 'sig',
    purpose,
    state,
  };
}

function claims(seq: number, keys: KeysetKey[], revoked: string[] = []): KeysetClaims {
  return { v: 1, seq, iat: 1_800_000_000 + seq, keys, revoked };
}

/** What the CMS shipped with: L1 and S1. */
const shipped = Keyring.of([
  { publicKey: L1.publicKey, purpose: 'license' },
  { publicKey: S1.publicKey, purpose: 'status' },
]);

// A rotation of both purposes, as the issuer publishes it.
const v1 = await signKeyset(
  claims(1, [
    entry(L1, 'license', 'active'),
    entry(L2, 'license', 'next'),
    entry(S1, 'status', 'active'),
    entry(S2, 'status', 'next'),
  ]),
  signerFromKeyPair(L1),
);
const v2 = await signKeyset(
  claims(2, [
    entry(L1, 'license', 'retired'),
    entry(L2, 'license', 'active'),
    entry(S1, 'status', 'retired'),
    entry(S2, 'status', 'active'),
  ]),
  signerFromKeyPair(L2),
);
const v3 = await signKeyset(
  claims(3, [entry(L2, 'license', 'active'), entry(S2, 'status', 'active')], [L1.kid, S1.kid]),
  signerFromKeyPair(L2),
);

describe('signed key sets', () => {
  it('an installation follows the chain from the key set it shipped with', () => {
    const { trust, applied } = advanceKeysets({ seq: 0, keyring: shipped }, [v1, v2, v3]);
    expect(trust.seq).toBe(3);
    expect(applied.map((k) => k.claims.seq)).toEqual([1, 2, 3]);
    expect(trust.keyring.kids().sort()).toEqual([L2.kid, S2.kid].sort());
    expect(applied[2]!.claims.revoked).toEqual([L1.kid, S1.kid]);
  });

  it('refuses a version out of order, or one signed by a key the installation does not trust yet', () => {
    // v2 is signed by L2, which the shipped set does not hold: v1 must come first.
    expect(() => advanceKeysets({ seq: 0, keyring: shipped }, [v2])).toThrow(
      expect.objectContaining({ code: 'ERR_KID_UNKNOWN' }),
    );
    // Once L1 is revoked (v3), what it signs is trusted by nobody.
    const at3 = advanceKeysets({ seq: 0, keyring: shipped }, [v1, v2, v3]).trust;
    expect(() => advanceKeysets(at3, [v1])).toThrow(
      expect.objectContaining({ code: 'ERR_KID_UNKNOWN' }),
    );
  });

  it('refuses an older or a replayed version', () => {
    const at1 = advanceKeysets({ seq: 0, keyring: shipped }, [v1]).trust;
    expect(() => advanceKeysets(at1, [v1])).toThrow(
      expect.objectContaining({ code: 'ERR_KEYSET_STALE' }),
    );
    expect(() => advanceKeysets({ seq: 5, keyring: shipped }, [v1])).toThrow(
      expect.objectContaining({ code: 'ERR_KEYSET_STALE' }),
    );
  });

  it('refuses a forged, truncated or wrongly signed set, and applies none of a walk', async () => {
    const [header, payload, signature] = v1.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        keys: [entry(ROGUE, 'license', 'active'), entry(S1, 'status', 'active')],
      }),
    ).toString('base64url');
    const trust = { seq: 0, keyring: shipped };
    expect(() => advanceKeysets(trust, [`${header}.${forgedPayload}.${signature}`])).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNATURE_INVALID' }),
    );
    expect(() => advanceKeysets(trust, [v1.slice(0, -10)])).toThrow(
      expect.objectContaining({
        code: expect.stringMatching(/^ERR_(JWS_MALFORMED|BASE64URL_INVALID|SIGNATURE_INVALID)$/),
      }),
    );
    const byRogue = await signKeyset(
      claims(1, [entry(ROGUE, 'license', 'active'), entry(S1, 'status', 'active')]),
      signerFromKeyPair(ROGUE),
    );
    expect(() => advanceKeysets(trust, [byRogue])).toThrow(
      expect.objectContaining({ code: 'ERR_KID_UNKNOWN' }),
    );
    // A status key never signs a key set, even one the installation trusts.
    const byStatus = await signKeyset(
      claims(1, [entry(S1, 'license', 'active'), entry(S2, 'status', 'active')]),
      signerFromKeyPair(S1),
    );
    expect(() => advanceKeysets(trust, [byStatus])).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_WRONG_PURPOSE' }),
    );
    // One bad version in a walk refuses the walk: the caller keeps its trust unchanged.
    expect(() => advanceKeysets(trust, [v1, byRogue])).toThrow();
  });

  it('refuses a set that does not list its signer as the active license key', async () => {
    await expect(
      signKeyset(
        claims(1, [
          entry(L1, 'license', 'retired'),
          entry(L2, 'license', 'active'),
          entry(S1, 'status', 'active'),
        ]),
        signerFromKeyPair(L1),
      ),
    ).rejects.toMatchObject({ code: 'ERR_CLAIMS_INVALID', claim: 'keys' });
    await expect(
      signKeyset(claims(1, [entry(L1, 'license', 'active')]), signerFromKeyPair(L1)),
    ).rejects.toMatchObject({ code: 'ERR_CLAIMS_INVALID' });
  });

  it('refuses a newer format version by name', () => {
    const [header, ,] = v1.split('.') as [string, string, string];
    const v3payload = Buffer.from(JSON.stringify({ v: 3 })).toString('base64url');
    expect(() => verifyKeyset(`${header}.${v3payload}.${'A'.repeat(86)}`, shipped)).toThrow(
      expect.objectContaining({
        code: expect.stringMatching(/^ERR_(VERSION_UNSUPPORTED|SIGNATURE_INVALID)$/),
      }),
    );
  });

  it('travels armoured, before the license key it goes with', () => {
    const pasted = `${armour(v1, 'keyset')}\n${armour(v2, 'keyset')}`;
    expect(armourBlocks(pasted)).toEqual([
      { kind: 'keyset', token: v1 },
      { kind: 'keyset', token: v2 },
    ]);
    expect(verifyKeyset(armour(v1, 'keyset'), shipped).claims.seq).toBe(1);
  });

  it('jose verifies it (typ, alg, key as jose reads them)', async () => {
    const jwk = await importJWK({ ...toPublicJwk(L1.publicKey), alg: 'EdDSA' }, 'EdDSA');
    const { protectedHeader, payload } = await compactVerify(v1, jwk);
    expect(protectedHeader).toMatchObject({
      alg: 'EdDSA',
      typ: 'licensor-keyset+jwt',
      kid: L1.kid,
    });
    expect(JSON.parse(new TextDecoder().decode(payload)).seq).toBe(1);
  });
});

describe('product key sets (version 2)', () => {
  const P1 = key(21);
  const P2 = key(22);
  const product = (pair: Ed25519KeyPair, state: KeysetKeyState, name = 'cms'): KeysetKey => ({
    ...entry(pair, 'license', state),
    product: name,
  });
  const scoped = (seq: number, keys: KeysetKey[], scope = 'cms', revoked: string[] = []) =>
    ({ v: 2, seq, iat: 1_800_000_000 + seq, keys, revoked, scope }) satisfies KeysetClaims;

  it("is signed by the vendor's key and gives the product's keys marked with their product", async () => {
    const first = await signKeyset(
      scoped(1, [
        entry(L1, 'license', 'active'),
        entry(S1, 'status', 'active'),
        product(P1, 'next'),
      ]),
      signerFromKeyPair(L1),
    );
    const second = await signKeyset(
      scoped(2, [
        entry(L1, 'license', 'active'),
        entry(S1, 'status', 'active'),
        product(P1, 'active'),
      ]),
      signerFromKeyPair(L1),
    );
    const { trust, applied } = advanceKeysets({ seq: 0, keyring: shipped }, [first, second]);
    expect(applied.map((k) => k.claims.scope)).toEqual(['cms', 'cms']);
    expect(trust.keyring.productOf(P1.kid)).toBe('cms');
    expect(trust.keyring.productOf(L1.kid)).toBeUndefined();
    expect(trust.keyring.get(P1.kid, 'license')).toEqual(P1.publicKey);
    // jose reads it like any other version.
    const jwk = await importJWK({ ...toPublicJwk(L1.publicKey), alg: 'EdDSA' }, 'EdDSA');
    const { payload } = await compactVerify(second, jwk);
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ v: 2, scope: 'cms' });
  });

  it("refuses a set signed by a product's key, even an active one the installation trusts", async () => {
    const withProduct = Keyring.of([
      { publicKey: L1.publicKey, purpose: 'license' },
      { publicKey: S1.publicKey, purpose: 'status' },
      { publicKey: P1.publicKey, purpose: 'license', product: 'cms' },
    ]);
    const claimsByProduct = scoped(1, [
      entry(L1, 'license', 'active'),
      entry(S1, 'status', 'active'),
      product(P1, 'active'),
    ]);
    await expect(signKeyset(claimsByProduct, signerFromKeyPair(P1))).rejects.toMatchObject({
      code: 'ERR_CLAIMS_INVALID',
      claim: 'keys',
    });
    // Forged past the signer's own check: the verifier refuses it too, by the trusted mark.
    const forged = forge(
      { alg: 'EdDSA', typ: 'licensor-keyset+jwt', kid: P1.kid },
      claimsByProduct,
      P1,
    );
    expect(() => verifyKeyset(forged, withProduct)).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_WRONG_PURPOSE' }),
    );
  });

  it("refuses a set signed by a key the trusted keyring holds as a product's, even when the set lists it as the vendor's", async () => {
    const withProduct = Keyring.of([
      { publicKey: L1.publicKey, purpose: 'license' },
      { publicKey: S1.publicKey, purpose: 'status' },
      { publicKey: P1.publicKey, purpose: 'license', product: 'cms' },
    ]);
    // The product's key re-listed with no product mark as the active license key, the vendor's
    // keys retired, a status key of the signer's choosing active: its own claims pass.
    const takeover = await signKeyset(
      claims(1, [
        entry(L1, 'license', 'retired'),
        entry(S1, 'status', 'retired'),
        entry(P1, 'license', 'active'),
        entry(ROGUE, 'status', 'active'),
      ]),
      signerFromKeyPair(P1),
    );
    expect(() => verifyKeyset(takeover, withProduct)).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_WRONG_PURPOSE' }),
    );
    expect(() => advanceKeysets({ seq: 0, keyring: withProduct }, [takeover])).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_WRONG_PURPOSE' }),
    );
    // The vendor's own key still signs the set.
    const genuine = await signKeyset(
      claims(1, [entry(L1, 'license', 'active'), entry(S1, 'status', 'active')]),
      signerFromKeyPair(L1),
    );
    expect(advanceKeysets({ seq: 0, keyring: withProduct }, [genuine]).trust.seq).toBe(1);
  });

  it('refuses product keys in a vendor set, keys of another product, two active product keys, and version 2 members in version 1', async () => {
    const signer = signerFromKeyPair(L1);
    const base = [entry(L1, 'license', 'active'), entry(S1, 'status', 'active')];
    const { scope: _scope, ...unscoped } = scoped(1, [...base, product(P1, 'next')]);
    const refusals: [KeysetClaims, string][] = [
      [unscoped, 'keys[2].product'],
      [scoped(1, [...base, product(P1, 'next', 'other')]), 'keys[2].product'],
      [scoped(1, [...base, product(P1, 'active'), product(P2, 'active')]), 'keys'],
      [{ ...scoped(1, [...base, product(P1, 'next')]), v: 1 }, 'scope'],
      [{ ...claims(1, [...base, product(P1, 'next')]) }, 'keys[2].product'],
      [{ ...scoped(1, base), scope: ' cms' }, 'scope'],
    ];
    for (const [bad, claim] of refusals) {
      await expect(signKeyset(bad, signer)).rejects.toMatchObject({
        code: 'ERR_CLAIMS_INVALID',
        claim,
      });
    }
  });
});
