// Signing keys and the signed key sets on MongoDB.

import type { KeyPurpose } from '@licensor/token';
import type { HsmKeyLocation, KeyStatus, KeysetRecord, SigningKeyRecord } from '../../records.js';
import { movedTo, type StoredKeyRecord, usableKids, withKeyStatus } from '../key-status.js';
import type { SealedSecret, StoredPrivateKey } from '../ports.js';
import { hsmMember, privateKeyColumns, storedPrivateKeyOf } from '../private-key-row.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

type Doc = Record<string, unknown>;

export async function insertSigningKey(
  models: MongoModels,
  record: SigningKeyRecord,
  privateKey: StoredPrivateKey,
): Promise<void> {
  await models.signingKeys.create({
    _id: record.kid,
    purpose: record.purpose,
    publicKey: record.publicKey,
    protection: privateKey.protection,
    ...privateKeyColumns(privateKey),
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
    state: record.status,
    activatedAt: record.activatedAt,
    revokedAt: record.revokedAt,
    ...(record.product === undefined ? {} : { productId: record.product }),
  });
}

function recordOf(d: Doc): StoredKeyRecord {
  return {
    kid: d._id as string,
    purpose: d.purpose as KeyPurpose,
    publicKey: d.publicKey as SigningKeyRecord['publicKey'],
    protection: d.protection as SigningKeyRecord['protection'],
    ...hsmMember(d.hsm as HsmKeyLocation | null | undefined),
    ...(typeof d.productId === 'string' ? { product: d.productId } : {}),
    status: (d.state as KeyStatus | null | undefined) ?? null,
    createdAt: d.createdAt as number,
    activatedAt: (d.activatedAt as number | null | undefined) ?? null,
    retiredAt: (d.retiredAt as number | null | undefined) ?? null,
    revokedAt: (d.revokedAt as number | null | undefined) ?? null,
  };
}

export async function listSigningKeys(models: MongoModels): Promise<SigningKeyRecord[]> {
  const documents = await models.signingKeys.find({}, { sealed: 0 }).lean();
  return withKeyStatus(documents.map((d) => recordOf(d as Doc)));
}

export async function readPrivateKeys(
  models: MongoModels,
  purpose: KeyPurpose,
  product: string | null = null,
): Promise<StoredPrivateKey[]> {
  // The purpose and the product are in the query: other documents never leave the server
  // (the vendor's own keys have no productId: null matches a missing field).
  const documents = (await models.signingKeys
    .find({ purpose, productId: product })
    .lean()) as Doc[];
  const byKid = new Map(documents.map((d) => [d._id as string, d]));
  return usableKids(withKeyStatus(documents.map(recordOf)), purpose, product).map((kid) => {
    const d = byKid.get(kid)!;
    return storedPrivateKeyOf({
      kid,
      purpose,
      protection: d.protection as string,
      sealed: (d.sealed as SealedSecret | null | undefined) ?? null,
      hsm: (d.hsm as HsmKeyLocation | null | undefined) ?? null,
      publicKey: d.publicKey as SigningKeyRecord['publicKey'],
    });
  });
}

export async function readSealedKey(
  models: MongoModels,
  purpose: KeyPurpose,
): Promise<StoredPrivateKey | null> {
  const document = (await models.signingKeys
    .findOne({ purpose, protection: 'encrypted', sealed: { $ne: null } })
    .sort({ createdAt: -1, _id: -1 })
    .lean()) as Doc | null;
  if (document === null) return null;
  return storedPrivateKeyOf({
    kid: document._id as string,
    purpose,
    protection: document.protection as string,
    sealed: document.sealed as SealedSecret,
    hsm: null,
    publicKey: document.publicKey as SigningKeyRecord['publicKey'],
  });
}

/** A conditional update on the state as stored: a concurrent move makes this one miss. */
export async function setSigningKeyState(
  models: MongoModels,
  kid: string,
  from: readonly KeyStatus[],
  to: KeyStatus,
  at: number,
): Promise<SigningKeyRecord | null> {
  const document = (await models.signingKeys.findById(kid, { sealed: 0 }).lean()) as Doc | null;
  if (document === null) return null;
  const key = (await listSigningKeys(models)).find((k) => k.kid === kid);
  if (key === undefined || !from.includes(key.status)) return null;
  const moved = movedTo(key, to, at);
  const result = await models.signingKeys.updateOne(
    { _id: kid, state: (document.state as KeyStatus | null | undefined) ?? null },
    {
      $set: {
        state: moved.status,
        activatedAt: moved.activatedAt,
        retiredAt: moved.retiredAt,
        revokedAt: moved.revokedAt,
      },
    },
  );
  return result.modifiedCount === 1 ? moved : null;
}

export async function insertKeyset(models: MongoModels, keyset: KeysetRecord): Promise<boolean> {
  return insertedOnce(() =>
    models.keysets.create({
      _id: keyset.seq,
      token: keyset.token,
      signedBy: keyset.signedBy,
      kids: keyset.kids,
      createdAt: keyset.createdAt,
    }),
  );
}

/** An insert of a document written once: false when its `_id` is taken already. */
export async function insertedOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

export async function listKeysets(models: MongoModels, afterSeq: number): Promise<KeysetRecord[]> {
  const documents = (await models.keysets
    .find({ _id: { $gt: afterSeq } })
    .sort({ _id: 1 })
    .lean()) as Doc[];
  return documents.map((d) => keysetOfDocument(d, d._id as number));
}

export async function latestKeysetSeq(models: MongoModels): Promise<number | null> {
  const newest = (await models.keysets.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean()) as {
    _id: number;
  } | null;
  return newest?._id ?? null;
}

/** A key set version as a document of `keysets` or `product_keysets` holds it. */
export function keysetOfDocument(d: Doc, seq: number): KeysetRecord {
  return {
    seq,
    token: d.token as string,
    signedBy: d.signedBy as string,
    kids: d.kids as string[],
    createdAt: d.createdAt as number,
  };
}
