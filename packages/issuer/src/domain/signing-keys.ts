// Signing keys through their states: `init` makes an active license and status key; `rotate`
// adds a `next` key (published and trusted before it signs); `activate` switches signing to it
// and retires the old key (still trusted for what it signed); `revoke` drops a key from trust.
// Every change publishes a new version of the signed key set (licensor-keyset+jwt).
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
  type KeysetClaims,
  type KeysetKey,
  keysetChain,
  newId,
  publicKeyFromJwk,
  signerFromKeyPair,
  signKeyset,
  toPublicJwk,
} from '@licensor/token';
import type { CatalogProduct } from '../catalog/types.js';
import {
  InputInvalidError,
  KeyActiveError,
  KeyNotFoundError,
  KeyStateError,
  NotInitialisedError,
  PassphraseRequiredError,
  PassphraseSharedError,
} from '../errors.js';
import { keysChangedEvent } from '../events/event-watch.js';
import type { InitResult, KeyActivation, KeyRevocation, NewKeyOptions } from '../facade.js';
import { writeKeyFile } from '../keys/key-files.js';
import { loadKeyPair } from '../keys/load-keys.js';
import { createHsmKey } from '../keys/pkcs11/keys.js';
import { keyAad, sealSecret } from '../keys/seal.js';
import { probeLicenseKey } from '../keys/signers.js';
import type { KeysetRecord, Operator, SigningKeyRecord } from '../records.js';
import { signingKeyOf } from '../store/key-status.js';
import type { StoredPrivateKey } from '../store/ports.js';
import { clipText } from '../text.js';
import { checkOperator, type IssuerContext } from './context.js';
import { dependentsOf, resignLicenses } from './key-dependents.js';
import {
  inScope,
  keyProduct,
  productKeysetOf,
  productsWithKeys,
  versionsOfProduct,
} from './product-keys.js';

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
  // The newest sealed key of each purpose, whatever its state or product: with the signing key
  // in an HSM, only a retired (or a product's) key may still hold the secret to check.
  const sealed = new Map(
    await Promise.all(
      PURPOSES.map(
        async (purpose) => [purpose, await context.store.readSealedKey(purpose)] as const,
      ),
    ),
  );
  const storeSealed = [...sealed.values()].some((key) => key !== null);
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
    const newestSealed = sealed.get(purpose);
    // Opening it proves the secret: a wrong one fails here, before anything is written.
    if (newestSealed !== null && newestSealed !== undefined) {
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
  status: 'next' | 'active',
  operator: Operator,
  action: string,
  options: NewKeyOptions = {},
): Promise<SigningKeyRecord> {
  const existing = await context.store.listSigningKeys();
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
    status,
    protection: stored.protection,
    ...(stored.protection === 'pkcs11' ? { hsm: stored.hsm } : {}),
    ...(options.product === undefined ? {} : { product: options.product }),
    createdAt,
    activatedAt: status === 'active' ? createdAt : null,
    retiredAt: null,
    revokedAt: null,
  };
  try {
    await context.store.insertSigningKey(record, stored);
  } catch (error) {
    // A key the store does not name would sit in the HSM unused: take it out again.
    await made.discard().catch(() => {});
    throw error;
  }
  if (purpose === 'license') context.licenseKeys.remember(made.signer);
  await audit(context, operator, action, made.kid, {
    purpose,
    ...(options.product === undefined ? {} : { product: options.product }),
    protection: stored.protection,
    status,
    ...(stored.protection === 'pkcs11' ? { hsm: stored.hsm } : {}),
  });
  return record;
}

async function audit(
  context: IssuerContext,
  operator: Operator,
  action: string,
  kid: string,
  details: Record<string, unknown>,
): Promise<void> {
  await context.store.appendAuditEvent({
    id: newId('evt'),
    at: context.now(),
    actor: checkOperator(operator),
    action,
    subjectId: kid,
    transactionId: null,
    details,
  });
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

/** `init`: a license and a status key that sign from the start, and the first key set. */
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
    created.push(await createKey(context, purpose, 'active', operator, 'key.create', where));
  }
  await publishKeysetIfChanged(context);
  return { created, keys: await context.store.listSigningKeys() };
}

/**
 * `keys rotate`: a `next` key, published in the key set (and so trusted by every installation
 * that picks up the set) before it signs anything. `keys activate` switches signing to it.
 */
