// A signer outside the process (an HSM) gives the very bytes a seed in memory gives, and a
// signature that does not verify under the signer's public key never becomes a token.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signEd25519 } from '../crypto/backend.js';
import { Keyring } from '../keyring.js';
import { generateKeyPair, keyPairFromSeed } from '../keys.js';
import { signLicense, signLicenseWith, verifyLicense } from '../messages/license.js';
import { type JwsSigner, signerFromKeyPair } from './signer.js';

const golden = JSON.parse(
  readFileSync(new URL('../../golden/golden.json', import.meta.url), 'utf8'),
);
const licensePair = keyPairFromSeed(Uint8Array.from(Buffer.from(golden.keys.license.seed, 'hex')));

/** What an HSM-backed signer looks like from here: a public key and an asynchronous sign. */
function outsideSigner(sign: (message: Uint8Array) => Uint8Array | Promise<Uint8Array>): JwsSigner {
  return { kid: licensePair.kid, publicKey: licensePair.publicKey, sign: async (m) => sign(m) };
}

describe('signing through a signer', () => {
  it('gives the golden license tokens byte for byte, in memory or outside', async () => {
    const inMemory = signerFromKeyPair(licensePair);
    const outside = outsideSigner((m) => signEd25519(m, licensePair.privateKey));
    for (const entry of [golden.license, golden.subscriptionLicense]) {
      expect(await signLicenseWith(entry.claims, inMemory)).toBe(entry.token);
      expect(await signLicenseWith(entry.claims, outside)).toBe(entry.token);
      expect(signLicense(entry.claims, licensePair)).toBe(entry.token);
    }
    const token = await signLicenseWith(golden.license.claims, outside);
    expect(verifyLicense(token, Keyring.fromJwks(golden.jwks)).kid).toBe(golden.keys.license.kid);
  });

  it('refuses a signature made by another key: no token', async () => {
    const other = generateKeyPair();
    const wrong = outsideSigner((m) => signEd25519(m, other.privateKey));
    await expect(signLicenseWith(golden.license.claims, wrong)).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
  });

  it('refuses a signature that is not 64 bytes, or a failed device', async () => {
    const short = outsideSigner(() => new Uint8Array(63));
    await expect(signLicenseWith(golden.license.claims, short)).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
    const failing = outsideSigner(() => {
      throw new Error('device removed');
    });
    await expect(signLicenseWith(golden.license.claims, failing)).rejects.toThrow('device removed');
  });

  it('refuses a signer whose kid is not the thumbprint of its public key', async () => {
    const other = generateKeyPair();
    const misnamed: JwsSigner = {
      kid: other.kid,
      publicKey: licensePair.publicKey,
      sign: async (m) => signEd25519(m, licensePair.privateKey),
    };
    await expect(signLicenseWith(golden.license.claims, misnamed)).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
  });

  it('validates the claims before asking the signer', async () => {
    let asked = 0;
    const counting = outsideSigner((m) => {
      asked++;
      return signEd25519(m, licensePair.privateKey);
    });
    await expect(
      signLicenseWith({ ...golden.license.claims, credentials: -1 }, counting),
    ).rejects.toMatchObject({ code: 'ERR_CLAIMS_INVALID' });
    expect(asked).toBe(0);
  });
});
