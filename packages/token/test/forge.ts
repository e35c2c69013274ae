// Test helpers: the golden fixture, and a forger that signs arbitrary header and payload bytes
// with node:crypto directly, so a test can reach the checks that run after the signature holds.

import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Ed25519KeyPair, Keyring, keyPairFromSeed, verifyLicense } from '../src/index.js';

export const golden = JSON.parse(
  readFileSync(new URL('../golden/golden.json', import.meta.url), 'utf8'),
);

export type GoldenKeyName = 'license' | 'status' | 'installation';

export function goldenKey(name: GoldenKeyName): Ed25519KeyPair {
  return keyPairFromSeed(Uint8Array.from(Buffer.from(golden.keys[name].seed, 'hex')));
}

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** A segment from an object (JSON), a string (JSON text as given) or raw bytes. */
function segment(part: object | string | Uint8Array): string {
  if (part instanceof Uint8Array) return b64(part);
  return b64(typeof part === 'string' ? part : JSON.stringify(part));
}

/** Signs `header.payload` as given, bypassing every check of the code under test. */
export function forge(
  header: object | string | Uint8Array,
  payload: object | string | Uint8Array,
  key: Ed25519KeyPair,
): string {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64(key.privateKey), x: b64(key.publicKey) },
    format: 'jwk',
  });
  return `${signingInput}.${b64(sign(null, Buffer.from(signingInput), privateKey))}`;
}

/** The decoded header and payload of a compact token. */
export function parts(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')),
  };
}

/** Expects `action` to throw a LicensorError with `code`; returns it for more assertions. */
export function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code ?? `not a LicensorError: ${String(error)}`;
  }
  return 'did not throw';
}

// The fixtures the rejection suites share: the golden keyring and keys, and a license token's
// header and claims to forge variations of.
export const keyring = Keyring.fromJwks(golden.jwks);
export const licenseKey = goldenKey('license');
export const statusKey = goldenKey('status');
export const installationKey = goldenKey('installation');
export const licenseHeader = { alg: 'EdDSA', typ: 'licensor-license+jwt', kid: licenseKey.kid };
export const licenseClaims = golden.license.claims;
export const verifyL = (token: string) => () => verifyLicense(token, keyring);
export const resolveInstallation = (kid: string) =>
  kid === installationKey.kid ? installationKey.publicKey : undefined;