export async function rotateKey(
  context: IssuerContext,
  purpose: KeyPurpose,
  operator: Operator,
  options: NewKeyOptions = {},
): Promise<SigningKeyRecord> {
  // A product's own key (#12.1): its scope is the product's catalogue id.
  const product =
    options.product === undefined ? null : (await keyProduct(context, purpose, options.product)).id;
  const waiting = (await context.store.listSigningKeys()).find(
    (key) => key.purpose === purpose && inScope(key, product) && key.status === 'next',
  );
  if (waiting !== undefined) {
    const whose = product === null ? '' : ` of product ${options.product}`;
    throw new KeyStateError(
      `key ${waiting.kid} is already the next ${purpose} key${whose}: activate it (keys activate ${waiting.kid}) or revoke it first`,
    );
  }
  if (options.hsm === true) assertHsmPurpose(purpose);
  else await checkSealing(context, [purpose]);
  const key = await createKey(context, purpose, 'next', operator, 'key.rotate', {
    ...options,
    ...(product === null ? {} : { product }),
  });
  await publishKeysetIfChanged(context);
  return key;
}

/**
 * `keys activate KID`: the `next` key signs from now on; the key it replaces is retired (it signs
 * no more and keeps verifying what it signed). Its steps, in order: the new key written active,
 * the old one retired, the key set published, the licenses re-signed, the `key.activate` audit
 * entry. Repeating it finishes an activation a crash interrupted at any step; once the audit
 * entry is written and the key signs alone in its scope, a repeat only re-signs the licenses the
 * retired key still signs (an issue committed late), and says how many (`resigned`).
 */
export async function activateKey(
  context: IssuerContext,
  kid: string,
  operator: Operator,
): Promise<KeyActivation> {
  const keys = await context.store.listSigningKeys();
  const key = keys.find((k) => k.kid === kid);
  if (key === undefined) throw new KeyNotFoundError(kid);
  if (key.status !== 'next' && key.status !== 'active') {
    throw new KeyStateError(
      `key ${kid} is ${key.status}: only a next key can be activated (keys rotate --use ${key.purpose} makes one)`,
    );
  }
  const replaced = keys.filter(
    (other) =>
      other.purpose === key.purpose &&
      inScope(other, key.product ?? null) &&
      other.kid !== kid &&
      other.status === 'active',
  );
  // Two active keys are what a crash between the first two writes of an activation leaves; the
  // one activated last signs (signingKeyOf). Activating the other would retire the key the
  // rotation was moving to and go back: keys only move forward, so finish that one instead.
  const signing = key.status === 'active' ? signingKeyOf([key, ...replaced]) : key;
  if (signing !== undefined && signing !== key) {
    throw new KeyStateError(
      `key ${kid} is active, but key ${signing.kid} was activated after it (an activation a crash interrupted) and signs now: run \`keys activate ${signing.kid}\` to finish that activation, which retires ${kid}`,
    );
  }
  // Complete: its activation's audit entry is written, or it was made active (`init`'s keys,
  // audited as key.create): such a key never had an activation to finish.
  if (
    key.status === 'active' &&
    replaced.length === 0 &&
    ((await audited(context, kid, 'key.activate')) || (await audited(context, kid, 'key.create')))
  ) {
    // Complete, but a license another process signed with the replaced key and committed after
    // the activation's last pass is still signed by it: re-signed now (each re-sign audited as
    // its transaction).
    const resigned = key.purpose === 'license' ? await resignLicenses(context, operator) : 0;
    return { ...key, alreadyActive: true, resigned, retired: [] };
  }
  const at = context.now();
  // The new key must open with what this Issuer holds (passphrase, HSM), and sign as recorded,
  // before any state is written: a probe signature verified under the recorded public key (for
  // a key in an HSM, with the label looked up on the token now and naming exactly one key). An
  // activation that wrote the states first would leave a key that cannot sign, the old one
  // retired.
  if (key.purpose === 'license') {
    await probeLicenseKey(key, await context.licenseKeys.open(kid, key.product));
  }
  const activated =
    key.status === 'active'
      ? key
      : ((await context.store.setSigningKeyState(kid, ['next'], 'active', at)) ?? key);
  for (const other of replaced) {
    await context.store.setSigningKeyState(other.kid, ['active'], 'retired', at);
    context.licenseKeys.forget(other.kid);
  }
  await publishKeysetIfChanged(context);
  // Online installations get their license re-signed by the new key at their next check.
  const resigned = key.purpose === 'license' ? await resignLicenses(context, operator) : 0;
  await audit(context, operator, 'key.activate', kid, {
    purpose: key.purpose,
    ...(key.product === undefined ? {} : { product: key.product }),
    resigned,
  });
  return {
    ...activated,
    status: 'active',
    alreadyActive: false,
    resigned,
    retired: replaced.map((other) => other.kid),
  };
}

/** The name of the product a key is the own key of (undefined: the vendor's key). */
async function productNameOf(
  context: IssuerContext,
  key: SigningKeyRecord,
): Promise<string | undefined> {
  if (key.product === undefined) return undefined;
  return (await context.store.getProduct(key.product))?.name ?? key.product;
}

