// Signing keys and vendor users on MongoDB: the records beside the transaction log.

import type { KeyPurpose } from '@licensor/token';
import type { HsmKeyLocation, SigningKeyRecord, VendorUser } from '../../records.js';
import { withKeyStatus } from '../key-status.js';
import type { StoredPrivateKey } from '../ports.js';
import { hsmMember, privateKeyColumns, storedPrivateKeyOf } from '../private-key-row.js';
import type { MongoModels } from './schemas.js';

type Doc = Record<string, unknown>;

export type UserPatch = Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & {
  passwordHash?: string;
};

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
  });
}

export async function listSigningKeys(models: MongoModels): Promise<SigningKeyRecord[]> {
  const documents = await models.signingKeys.find({}, { sealed: 0 }).lean();
  return withKeyStatus(
    documents.map((d) => ({
      kid: d._id as string,
      purpose: d.purpose as KeyPurpose,
      publicKey: d.publicKey,
      protection: d.protection as SigningKeyRecord['protection'],
      ...hsmMember(d.hsm as HsmKeyLocation | null | undefined),
      createdAt: d.createdAt as number,
      retiredAt: (d.retiredAt as number | null) ?? null,
    })),
  );
}

export async function readPrivateKeys(
  models: MongoModels,
  purpose: KeyPurpose,
): Promise<StoredPrivateKey[]> {
  // The purpose is in the query: documents of the other purpose never leave the server.
  const documents = await models.signingKeys
    .find(
      { purpose, retiredAt: null },
      { _id: 1, purpose: 1, publicKey: 1, protection: 1, sealed: 1, hsm: 1 },
    )
    .sort({ createdAt: -1, _id: -1 })
    .lean();
  return documents.map((d) =>
    storedPrivateKeyOf({
      kid: d._id as string,
      purpose: d.purpose as KeyPurpose,
      protection: d.protection as string,
      sealed: d.sealed ?? null,
      hsm: (d.hsm as HsmKeyLocation | null | undefined) ?? null,
      publicKey: d.publicKey,
    }),
  );
}

export async function retireSigningKey(
  models: MongoModels,
  kid: string,
  at: number,
): Promise<void> {
  await models.signingKeys.updateOne({ _id: kid, retiredAt: null }, { $set: { retiredAt: at } });
}

export async function insertUser(
  models: MongoModels,
  user: VendorUser,
  passwordHash: string,
): Promise<void> {
  const { id, ...rest } = user;
  await models.users.create({ _id: id, ...rest, nameKey: user.name.toLowerCase(), passwordHash });
}

export async function getUserByName(
  models: MongoModels,
  name: string,
): Promise<(VendorUser & { passwordHash: string }) | null> {
  const document = await models.users.findOne({ nameKey: name.toLowerCase() }).lean();
  if (document === null) return null;
  const { _id, nameKey: _key, ...rest } = document as Doc;
  return { id: _id, ...rest } as VendorUser & { passwordHash: string };
}

export async function listUsers(models: MongoModels): Promise<VendorUser[]> {
  const documents = await models.users.find({}, { passwordHash: 0, nameKey: 0 }).lean();
  return documents
    .map((d) => {
      const { _id, ...rest } = d as Doc;
      return { id: _id, ...rest } as VendorUser;
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
}

export async function updateUser(models: MongoModels, id: string, patch: UserPatch): Promise<void> {
  const set: Doc = {};
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
  if (Object.keys(set).length > 0) await models.users.updateOne({ _id: id }, { $set: set });
}
