// Signing keys: `init` makes one license-use and one status-use key; rotation adds a newer key
// (the newest non-retired key of a purpose is the active one) and keeps the older public keys in
// the JWKS so tokens they signed stay valid; retiring removes a key from new exports.
// Private halves are sealed, license keys under LICENSOR_KEY_PASSPHRASE and status keys under
// LICENSOR_STATUS_KEY_PASSPHRASE (the verify service's secret), or, with neither, kept in 0600 files.
// A license key may instead be made in an HSM (PKCS#11, `--hsm`), where it stays: the store
// records where it is, and no passphrase seals it.

import {
  generateKeyPair,
  type Jwks,
  type JwsSigner,
  type KeyPurpose,
  Keyring,
  publicKeyFromJwk,
  signerFromKeyPair,
  toPublicJwk,
} from '@licensor/token';
import {
  InputInvalidError,
  KeyActiveError,
  KeyNotFoundError,
  NotInitialisedError,
  PassphraseRequiredError,
  PassphraseSharedError,
} from '../errors.js';
import type { InitResult, NewKeyOptions } from '../facade.js';
import { newId } from '../ids.js';
import { writeKeyFile } from '../keys/key-files.js';
import { loadKeyPair } from '../keys/load-keys.js';
import { createHsmKey } from '../keys/pkcs11/keys.js';
import { keyAad, sealSecret } from '../keys/seal.js';
import type { Operator, SigningKeyRecord } from '../records.js';
import type { StoredPrivateKey } from '../store/ports.js';
import { checkOperator, type IssuerContext } from './context.js';

const PURPOSES: readonly KeyPurpose[] = ['license', 'status'];

/**
 * How new keys of these purposes are kept: sealed under their purpose's secret, or (with no
 * secret at all, for development) plain files. Refuses one secret for both purposes, a secret
 * for one purpose only, a plain key in a store whose keys are sealed, and a secret that does not
 * open the keys already sealed under it (a typo would seal the new key under a secret nobody
 * else knows). Checked for every purpose before any key is written.
 */
async function checkSealing(
  context: IssuerContext,
  purposes: readonly KeyPurpose[],
): Promise<void> {
  const { passphrase, statusPassphrase } = context;
  if (passphrase !== undefined && passphrase === statusPassphrase) {
    throw new PassphraseSharedError();
  }
  const sealing = passphrase !== undefined || statusPassphrase !== undefined;
  const stored = await Promise.all(
    PURPOSES.map(async (purpose) => ({
      purpose,
      keys: await context.store.readPrivateKeys(purpose),
    })),
  );
  const storeSealed = stored.some(({ keys }) => keys.some((k) => k.protection === 'encrypted'));
  for (const purpose of purposes) {
    const secret = secretOf(context, purpose);
    if (secret === undefined) {
      if (storeSealed)
        throw PassphraseRequiredError.forSealing(purpose, 'the keys of this store are sealed');
      if (sealing)
        throw PassphraseRequiredError.forSealing(
          purpose,
          `the ${purpose === 'license' ? 'status' : 'license'} keys are to be sealed`,
        );
      continue;
    }
    const newestSealed = stored
      .find((entry) => entry.purpose === purpose)
      ?.keys.find((k) => k.protection === 'encrypted');
    // Opening it proves the secret: a wrong one fails here, before anything is written.
    if (newestSealed !== undefined) {
      await loadKeyPair(context.store.dataDir, newestSealed, purpose, secret);
    }
  }
}

function secretOf(context: IssuerContext, purpose: KeyPurpose): string | undefined {
  return purpose === 'license' ? context.passphrase : context.statusPassphrase;
}

async function createKey(
  context: IssuerContext,
  purpose: KeyPurpose,
  operator: Operator,
  action: string,
  options: NewKeyOptions = {},
): Promise<SigningKeyRecord> {
  const existing = await context.store.listSigningKeys();
  // Strictly newer than every key of the purpose, so the new key is the active one.
  const newest = Math.max(
    0,
    ...existing.filter((k) => k.purpose === purpose).map((k) => k.createdAt),
  );
  const createdAt = Math.max(context.now(), newest + 1);
  const made = options.hsm === true ? await makeHsmKey(purpose) : await makeKey(context, purpose);
  const { stored } = made;
  const record: SigningKeyRecord = {
    kid: made.kid,
    purpose,
    publicKey: toPublicJwk(made.publicKey),
    status: 'active',
    protection: stored.protection,
    ...(stored.protection === 'pkcs11' ? { hsm: stored.hsm } : {}),
    createdAt,
    retiredAt: null,
  };
  try {
    await context.store.insertSigningKey(record, stored);
  } catch (error) {
    // A key the store does not name would sit in the HSM unused: take it out again.
    await made.discard().catch(() => {});
    throw error;
  }
  if (purpose === 'license') context.licenseKeys.remember(made.signer);
  await context.store.appendAuditEvent({
    id: newId('evt'),
    at: context.now(),
    actor: checkOperator(operator),
    action,
    subjectId: made.kid,
    transactionId: null,
    details: {
      purpose,
      protection: stored.protection,
      ...(stored.protection === 'pkcs11' ? { hsm: stored.hsm } : {}),
    },
  });
  return record;
}

