// Signing keys that live in a PKCS#11 token. The store records the key's kid, public key and
// where it is (token label, key label); the private half is made inside the token and never
// leaves it. A signer over such a key asks the token for each signature, and every signature
// is verified under the recorded public key before it becomes a token (see @licensor/token).

import { randomBytes } from 'node:crypto';
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
import { HsmKeyMissingError } from './errors.js';
import { openHsmToken } from './token.js';

export interface HsmKey extends HsmKeyLocation {
  kid: string;
  publicKey: Uint8Array;
  signer: JwsSigner;
  /** Removes the key from the token: for a key the store failed to record. */
  discard(): Promise<void>;
}

function signerFor(
  config: HsmConfig,
  kid: string,
  publicKey: Uint8Array,
  location: HsmKeyLocation,
): JwsSigner {
  return {
    kid,
    publicKey,
    sign: async (message) => (await openHsmToken(config)).sign(kid, location.label, message),
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

/**
 * A signer over a recorded HSM key: the module and PIN from the environment, the token and
 * label from the record. Fails now (typed) when the token or the key is not there.
 */
export async function openHsmSigner(
  stored: HsmKeyLocation & { kid: string; publicKey: PublicJwk },
  env: NodeJS.ProcessEnv = process.env,
): Promise<JwsSigner> {
  const config = {
    ...hsmConfigFromEnv(
      { LICENSOR_PKCS11_TOKEN: stored.token, ...env },
      `signing with key ${stored.kid}, kept in the HSM token "${stored.token}",`,
    ),
    token: stored.token,
  };
  const token = await openHsmToken(config);
  if (!(await token.hasKey(stored.label))) {
    throw new HsmKeyMissingError(stored.kid, stored.token, stored.label);
  }
  return signerFor(config, stored.kid, publicKeyFromJwk(stored.publicKey), stored);
}
