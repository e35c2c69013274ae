// A vendor's key rotation as signed key sets, for the SDK's tests: the golden license and status
// keys (L1, S1: what the installation shipped with) are replaced by L2 and S2 over three
// versions, as the issuer publishes them. ROGUE is nobody's key.
import { createPrivateKey, sign } from 'node:crypto';
import {
  type Ed25519KeyPair,
  type KeyPurpose,
  type KeysetKey,
  type KeysetKeyState,
  keyPairFromSeed,
  signerFromKeyPair,
  signKeyset,
  TYP,
  toPublicJwk,
} from '@licensor/token';
import { golden, licenseKey, statusKey } from './fixtures.js';

const pair = (n: number) => keyPairFromSeed(new Uint8Array(32).fill(n));

export const L1 = licenseKey;
export const S1 = statusKey;
export const L2 = pair(21);
export const S2 = pair(22);
export const ROGUE = pair(99);

export function entry(key: Ed25519KeyPair, purpose: KeyPurpose, state: KeysetKeyState): KeysetKey {
  return { ...toPublicJwk(key.publicKey), kid: key.kid, alg: 'EdDSA', use: 'sig', purpose, state };
}

export function keyset(
  seq: number,
  keys: KeysetKey[],
  signer: Ed25519KeyPair,
  revoked: string[] = [],
): Promise<string> {
  return signKeyset({ v: 1, seq, iat: golden.now + seq, keys, revoked }, signerFromKeyPair(signer));
}

/** L2 and S2 published as next. */
export const v1 = await keyset(
  1,
  [
    entry(L1, 'license', 'active'),
    entry(L2, 'license', 'next'),
    entry(S1, 'status', 'active'),
    entry(S2, 'status', 'next'),
  ],
  L1,
);
/** L2 and S2 active, L1 and S1 retired (still trusted for what they signed). */
export const v2 = await keyset(
  2,
  [
    entry(L1, 'license', 'retired'),
    entry(L2, 'license', 'active'),
    entry(S1, 'status', 'retired'),
    entry(S2, 'status', 'active'),
  ],
  L2,
);
/** L1 and S1 revoked: trusted by nobody. */
export const v3 = await keyset(
  3,
  [entry(L2, 'license', 'active'), entry(S2, 'status', 'active')],
  L2,
  [L1.kid, S1.kid],
);
/** Only the status key rotated: S2 active and S1 revoked at once; L1 (the license's key) kept. */
export const statusRotation = await keyset(
  1,
  [entry(L1, 'license', 'active'), entry(S2, 'status', 'active')],
  L1,
  [S1.kid],
);
/** A set made by someone without a vendor key: it trusts ROGUE to sign licenses. */
export const forged = await keyset(
  2,
  [entry(ROGUE, 'license', 'active'), entry(S1, 'status', 'active')],
  ROGUE,
);

/**
 * A product's key taking over (version 1, signed by that key): itself listed with no product mark
 * as the active license key, the vendor's keys retired (kept, so no key in use is dropped) and a
 * status key of its choosing (ROGUE) active.
 */
export function productKeyTakeover(productKey: Ed25519KeyPair): Promise<string> {
  return keyset(
    1,
    [
      entry(L1, 'license', 'retired'),
      entry(S1, 'status', 'retired'),
      entry(productKey, 'license', 'active'),
      entry(ROGUE, 'status', 'active'),
    ],
    productKey,
  );
}

/** The token with one byte of its signature changed. */
export function flipSignature(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

/** Signs header and payload as given (no claims check): a token of a format newer than this build. */
export function signRaw(header: object, payload: object, key: Ed25519KeyPair): string {
  const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64(key.privateKey), x: b64(key.publicKey) },
    format: 'jwk',
  });
  return `${input}.${b64(sign(null, Buffer.from(input), privateKey))}`;
}

/** Version 1 as a future vendor would sign it in a key set format this SDK does not read. */
export const newerFormat = signRaw(
  { alg: 'EdDSA', typ: TYP.keyset, kid: L1.kid },
  {
    v: 99,
    seq: 1,
    iat: golden.now + 1,
    keys: [entry(L1, 'license', 'active'), entry(S1, 'status', 'active')],
    revoked: [],
  },
  L1,
);