interface MadeKey {
  kid: string;
  publicKey: Uint8Array;
  stored: StoredPrivateKey;
  signer: JwsSigner;
  discard(): Promise<void>;
}

/** A key made here: its seed sealed with the passphrase, or, without one, in a 0600 file. */
async function makeKey(context: IssuerContext, purpose: KeyPurpose): Promise<MadeKey> {
  const pair = generateKeyPair();
  const secret = secretOf(context, purpose);
  let stored: StoredPrivateKey;
  if (secret !== undefined) {
    const sealed = await sealSecret(pair.privateKey, secret, keyAad(purpose, pair.kid));
    stored = { kid: pair.kid, purpose, protection: 'encrypted', sealed };
  } else {
    writeKeyFile(context.store.dataDir, purpose, pair.kid, pair.privateKey);
    stored = { kid: pair.kid, purpose, protection: 'file' };
  }
  const { kid, publicKey } = pair;
  return { kid, publicKey, stored, signer: signerFromKeyPair(pair), discard: async () => {} };
}

function assertHsmPurpose(purpose: KeyPurpose): void {
  if (purpose !== 'license') {
    throw new InputInvalidError(
      '--hsm',
      'is for license keys: status keys sign in the verify service, which holds them itself',
    );
  }
}

/** A key made inside the HSM: the store records where it is, never a private half. */
async function makeHsmKey(purpose: KeyPurpose): Promise<MadeKey> {
  assertHsmPurpose(purpose);
  const key = await createHsmKey(purpose);
  const hsm = { token: key.token, label: key.label };
  return {
    kid: key.kid,
    publicKey: key.publicKey,
    stored: {
      kid: key.kid,
      purpose,
      protection: 'pkcs11',
      hsm,
      publicKey: toPublicJwk(key.publicKey),
    },
    signer: key.signer,
    discard: key.discard,
  };
}

export async function initKeys(
  context: IssuerContext,
  operator: Operator,
  options: NewKeyOptions = {},
): Promise<InitResult> {
  const created: SigningKeyRecord[] = [];
  const keys = await context.store.listSigningKeys();
  const missing = PURPOSES.filter(
    (purpose) => !keys.some((key) => key.purpose === purpose && key.status === 'active'),
  );
  // A license key made in the HSM is sealed by nothing: only the others' secrets are checked.
  const toSeal = options.hsm === true ? missing.filter((p) => p !== 'license') : missing;
  if (toSeal.length > 0) await checkSealing(context, toSeal);
  for (const purpose of missing) {
    // `hsm` places the license key in the HSM; the status key stays with the verify service.
    const where = purpose === 'license' ? options : {};
    created.push(await createKey(context, purpose, operator, 'key.create', where));
  }
  return { created, keys: await context.store.listSigningKeys() };
}

export async function rotateKey(
  context: IssuerContext,
  purpose: KeyPurpose,
  operator: Operator,
  options: NewKeyOptions = {},
): Promise<SigningKeyRecord> {
  if (options.hsm === true) assertHsmPurpose(purpose);
  else await checkSealing(context, [purpose]);
  return createKey(context, purpose, operator, 'key.rotate', options);
}

export async function retireKey(
  context: IssuerContext,
  kid: string,
  operator: Operator,
): Promise<SigningKeyRecord> {
  const key = (await context.store.listSigningKeys()).find((k) => k.kid === kid);
  if (key === undefined) throw new KeyNotFoundError(kid);
  if (key.status === 'retired') return key;
  if (key.status === 'active') throw new KeyActiveError(kid, key.purpose);
  const at = context.now();
  await context.store.retireSigningKey(kid, at);
  context.licenseKeys.forget(kid);
  await context.store.appendAuditEvent({
    id: newId('evt'),
    at,
    actor: checkOperator(operator),
    action: 'key.retire',
    subjectId: kid,
    transactionId: null,
    details: { purpose: key.purpose },
  });
  return { ...key, status: 'retired', retiredAt: at };
}

/** The public keyring the SDK trusts: every key that is not retired, active ones first. */
export async function exportJwks(context: IssuerContext): Promise<Jwks> {
  const keys = (await context.store.listSigningKeys()).filter((k) => k.status !== 'retired');
  if (keys.length === 0) throw new NotInitialisedError();
  return Keyring.of(
    keys.map((key) => ({ publicKey: publicKeyFromJwk(key.publicKey), purpose: key.purpose })),
  ).toJwks();
}
