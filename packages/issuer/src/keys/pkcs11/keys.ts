// Signing keys that live in a PKCS#11 token. The store records the key's kid, public key and
// where it is (token label, key label); the private half is made inside the token and never
// leaves it. A signer over such a key asks the token for each signature, and verifies it under
// the recorded public key: a token that signs with another key (the label now names another
// one) is an HSM failure (ERR_HSM_DEVICE), not a bad signature of the request's.

import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import {
  type JwsSigner,
  jwkThumbprint,
  type KeyPurpose,
  type PublicJwk,
  publicKeyFromJwk,
  toPublicJwk,
} from '@licensor/token';
import type { HsmKeyLocation } from '../../records.js';
import { type HsmConfig, hsmConfigFromEnv } from './config.js';
import { HsmWrongKeyError } from './errors.js';
import { openHsmToken } from './token.js';

export interface HsmKey extends HsmKeyLocation {
  kid: string;
  publicKey: Uint8Array;
  signer: JwsSigner;
  /** Removes the key from the token: for a key the store failed to record. */
  discard(): Promise<void>;
}

function ed25519PublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
}

function verifies(signature: Uint8Array, message: Uint8Array, key: KeyObject): boolean {
  try {
    return signature.length === 64 && verify(null, message, key, signature);
  } catch {
    return false;
  }
}

function signerFor(
  config: HsmConfig,
  kid: string,
  publicKey: Uint8Array,
  location: HsmKeyLocation,
): JwsSigner {
  const recorded = ed25519PublicKey(publicKey);
  return {
    kid,
    publicKey,
    sign: async (message) => {
      const token = await openHsmToken(config);
      const signature = await token.sign(kid, location.label, message);
      if (!verifies(signature, message, recorded)) {
        token.forgetKey(location.label); // looked up again next time (the token may be fixed)
        throw new HsmWrongKeyError(kid, location.token, location.label);
      }
      return signature;
    },
  };
}

/**
 * Generates an Ed25519 key in the token named by LICENSOR_PKCS11_TOKEN. The label is unique
 * (purpose, time, random), so a key is never confused with another one on the same token.
 */
export async function createHsmKey(
  purpose: KeyPurpose,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HsmKey> {
  const config = hsmConfigFromEnv(env, `a ${purpose} key in an HSM (--hsm)`);
  const token = await openHsmToken(config);
  const stamp = new Date().toISOString().slice(0, 10);
  const label = `licensor-${purpose}-${stamp}-${randomBytes(6).toString('hex')}`;
  const generated = await token.generateEd25519(label);
  const kid = jwkThumbprint(toPublicJwk(generated.publicKey));
  const location = { token: config.token, label };
  return {
    ...location,
    kid,
    publicKey: generated.publicKey,
    signer: signerFor(config, kid, generated.publicKey, location),
    discard: () => token.destroy(label),
  };
}

type StoredHsmKey = HsmKeyLocation & { kid: string; publicKey: PublicJwk };

function recordedKeyConfig(stored: StoredHsmKey, env: NodeJS.ProcessEnv): HsmConfig {
  // `env` itself (not a copy): a PIN variable is read again at each login.
  return hsmConfigFromEnv(
    env,
    `signing with key ${stored.kid}, kept in the HSM token "${stored.token}",`,
    stored.token,
  );
}

/**
 * A signer over a recorded HSM key: the module and PIN from the environment, the token and
 * label from the record. Fails now (typed) when the token is not there, or when not exactly one
 * private key carries the label.
 */
export async function openHsmSigner(
  stored: StoredHsmKey,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JwsSigner> {
  const config = recordedKeyConfig(stored, env);
  const token = await openHsmToken(config);
  await token.findKey(stored.kid, stored.label);
  return signerFor(config, stored.kid, publicKeyFromJwk(stored.publicKey), stored);
}

/**
 * Proves that the token signs with the recorded key, before the store is told it may sign: the
 * label looked up on the token now (exactly one private key), a signature of random bytes made
 * there and verified under the recorded public key. Throws the typed ERR_HSM_* error otherwise.
 */
export async function probeHsmKey(
  stored: StoredHsmKey,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const config = recordedKeyConfig(stored, env);
  const token = await openHsmToken(config);
  await token.findKey(stored.kid, stored.label); // not a handle remembered from before
  const signer = signerFor(config, stored.kid, publicKeyFromJwk(stored.publicKey), stored);
  await signer.sign(randomBytes(32));
}