/**
 * Whether `kid` has its `action` audit entry: the last write of an activation, a revoke's after
 * its state, so a step a crash left out is told by its absence.
 */
async function audited(
  context: IssuerContext,
  kid: string,
  action: 'key.activate' | 'key.revoke' | 'key.create',
): Promise<boolean> {
  const done = await context.store.listAuditEvents({ subjectId: kid, action, limit: 1 });
  return done.length > 0;
}

/**
 * `keys retire KID`: a key that no longer signs stays trusted for what it signed. Activating a
 * successor retires the key it replaces, so this confirms a retirement (and refuses what is not
 * one: the signing key, a next key, a revoked key).
 */
export async function retireKey(
  context: IssuerContext,
  kid: string,
  _operator: Operator,
): Promise<SigningKeyRecord> {
  const key = (await context.store.listSigningKeys()).find((k) => k.kid === kid);
  if (key === undefined) throw new KeyNotFoundError(kid);
  if (key.status === 'retired') return key;
  if (key.status === 'active')
    throw new KeyActiveError(kid, key.purpose, await productNameOf(context, key));
  if (key.status === 'next') {
    throw new KeyStateError(
      `key ${kid} is next and never signed: revoke it (keys revoke ${kid}) to drop it from the key set`,
    );
  }
  throw new KeyStateError(`key ${kid} is revoked: it cannot be trusted again`);
}

/**
 * `keys revoke KID`: trusted by nobody from the next key set on (after a compromise). The key
 * that signs now cannot be revoked: activate its successor first.
 */
export async function revokeKey(
  context: IssuerContext,
  kid: string,
  operator: Operator,
  reason?: string,
): Promise<KeyRevocation> {
  const key = (await context.store.listSigningKeys()).find((k) => k.kid === kid);
  if (key === undefined) throw new KeyNotFoundError(kid);
  const dependents = key.purpose === 'license' ? await dependentsOf(context, kid) : [];
  if (key.status === 'active')
    throw new KeyActiveError(kid, key.purpose, await productNameOf(context, key));
  let revoked = key;
  if (key.status !== 'revoked') {
    const at = context.now();
    const written = await context.store.setSigningKeyState(kid, [key.status], 'revoked', at);
    if (written === null) throw new KeyStateError(`key ${kid} changed meanwhile: try again`);
    revoked = written;
    context.licenseKeys.forget(kid);
  }
  // Its steps: the state, the audit entry, the key set. A repeat writes whichever a crash left
  // out (each once), so a revoke after a compromise always ends audited and published.
  if (!(await audited(context, kid, 'key.revoke'))) {
    await audit(context, operator, 'key.revoke', kid, {
      purpose: key.purpose,
      dependents: dependents.length,
      ...(reason === undefined || reason.trim() === ''
        ? {}
        : { reason: clipText(reason.trim(), 1000) }),
    });
  }
  await publishKeysetIfChanged(context);
  return { key: revoked, dependents };
}

/**
 * The public keyring the SDK trusts: every key not revoked (next, active, retired) of the
 * vendor's own, and with `product` (id or name) that product's license keys too, each marked
 * with the product's name: what a build of that product ships with.
 */
export async function exportJwks(context: IssuerContext, product?: string): Promise<Jwks> {
  const scope = product === undefined ? null : await keyProduct(context, 'license', product);
  const keys = (await context.store.listSigningKeys()).filter(
    (k) => k.status !== 'revoked' && (inScope(k, null) || inScope(k, scope?.id ?? null)),
  );
  if (!keys.some((key) => inScope(key, null))) throw new NotInitialisedError();
  return Keyring.of(
    keys.map((key) => ({
      publicKey: publicKeyFromJwk(key.publicKey),
      purpose: key.purpose,
      ...(key.product === undefined || scope === null ? {} : { product: scope.name }),
    })),
  ).toJwks();
}

/** The claims of the key set the key states make now (without its version number). */
function keysetOf(keys: readonly SigningKeyRecord[]): Omit<KeysetClaims, 'seq' | 'iat'> {
  return {
    v: 1,
    keys: keys
      .filter((key) => key.status !== 'revoked')
      .map((key) => ({
        ...key.publicKey,
        kid: key.kid,
        alg: 'EdDSA' as const,
        use: 'sig' as const,
        purpose: key.purpose,
        state: key.status as KeysetKey['state'],
      })),
    revoked: keys.filter((key) => key.status === 'revoked').map((key) => key.kid),
  };
}

function sameKeyset(a: Omit<KeysetClaims, 'seq' | 'iat'>, b: KeysetClaims): boolean {
  const canon = (k: Omit<KeysetClaims, 'seq' | 'iat'>) =>
    JSON.stringify({
      scope: k.scope ?? null,
      keys: [...k.keys].map((key) => `${key.kid}:${key.purpose}:${key.state}`).sort(),
      revoked: [...k.revoked].sort(),
    });
  return canon(a) === canon(b);
}

/**
 * Publishes a new version of the signed key set when the key states changed since the last one:
 * signed by the active license key, which the previous version trusts (it was `next` there, or
 * already active), so installations can follow the chain.
 */
export async function publishKeysetIfChanged(context: IssuerContext): Promise<KeysetRecord | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const keys = await context.store.listSigningKeys();
    const wanted = keysetOf(keys.filter((key) => inScope(key, null)));
    if (!PURPOSES.every((p) => wanted.keys.some((k) => k.purpose === p && k.state === 'active'))) {
      return null;
    }
    const previous = (await context.store.listKeysets(0)).at(-1);
    const products = await productKeysets(context, keys, wanted);
    if (
      previous !== undefined &&
      !products.some((set) => set.changed) &&
      sameKeyset(wanted, decodeKeyset(previous.token))
    ) {
      return previous;
    }
    const signer = await context.licenseKeys.active();
    const at = context.now();
    const seq = (previous?.seq ?? 0) + 1;
    const claims: KeysetClaims = { ...wanted, seq, iat: Math.floor(at / 1000) };
    const record: KeysetRecord = {
      seq,
      token: await signKeyset(claims, signer),
      signedBy: signer.kid,
      kids: claims.keys.map((key) => key.kid),
      createdAt: at,
    };
    // The vendor's version takes the number; the products' sets that changed get the same one.
    if (await context.store.insertKeyset(record)) {
      for (const { product, claims: productClaims } of products) {
        const scoped: KeysetClaims = { ...productClaims, seq, iat: claims.iat };
        await context.store.insertProductKeyset({
          seq,
          token: await signKeyset(scoped, signer),
          signedBy: signer.kid,
          kids: scoped.keys.map((key) => key.kid),
          createdAt: at,
          productId: product.id,
          product: product.name,
        });
      }
      // keys.changed into the webhook outbox now; if this write is lost (a crash, the store
      // refusing it), the portal's event watch writes the same event (same id) from the key set.
      await context.store.automation
        .appendOutboxEvents([keysChangedEvent(previous ?? null, record)])
        .catch(() => undefined);
      return record;
    }
  }
  throw new KeyStateError('another process keeps publishing key sets: try again');
}

/**
 * The key set of every product that has (or had) keys of its own, and whether it changed since
 * the product's last version. Once a product has a set, every new version number gets one (a
 * product's installations never fall back to the vendor's set, which lacks the product's keys).
 */
async function productKeysets(
  context: IssuerContext,
  keys: readonly SigningKeyRecord[],
  vendor: Omit<KeysetClaims, 'seq' | 'iat'>,
): Promise<
  { product: CatalogProduct; claims: Omit<KeysetClaims, 'seq' | 'iat'>; changed: boolean }[]
> {
  const ids = productsWithKeys(keys);
  if (ids.length === 0) return [];
  const published = await context.store.listProductKeysets(0);
  const sets = [];
  for (const id of ids) {
    const product = await context.store.getProduct(id);
    if (product === null) continue;
    const claims = productKeysetOf(vendor, keys, product);
    const last = published.filter((version) => version.productId === id).at(-1);
    const changed = last === undefined || !sameKeyset(claims, decodeKeyset(last.token));
    sets.push({ product, claims, changed });
  }
  return sets;
}

function decodeKeyset(token: string): KeysetClaims {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as KeysetClaims;
}

/**
 * Every version of the signed key set, oldest first (publishes the first one if there is none).
 * With `product` (a product's name, as its SDK reports it): the versions that product's
 * installations walk, its own set where there is one, else the vendor's.
 */
export async function listKeysets(
  context: IssuerContext,
  product?: string,
): Promise<KeysetRecord[]> {
  let keysets = await context.store.listKeysets(0);
  if (keysets.length === 0) {
    await publishKeysetIfChanged(context);
    keysets = await context.store.listKeysets(0);
  }
  return product === undefined ? keysets : versionsOfProduct(context, keysets, product);
}

/**
 * The key set versions an installation that reported trusting version `trusted` needs, as a
 * chain it can walk (token's keysetChain): what an offline license key carries before it.
 */
export async function keysetsAfter(
  context: IssuerContext,
  trusted: number,
  product?: string,
): Promise<string[]> {
  const versions = await listKeysets(context, product);
  return keysetChain(
    versions.map(({ seq, token, signedBy, kids }) => ({ seq, token, signedBy, kids })),
    trusted,
  );
}
